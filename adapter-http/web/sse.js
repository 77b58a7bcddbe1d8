// Server-Sent Events framing, read from a fetch() body: text in, complete events out.
// Pure (no I/O), so that a chunk boundary anywhere is the same as none.

export class SseParser {
  constructor() {
    this.rest = '';
    this.id = null;
    this.data = null;
  }

  // Feeds decoded text; returns the events it completed, each `{ id, data }` (`id` is null for
  // an event without one, such as the server's `missed` item).
  push(text) {
    const events = [];
    const buffer = this.rest + text;
    let start = 0;
    for (;;) {
      const end = buffer.indexOf('\n', start);
      if (end < 0) break;
      let line = buffer.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data !== null) events.push({ id: this.id, data: this.data });
        this.id = null;
        this.data = null;
        continue;
      }
      if (line.charCodeAt(0) === 58 /* ':' a comment, the heartbeat */) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data = this.data === null ? value : `${this.data}\n${value}`;
      else if (field === 'id') this.id = value;
      // `retry` is ignored: the stream client keeps its own back-off.
    }
    this.rest = buffer.slice(start);
    return events;
  }
}

// The event stream client: one fetch() of `/v1/events` at a time, resumed after a drop from
// the last id it handed on (`Last-Event-ID`), so the page sees no gap and no duplicate. A new
// session id means a restarted server: the owner is told, then the stream goes on from that
// session's start (the server starts a foreign id from 0).

import { SseParser } from './sse.js';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
// The server says something at least every 15 s; silence much longer is a dead connection.
const SILENCE_MS = 40000;
// Reading chunk after chunk runs as microtasks; past this, the reader yields so that a frame
// can be drawn between bursts.
const READ_SLICE_MS = 8;

export class EventStream {
  // `onItems(items)` gets every parsed item in order (`{ kind, seq?, ... }`), per chunk;
  // `onSession(id, previous)` when the session id changes (previous is null the first time);
  // `onStatus(status, detail)` with 'connecting', 'live', 'retrying', 'unauthorized'.
  constructor({ onItems, onSession, onStatus }) {
    this.onItems = onItems;
    this.onSession = onSession;
    this.onStatus = onStatus;
    this.session = null;
    this.lastSeq = 0;
    this.controller = null;
    this.stopped = false;
  }

  start() {
    this.loop();
  }

  async loop() {
    let retry = FIRST_RETRY_MS;
    while (!this.stopped) {
      const outcome = await this.connectOnce();
      if (outcome === 'unauthorized') {
        this.onStatus('unauthorized');
        return;
      }
      if (outcome === 'streamed') retry = FIRST_RETRY_MS;
      this.onStatus('retrying', retry);
      await new Promise((resolve) => setTimeout(resolve, retry));
      retry = Math.min(retry * 2, MAX_RETRY_MS);
    }
  }

  // One connection, read to its end or its failure: 'streamed' when it delivered anything,
  // 'failed' when not, 'unauthorized' on 401.
  async connectOnce() {
    this.onStatus('connecting');
    const controller = new AbortController();
    this.controller = controller;
    const headers = {};
    if (this.session !== null) headers['Last-Event-ID'] = `${this.session}:${this.lastSeq}`;
    let delivered = false;
    let watchdog = 0;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    try {
      arm();
      const response = await fetch('/v1/events', {
        headers,
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 401) return 'unauthorized';
      if (!response.ok || !response.body) return 'failed';
      this.onStatus('live');
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let slice = performance.now();
      for (;;) {
        if (performance.now() - slice > READ_SLICE_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          slice = performance.now();
        }
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        const items = this.accept(parser.push(value));
        if (items.length > 0) {
          delivered = true;
          this.onItems(items);
        }
      }
    } catch {
      // A dropped connection, an abort by the watchdog, or a server that is gone: retried.
    } finally {
      clearTimeout(watchdog);
      this.controller = null;
    }
    return delivered ? 'streamed' : 'failed';
  }

  // Parses the events of one chunk, follows the session id, and keeps the position. A
  // duplicate (a seq at or before the position) is dropped, so that even a resume that went
  // wrong could never show a line twice.
  accept(events) {
    const items = [];
    for (const event of events) {
      let item;
      try {
        item = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (event.id === null) {
        items.push(item);
        continue;
      }
      const colon = event.id.lastIndexOf(':');
      const session = event.id.slice(0, colon);
      const seq = Number(event.id.slice(colon + 1));
      if (session !== this.session) {
        if (items.length > 0) {
          this.onItems(items.splice(0));
        }
        const previous = this.session;
        this.session = session;
        this.lastSeq = 0;
        this.onSession(session, previous);
        // The first event held is not the first of the session: say what came before it.
        if (seq > 1) items.push({ kind: 'missed', count: seq - 1, before: true });
      }
      if (seq <= this.lastSeq) continue;
      this.lastSeq = seq;
      items.push(item);
    }
    return items;
  }
}

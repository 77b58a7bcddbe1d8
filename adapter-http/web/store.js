// The page's log: every row it holds, oldest first, in parallel arrays (a row costs a few
// numbers and its message, no object of its own), capped: beyond `cap` rows the oldest are
// dropped and counted, so the page's memory stays bounded whatever the run prints.
// Rows are named by a serial number that never changes while the row is held.

export const ROW_LOG = 0;
export const ROW_STATE = 1;
export const ROW_MISSED = 2;
export const ROW_NOTE = 3;

export const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error'];
export const SOURCES = ['build', 'pack-validation', 'pack', 'manifest', 'runtime', 'session'];

const severityCode = new Map(SEVERITIES.map((name, code) => [name, code]));

export class LogStore {
  constructor(cap) {
    this.cap = cap;
    this.sourceNames = [...SOURCES];
    this.sourceCode = new Map(this.sourceNames.map((name, code) => [name, code]));
    this.clear();
  }

  clear() {
    this.head = 0; // index in the arrays of the oldest held row
    this.firstSerial = 0; // its serial
    this.kind = [];
    this.seq = [];
    this.run = [];
    this.time = [];
    this.source = [];
    this.severity = [];
    this.text = [];
    this.extra = new Map(); // serial -> what a non-log row needs besides its text
    this.dropped = 0;
  }

  get size() {
    return this.kind.length - this.head;
  }

  // The serial the next row will get.
  get endSerial() {
    return this.firstSerial + this.size;
  }

  index(serial) {
    return serial - this.firstSerial + this.head;
  }

  codeOfSource(name) {
    let code = this.sourceCode.get(name);
    if (code === undefined) {
      code = this.sourceNames.length;
      this.sourceNames.push(name);
      this.sourceCode.set(name, code);
    }
    return code;
  }

  // Appends the row an item shows, if it shows as one (`step` items are the timeline's).
  add(item) {
    switch (item.kind) {
      case 'log': {
        const severity = severityCode.get(item.severity) ?? 2;
        const stream = item.stream === 'stderr' ? 1 : 0;
        this.push(ROW_LOG, item, this.codeOfSource(item.source), severity, item.message);
        if (item.truncated || stream) this.extra.set(this.endSerial - 1, { stream: item.stream, truncated: item.truncated });
        break;
      }
      case 'state':
        this.push(ROW_STATE, item, -1, item.to.endsWith('failed') ? 4 : 2, item.reason ?? '');
        this.extra.set(this.endSerial - 1, { from: item.from, to: item.to, failure: item.failure });
        break;
      case 'missed':
        this.push(ROW_MISSED, item, -1, 3, '');
        this.extra.set(this.endSerial - 1, { count: item.count, before: item.before === true });
        break;
      default:
        break;
    }
  }

  // A row of the page's own (a restarted server, say).
  note(text) {
    this.push(ROW_NOTE, {}, -1, 2, text);
  }

  push(kind, item, source, severity, text) {
    if (this.size >= this.cap) this.evictOldest();
    this.kind.push(kind);
    this.seq.push(item.seq ?? -1);
    this.run.push(item.run ?? 0);
    this.time.push(item.at === undefined ? Number.NaN : Date.parse(item.at));
    this.source.push(source);
    this.severity.push(severity);
    this.text.push(text);
  }

  evictOldest() {
    const serial = this.firstSerial;
    if (this.kind[this.head] === ROW_LOG) this.dropped += 1;
    this.extra.delete(serial);
    this.text[this.head] = undefined; // let the message go now
    this.head += 1;
    this.firstSerial += 1;
    // Compacting now and then keeps eviction O(1) on average.
    if (this.head >= 65536 && this.head * 2 >= this.kind.length) {
      for (const column of [this.kind, this.seq, this.run, this.time, this.source, this.severity, this.text]) {
        column.splice(0, this.head);
      }
      this.head = 0;
    }
  }
}

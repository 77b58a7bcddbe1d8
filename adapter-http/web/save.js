// Saves the lines the page holds as JSON lines (the events' fields, `at` to the millisecond),
// through a download: the page's own copy of the log, to attach to a bug report.

import { ROW_LOG, ROW_MISSED, ROW_STATE, SEVERITIES } from './store.js';

export function heldLines(store) {
  const lines = [];
  for (let serial = store.firstSerial; serial < store.endSerial; serial += 1) {
    const index = store.index(serial);
    const kind = store.kind[index];
    const at = Number.isNaN(store.time[index]) ? undefined : new Date(store.time[index]).toISOString();
    const extra = store.extra.get(serial) ?? {};
    if (kind === ROW_LOG) {
      lines.push(JSON.stringify({
        kind: 'log', seq: store.seq[index], run: store.run[index], at,
        source: store.sourceNames[store.source[index]], severity: SEVERITIES[store.severity[index]],
        stream: extra.stream, message: store.text[index], truncated: extra.truncated,
      }));
    } else if (kind === ROW_STATE) {
      lines.push(JSON.stringify({ kind: 'state', seq: store.seq[index], run: store.run[index], at, from: extra.from, to: extra.to, reason: store.text[index] || undefined, failure: extra.failure }));
    } else if (kind === ROW_MISSED) {
      lines.push(JSON.stringify({ kind: 'missed', count: extra.count }));
    }
  }
  return lines;
}

export function save(store, session) {
  const lines = heldLines(store);
  const blob = new Blob(lines.map((line) => `${line}\n`), { type: 'application/x-ndjson' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `prometeu-session-${session ?? 'log'}.ndjson`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

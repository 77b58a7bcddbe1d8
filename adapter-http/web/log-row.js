// One row of the log, filled in place (rows are reused as the list scrolls): a log line with
// its time, source and message (ANSI colours rendered), a state change, or a marker where
// lines were missed or dropped. Text goes in with textContent only.

import { parseAnsi } from './ansi.js';
import { count, timeOfDay } from './format.js';
import { ROW_LOG, ROW_MISSED, ROW_NOTE, ROW_STATE, SEVERITIES } from './store.js';

export function createRow() {
  const row = document.createElement('div');
  row.className = 'log-row';
  row.setAttribute('role', 'row');
  const time = document.createElement('span');
  time.className = 'time';
  const source = document.createElement('span');
  source.className = 'source';
  const message = document.createElement('span');
  message.className = 'message';
  row.append(time, source, message);
  return row;
}

function styleSegment(span, style) {
  const classes = [];
  let { fg, bg } = style;
  if (style.inverse) [fg, bg] = [bg ?? 'default-bg', fg ?? 'default-fg'];
  if (typeof fg === 'number') classes.push(`fg-${fg}`);
  else if (fg === 'default-fg') classes.push('fg-inverse');
  else if (fg) span.style.color = fg;
  if (typeof bg === 'number') classes.push(`bg-${bg}`);
  else if (bg === 'default-bg') classes.push('bg-inverse');
  else if (bg) span.style.backgroundColor = bg;
  if (style.bold) classes.push('bold');
  if (style.dim) classes.push('dim');
  if (style.italic) classes.push('italic');
  if (style.underline) classes.push('underline');
  if (style.strike) classes.push('strike');
  span.className = classes.join(' ');
}

function fillMessage(element, text) {
  if (text.indexOf('\x1b') < 0) {
    element.textContent = text;
    return;
  }
  element.textContent = '';
  for (const segment of parseAnsi(text)) {
    const span = document.createElement('span');
    span.textContent = segment.text;
    styleSegment(span, segment.style);
    element.append(span);
  }
}

function setRow(row, className, time, source, message) {
  row.className = className;
  row.children[0].textContent = time;
  row.children[1].textContent = source;
  if (typeof message === 'string') row.children[2].textContent = message;
}

// `position` in the view: the dropped-lines marker when `dropped` (position -1), else a held row.
export function renderRow(row, store, serial, cap) {
  if (serial === -1) {
    setRow(row, 'log-row marker dropped', '', '', `⋯ ${count(store.dropped)} older lines were dropped from this page (it holds the newest ${count(cap)}) ⋯`);
    return;
  }
  const index = store.index(serial);
  const kind = store.kind[index];
  const time = timeOfDay(store.time[index]);
  if (kind === ROW_LOG) {
    const severity = SEVERITIES[store.severity[index]];
    setRow(row, `log-row sev-${severity}`, time, store.sourceNames[store.source[index]], null);
    fillMessage(row.children[2], store.text[index]);
    return;
  }
  const extra = store.extra.get(serial) ?? {};
  if (kind === ROW_STATE) {
    const failed = extra.to.endsWith('failed');
    const reason = store.text[index];
    const words = reason === '' ? `── ${extra.to} ──` : `── ${extra.to} ─ ${reason} ──`;
    setRow(row, `log-row state${failed ? ' failed' : ''}`, time, '', words);
  } else if (kind === ROW_MISSED) {
    const words = extra.before
      ? `⋯ ${count(extra.count)} earlier events are no longer held by the server ⋯`
      : `⋯ ${count(extra.count)} events were missed here: this page fell behind the server's buffer ⋯`;
    setRow(row, 'log-row marker missed', '', '', words);
  } else if (kind === ROW_NOTE) {
    setRow(row, 'log-row marker note', '', '', store.text[index]);
  }
}

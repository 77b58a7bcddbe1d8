// Which held rows the log shows under the current filters: a list of serials, kept up to date
// as rows are appended and evicted, recomputed when a filter changes. State changes and
// markers always show; the filters narrow the log lines.

import { ROW_LOG } from './store.js';

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class LogView {
  constructor(store) {
    this.store = store;
    this.serials = [];
    this.head = 0;
    this.setFilter({ hiddenSources: new Set(), minSeverity: 0, search: '' });
  }

  setFilter(filter) {
    this.filter = filter;
    this.pattern = filter.search === '' ? null : new RegExp(escapeRegExp(filter.search), 'i');
    this.rebuild();
  }

  get length() {
    return this.serials.length - this.head;
  }

  serialAt(position) {
    return this.serials[this.head + position];
  }

  shows(serial) {
    const store = this.store;
    const index = store.index(serial);
    if (store.kind[index] !== ROW_LOG) return true;
    const { hiddenSources, minSeverity } = this.filter;
    if (store.severity[index] < minSeverity) return false;
    if (hiddenSources.size > 0 && hiddenSources.has(store.sourceNames[store.source[index]])) return false;
    return this.pattern === null || this.pattern.test(store.text[index]);
  }

  rebuild() {
    this.serials = [];
    this.head = 0;
    this.appended(this.store.firstSerial);
  }

  // Takes in the rows from `fromSerial` to the store's end.
  appended(fromSerial) {
    const end = this.store.endSerial;
    for (let serial = Math.max(fromSerial, this.store.firstSerial); serial < end; serial += 1) {
      if (this.shows(serial)) this.serials.push(serial);
    }
  }

  // Forgets rows the store evicted; answers how many shown rows went.
  evicted() {
    const first = this.store.firstSerial;
    const before = this.head;
    while (this.head < this.serials.length && this.serials[this.head] < first) this.head += 1;
    const removed = this.head - before;
    if (this.head >= 65536 && this.head * 2 >= this.serials.length) {
      this.serials.splice(0, this.head);
      this.head = 0;
    }
    return removed;
  }
}

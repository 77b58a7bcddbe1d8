// The run's steps as a timeline, from the typed `step` events: each step's bar placed on the
// run's time, its duration, its outcome and exit, and its command.

import { commandLine, duration } from './format.js';

export class Timeline {
  constructor(container) {
    this.container = container;
    this.clear();
  }

  clear() {
    this.run = 0;
    this.steps = new Map(); // step name -> { started, ended }
    this.dirty = true;
  }

  // Takes a `step` event; a newer run starts a new timeline.
  add(item) {
    if (item.run > this.run) {
      this.clear();
      this.run = item.run;
    } else if (item.run < this.run) {
      return;
    }
    const entry = this.steps.get(item.step) ?? {};
    entry[item.phase] = item;
    this.steps.set(item.step, entry);
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = [];
    const entries = [...this.steps.entries()];
    const times = entries.flatMap(([, entry]) => [entry.started, entry.ended].filter(Boolean).map((event) => Date.parse(event.at)));
    const start = Math.min(...times);
    const end = Math.max(...times, start + 1);
    for (const [name, entry] of entries) rows.push(this.row(name, entry, start, end));
    this.container.replaceChildren(...rows);
    this.container.hidden = rows.length === 0;
  }

  row(name, entry, start, end) {
    const row = document.createElement('div');
    row.className = 'step';
    row.setAttribute('role', 'listitem');
    const label = document.createElement('span');
    label.className = 'step-name';
    label.textContent = name;

    const track = document.createElement('span');
    track.className = 'step-track';
    const bar = document.createElement('span');
    const begin = Date.parse((entry.started ?? entry.ended).at);
    const finish = entry.ended ? begin + (entry.ended.duration_ms ?? 0) : end;
    bar.className = `step-bar ${entry.ended ? entry.ended.outcome : 'running'}`;
    bar.style.left = `${((begin - start) / (end - start)) * 100}%`;
    bar.style.width = `max(2px, ${((finish - begin) / (end - start)) * 100}%)`;
    track.append(bar);

    const result = document.createElement('span');
    result.className = 'step-result';
    result.textContent = entry.ended ? this.outcome(entry.ended) : 'running…';

    const command = document.createElement('code');
    command.className = 'step-command';
    const started = entry.started ?? {};
    command.textContent = started.command ? commandLine(started.command) + (started.pid ? `  (pid ${started.pid})` : '') : '';
    row.append(label, track, result, command);
    return row;
  }

  outcome(ended) {
    const parts = [duration(ended.duration_ms ?? 0), ended.outcome];
    if (ended.signal) parts.push(ended.signal);
    else if (ended.exit_code !== undefined) parts.push(`exit ${ended.exit_code}`);
    return parts.join(' · ');
  }
}

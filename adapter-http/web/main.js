// The workspace: wires the stream to the store, the store to the view and the virtual list,
// and the state to the controls, the timeline and the failure. Items are taken in per
// animation frame, within a time budget, so that a flood of lines never blocks a frame.

import { Unauthorized, getSession } from './api.js';
import { Controls } from './controls.js';
import { describeFailure } from './failure.js';
import { setUpFilters } from './filters.js';
import { count } from './format.js';
import { createRow, renderRow } from './log-row.js';
import { save } from './save.js';
import { LogStore } from './store.js';
import { EventStream } from './stream.js';
import { Timeline } from './timeline.js';
import { LogView } from './view.js';
import { VirtualList } from './virtual-list.js';

const ROW_HEIGHT = 18; // the stylesheet's .log-row height
const FRAME_BUDGET_MS = 8;
const SLICE = 1000;

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);
// The page holds at most this many rows (`?cap=` changes it, for tests and small machines).
const cap = Math.max(100, Math.min(5_000_000, Number(params.get('cap')) || 1_000_000));

const store = new LogStore(cap);
const view = new LogView(store);
const timeline = new Timeline($('#timeline'));
const followButton = $('#follow');

// Position 0 is the dropped-lines marker once the page has dropped any.
const markerRows = () => (store.dropped > 0 ? 1 : 0);
const listCount = () => view.length + markerRows();

const list = new VirtualList($('#log'), {
  rowHeight: ROW_HEIGHT,
  createRow,
  renderRow: (row, position) => {
    const marker = markerRows();
    renderRow(row, store, position < marker ? -1 : view.serialAt(position - marker), cap);
  },
  onFollowChange: (following) => {
    followButton.hidden = following;
  },
});
followButton.addEventListener('click', () => list.follow(true));

const controls = new Controls(
  {
    state: $('#state'),
    run: $('#run'),
    play: $('#play'),
    prepare: $('#prepare'),
    stop: $('#stop'),
    kill: $('#kill'),
    message: $('#message'),
  },
  () => loggedOut(),
);

const failurePanel = $('#failure');
let snapshotSeq = 0;
let shownRun = 0;

function showFailure(item) {
  const words = describeFailure(item.failure);
  $('#failure-words').textContent = words;
  $('#failure-reason').textContent = item.reason ? `(${item.reason})` : '';
  failurePanel.hidden = words === '';
}

function applySnapshot(snapshot) {
  snapshotSeq = snapshot.last_seq;
  shownRun = snapshot.run;
  $('#project').textContent = snapshot.project;
  controls.setState(snapshot.state, snapshot.run);
  if (snapshot.last_failure && snapshot.state.endsWith('failed')) showFailure({ failure: snapshot.last_failure });
}

function loggedOut() {
  controls.setConnected(false);
  $('#connection').textContent = 'not logged in';
  const notice = $('#notice');
  notice.textContent =
    'Not logged in. Open the login_url that `prometeu-session serve` printed in its ready line: it works once, for 5 minutes. A restarted server prints a new one.';
  notice.hidden = false;
}

// Items wait here until the next frame takes them in.
let queue = [];
let queueHead = 0;
let scheduled = false;

function enqueue(items) {
  if (queueHead === queue.length) {
    queue = items;
    queueHead = 0;
  } else {
    for (const item of items) queue.push(item);
  }
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(frame);
  }
}

function take(item) {
  switch (item.kind) {
    case 'step':
      timeline.add(item);
      return;
    case 'state':
      store.add(item);
      if (item.run >= shownRun) {
        shownRun = item.run;
        if (item.to === 'preparing') failurePanel.hidden = true;
        if (item.failure) showFailure(item);
      }
      if (item.seq > snapshotSeq) controls.setState(item.to, item.run);
      return;
    case 'session':
      newSession(item);
      return;
    default:
      store.add(item);
  }
}

function newSession({ id, previous }) {
  store.clear();
  view.rebuild();
  timeline.clear();
  failurePanel.hidden = true;
  if (previous !== null) {
    store.note(`── the server restarted: new session ${id}; following it from its start ──`);
    const notice = $('#notice');
    notice.textContent = `The server restarted (new session ${id}); the log now follows the new session from its start.`;
    notice.hidden = false;
    getSession().then(applySnapshot).catch(() => {});
  }
  $('#session').textContent = id;
}

function frame() {
  scheduled = false;
  const deadline = performance.now() + FRAME_BUDGET_MS;
  const markerBefore = markerRows();
  let fromSerial = store.endSerial;
  let removed = 0;
  let cleared = false;
  while (queueHead < queue.length && performance.now() < deadline) {
    const end = Math.min(queue.length, queueHead + SLICE);
    for (; queueHead < end; queueHead += 1) {
      const item = queue[queueHead];
      if (item.kind === 'session') {
        take(item);
        fromSerial = store.endSerial;
        cleared = true;
        continue;
      }
      take(item);
    }
    removed += view.evicted();
    view.appended(fromSerial);
    fromSerial = store.endSerial;
  }
  if (queueHead === queue.length) {
    queue = [];
    queueHead = 0;
  } else if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(frame);
  }
  const removedAtFront = cleared ? 0 : Math.max(0, removed - (markerRows() - markerBefore));
  list.setCount(listCount(), removedAtFront);
  timeline.render();
  $('#counts').textContent = `${count(view.length)} shown · ${count(store.size)} held`;
}

setUpFilters($('#filters'), (filter) => {
  view.setFilter(filter);
  list.setCount(listCount());
  list.refresh();
  $('#counts').textContent = `${count(view.length)} shown · ${count(store.size)} held`;
});

$('#save').addEventListener('click', () => save(store, stream.session));
document.addEventListener('keydown', (event) => {
  if (event.key === 'End' && event.target === document.body) list.follow(true);
});

const STATUS = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…' };
const stream = new EventStream({
  onItems: enqueue,
  onSession: (id, previous) => enqueue([{ kind: 'session', id, previous }]),
  onStatus: (status) => {
    if (status === 'unauthorized') {
      loggedOut();
      return;
    }
    $('#connection').textContent = STATUS[status];
    $('#connection').dataset.status = status;
    controls.setConnected(status === 'live');
  },
});

async function boot() {
  try {
    applySnapshot(await getSession());
  } catch (error) {
    if (error instanceof Unauthorized) {
      loggedOut();
      return;
    }
  }
  stream.start();
}

boot();

// Volume and resilience: a 200,000-line run keeps the page responsive with only a window of
// rows in the DOM (frame times are measured in the page and printed, never asserted); the
// page's cap drops the oldest lines with a marker; a stream whose connection drops mid-run
// resumes with no gap and no duplicate against the server's own record.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { openWorkspace, serverEvents, startProxy } from './support.js';

const BIG_BUFFER = 'buffer_events = 400000\nbuffer_bytes = "128MiB"';

// Starts recording the time between animation frames in the page.
const startFrameMeter = (page) =>
  page.evaluate(() => {
    window.frameGaps = [];
    let last = performance.now();
    const tick = (now) => {
      window.frameGaps.push(now - last);
      last = now;
      if (!window.stopMeter) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });

const frameReport = (page) =>
  page.evaluate(() => {
    window.stopMeter = true;
    const gaps = [...window.frameGaps].sort((a, b) => a - b);
    const at = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))].toFixed(1);
    return { frames: gaps.length, median: at(0.5), p95: at(0.95), p99: at(0.99), max: gaps[gaps.length - 1].toFixed(1) };
  });

const visibleRows = (page) => page.locator('.log-row:not([hidden])').count();
const lastRow = (page) =>
  page.locator('.log-row:not([hidden])').evaluateAll((rows) => {
    const sorted = rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    return sorted[sorted.length - 1].children[2].textContent;
  });
const allRows = (page) => page.locator('.log-row').count();

test('a 200,000-line run stays responsive with a window of rows in the DOM', async () => {
  const workspace = await openWorkspace({
    runtime: { STDOUT_LINES: 100000, STDERR_LINES: 100000, RUN_FOR: 'forever' },
    log: BIG_BUFFER,
  });
  const { page } = workspace;
  try {
    await page.locator('#state[data-state=idle]').waitFor();
    await startFrameMeter(page);
    const started = Date.now();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.locator('#counts').getByText(/^200,0\d\d shown/).waitFor({ timeout: 90000 });
    const seconds = (Date.now() - started) / 1000;
    const frames = await frameReport(page);
    const counts = await page.locator('#counts').textContent();
    console.log(`200,000 lines: all shown after ${seconds.toFixed(1)} s; frame gaps (ms) ${JSON.stringify(frames)}; ${counts}; rows in the DOM: ${await allRows(page)}`);
    assert.match(counts, /^200,0\d\d shown · 200,0\d\d held$/);
    assert.ok((await allRows(page)) < 100, 'only a window of rows exists');
    // The tail: the last row in sight is the newest line (stdout and stderr interleave as the
    // pipes were read, so which line that is varies).
    const tail = await lastRow(page);
    assert.match(tail, /^(stdout line|stderr line|fake-runtime: ready)/);

    // Scrolled to the top: the first lines, the tail no longer followed; End follows again.
    await page.getByRole('log').focus();
    await page.keyboard.press('Home');
    await page.getByRole('log').getByText(/── preparing/).waitFor();
    assert.notEqual(await lastRow(page), tail);
    await page.getByRole('button', { name: 'Follow the tail (End)' }).click();
    await page.getByRole('button', { name: 'Follow the tail (End)' }).waitFor({ state: 'hidden' });
    assert.equal(await lastRow(page), tail);
    assert.ok((await visibleRows(page)) < 100);
    assert.deepEqual(workspace.errors, []);
  } finally {
    await workspace.close();
  }
});

test('past its cap the page drops the oldest lines and says so', async () => {
  const workspace = await openWorkspace({ runtime: { STDOUT_LINES: 5000 } }, '?cap=1000');
  const { page } = workspace;
  try {
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.locator('#state[data-state=stopped]').waitFor();
    await page.getByRole('log').getByText(/── stopped/).waitFor();
    assert.equal(await page.locator('#counts').textContent(), '1,000 shown · 1,000 held');
    await page.getByRole('log').focus();
    await page.keyboard.press('Home');
    const marker = page.getByRole('log').getByText(/older lines were dropped from this page \(it holds the newest 1,000\)/);
    await marker.waitFor();
    assert.match(await marker.textContent(), /⋯ [\d,]+ older lines/);
  } finally {
    await workspace.close();
  }
});

test('a dropped stream resumes from its last id with no gap and no duplicate', async () => {
  // Lines keep coming for a while, in bursts, so the connection drops mid-run.
  const bursts = Array.from({ length: 8 }, () => 'out:4000;sleep:300').join(';');
  const workspace = await openWorkspace({ build: bursts, runtime: { STDOUT_LINES: 100 }, log: BIG_BUFFER });
  const { page, server } = workspace;
  // The page reaches the server through a proxy that can cut its connections.
  const proxy = await startProxy(server.ready.url);
  const streams = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${proxy.url}/v1/events`)) streams.push(request.headers()['last-event-id'] ?? null);
  });
  try {
    await page.goto(proxy.url);
    await page.locator('#state[data-state=idle]').waitFor();
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    let cuts = 0;
    for (const rows of [6000, 14000]) {
      await page.waitForFunction(
        (least) => Number(document.querySelector('#counts').textContent.split(' held')[0].split('· ')[1]?.replaceAll(',', '')) >= least,
        rows,
      );
      proxy.cut();
      cuts += 1;
      while (streams.length < cuts + 1) await page.waitForTimeout(50);
    }
    // The first connection started from the beginning; each after a cut resumed from an id.
    assert.equal(streams[0], null);
    assert.equal(streams.length, 3);
    assert.ok(streams.slice(1).every((id) => /^[0-9a-f]{16}:\d+$/.test(id)), streams.join());
    await page.locator('#state[data-state=stopped]').waitFor({ timeout: 60000 });
    await page.getByRole('log').getByText(/── stopped/).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    const held = readFileSync(await download.path(), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const expected = (await serverEvents(server.ready)).filter((event) => event.kind === 'log' || event.kind === 'state');
    assert.ok(expected.length > 32000);
    assert.equal(held.filter((item) => item.kind === 'missed').length, 0);
    const key = (event) => `${event.seq} ${event.kind} ${event.message ?? event.to}`;
    assert.deepEqual(held.map(key), expected.map(key));
  } finally {
    proxy.close();
    await workspace.close();
  }
});

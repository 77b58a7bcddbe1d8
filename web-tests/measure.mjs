// Not a test: measures the workspace holding a million lines (frame gaps while they arrive,
// the page's JS heap once they are held, after a forced collection) and prints the figures.
// Run: node measure.mjs (after `cargo build -p app-cli -p tests --bins`).

import { openWorkspace } from './tests/support.js';

const workspace = await openWorkspace({
  runtime: { STDOUT_LINES: 500000, STDERR_LINES: 500000, RUN_FOR: 'forever' },
  log: 'buffer_events = 1100000\nbuffer_bytes = "512MiB"',
});
const { page } = workspace;
try {
  await page.locator('#state[data-state=idle]').waitFor();
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return (usedSize / 2 ** 20).toFixed(1);
  };
  const before = await heap();
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    window.gaps = [];
    let last = performance.now();
    const tick = (now) => {
      window.gaps.push(now - last);
      last = now;
      if (!window.stopMeter) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.locator('#counts').getByText(/^1,000,000 shown/).waitFor({ timeout: 170000 });
  const seconds = (Date.now() - started) / 1000;
  const frames = await page.evaluate(() => {
    window.stopMeter = true;
    const gaps = [...window.gaps].sort((a, b) => a - b);
    const at = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))].toFixed(1);
    return { frames: gaps.length, median: at(0.5), p95: at(0.95), p99: at(0.99), max: gaps.at(-1).toFixed(1) };
  });
  const held = await heap();
  console.log(`1,000,000 lines taken in ${seconds.toFixed(1)} s; frame gaps (ms) ${JSON.stringify(frames)}`);
  console.log(`JS heap after GC: ${before} MiB empty, ${held} MiB with ${await page.locator('#counts').textContent()}`);
  console.log(`rows in the DOM: ${await page.locator('.log-row').count()}`);
} finally {
  await workspace.close();
}

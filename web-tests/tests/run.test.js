// A run as a user meets it: Play shows the lines live and the state changing; Stop and Force
// stop follow the state; filters and search narrow the log; the children's colours show and
// their other escapes do not; a failing run shows its steps and its failure in words.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { SCREENSHOTS, openWorkspace, until } from './support.js';

const buttons = (page) => ({
  play: page.getByRole('button', { name: 'Play', exact: true }),
  prepare: page.getByRole('button', { name: 'Prepare', exact: true }),
  stop: page.getByRole('button', { name: 'Stop', exact: true }),
  kill: page.getByRole('button', { name: 'Force stop', exact: true }),
});

async function enabled(page) {
  const all = buttons(page);
  const out = {};
  for (const [name, button] of Object.entries(all)) out[name] = await button.isEnabled();
  return out;
}

// The buttons as `expected` once the page has rendered the state that decides them.
async function buttonsAre(page, expected) {
  const wanted = JSON.stringify(expected);
  let seen;
  try {
    await until(async () => JSON.stringify((seen = await enabled(page))) === wanted, wanted, 10000);
  } finally {
    assert.deepEqual(seen, expected);
  }
}

const state = (page, name) => page.locator(`#state[data-state=${name}]`).waitFor();
const log = (page) => page.getByRole('log', { name: 'Merged log' });

// Lines of a colourful build: red, then bold green on a 256-colour background; a clear-screen,
// a cursor move and a window title that must have no effect.
const COLOURED = 'say-out:\x1b[31mred words\x1b[0m plain \x1b[1m\x1b[32mbold green\x1b[0m\x1b[2J\x1b[2A\x1b]0 title\x07 end';

test('Play shows the run live; Stop and Force stop follow the state', async () => {
  const workspace = await openWorkspace({
    build: `out:3;${COLOURED};err:2`,
    runtime: { STDOUT_LINES: 40, STDERR_LINES: 2, RUN_FOR: 'forever', ON_TERM: 'ignore' },
    grace: '60s',
  });
  const { page } = workspace;
  try {
    await state(page, 'idle');
    await buttonsAre(page, { play: true, prepare: true, stop: false, kill: false });

    await page.keyboard.press('F5');
    await log(page).getByText('fake-runtime: ready').waitFor();
    await state(page, 'running');
    assert.equal(await page.getByRole('status', { name: 'State' }).textContent(), 'running');
    assert.equal(await page.locator('#run').textContent(), '1');
    await buttonsAre(page, { play: false, prepare: false, stop: true, kill: true });

    // Colours rendered as spans; every other escape gone. State changes show whatever the
    // search.
    await page.getByRole('searchbox', { name: 'Search' }).fill('red words');
    await log(page).getByText(/── running/).waitFor();
    const coloured = log(page).locator('.log-row', { hasText: 'red words' });
    await coloured.waitFor();
    assert.equal(await coloured.locator('.message').textContent(), 'red words plain bold green end');
    assert.equal(await coloured.locator('span.fg-1').textContent(), 'red words');
    assert.equal(await coloured.locator('span.bold.fg-2').textContent(), 'bold green');
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await log(page).getByText('stdout line 39').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-running.png') });

    // Stop: the runtime ignores SIGTERM and the grace is long, so the run stays stopping.
    await page.keyboard.press('Shift+F5');
    await state(page, 'stopping');
    await buttonsAre(page, { play: false, prepare: false, stop: false, kill: true });
    await log(page).getByText('fake-runtime: ignoring SIGTERM').waitFor();
    await buttons(page).kill.click();
    await state(page, 'stopped');
    await buttonsAre(page, { play: true, prepare: true, stop: false, kill: false });
    await log(page).getByText(/── stopped/).waitFor();

    // Prepare: a run of its own, that ends prepared.
    await buttons(page).prepare.click();
    await state(page, 'prepared');
    assert.equal(await page.locator('#run').textContent(), '2');
    assert.deepEqual(workspace.errors, []);
  } finally {
    await workspace.close();
  }
});

test('filters by source and severity and the search narrow the log', async () => {
  const workspace = await openWorkspace({
    build: 'out:5;say-out:warning: unused thing;say-out:error: broken thing',
    runtime: { STDOUT_LINES: 5 },
  });
  const { page } = workspace;
  try {
    await buttons(page).play.click();
    await state(page, 'stopped');
    const rows = log(page).locator('.log-row');
    const texts = async () => rows.evaluateAll((els) => els.filter((el) => !el.hidden).map((el) => el.children[2].textContent));

    await page.getByRole('checkbox', { name: 'runtime' }).uncheck();
    await log(page).getByText('stdout line 0').waitFor({ state: 'detached' });
    assert.ok((await texts()).includes('build out 1'));
    assert.ok(!(await texts()).some((text) => text.startsWith('stdout line')));
    await page.getByRole('checkbox', { name: 'runtime' }).check();
    await log(page).getByText('stdout line 0').waitFor();

    await page.getByRole('combobox', { name: 'Minimum severity' }).selectOption('warn');
    await log(page).getByText('build out 1').waitFor({ state: 'detached' });
    const severe = (await rows.evaluateAll((els) => els.filter((el) => !el.hidden && el.className.includes('sev-')).map((el) => el.className)));
    assert.ok(severe.length >= 2);
    assert.ok(severe.every((name) => /sev-(warn|error)/.test(name)), severe.join());
    await page.getByRole('combobox', { name: 'Minimum severity' }).selectOption('trace');

    await page.getByRole('searchbox', { name: 'Search' }).fill('BROKEN');
    await log(page).getByText('build out 1').waitFor({ state: 'detached' });
    const found = (await rows.evaluateAll((els) => els.filter((el) => !el.hidden && el.className.includes('sev-')).map((el) => el.textContent)));
    assert.equal(found.length, 1);
    assert.match(found[0], /error: broken thing/);
    assert.deepEqual(workspace.errors, []);
  } finally {
    await workspace.close();
  }
});

test('a failing run shows its steps as a timeline and its failure in plain words', async () => {
  const workspace = await openWorkspace({
    build: 'out:20;sleep:150',
    validate: 'say-out:checking assets;sleep:80',
    pack: 'say-err:error: asset too big;exit:3',
  });
  const { page } = workspace;
  try {
    await buttons(page).play.click();
    await state(page, 'prepare_failed');
    const failure = page.getByRole('alert', { name: 'Failure' });
    await failure.waitFor();
    assert.match(await failure.textContent(), /The pack step failed: it exited with code 3\./);

    const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
    await steps.nth(2).waitFor();
    const text = await steps.allTextContents();
    assert.equal(text.length, 3);
    assert.match(text[0], /^build.*succeeded · exit 0.*fake-tool build\s+\(pid \d+\)/);
    assert.match(text[1], /^pack-validation.*\d+ ms · succeeded · exit 0.*fake-tool pack-validation/);
    assert.match(text[2], /^pack.*failed · exit 3.*fake-tool pack/);
    await buttonsAre(page, { play: true, prepare: true, stop: false, kill: false });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-failed.png') });
    assert.deepEqual(workspace.errors, []);
  } finally {
    await workspace.close();
  }
});

// `prometeu-session dap` driven by @vscode/debugadapter-testsupport's DebugClient, as VS Code
// drives it: launch, the Debug Console's output, Stop, and the ends of a run.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import {
  BIN, alive, disconnectAndExit, events, launch, makeProject, outputs, startAdapter, waitForOutput,
} from './support.mjs';

/** Runs `body(client, project)` on a fresh adapter and project, and cleans both up. */
async function withAdapter(setup, body) {
  const project = makeProject(setup);
  const client = await startAdapter();
  try {
    await body(client, project);
  } catch (error) {
    error.message += `\nadapter stderr:\n${client.stderr}`;
    throw error;
  } finally {
    client.stopAdapter();
    project.remove();
  }
}

/** The names of the events received, in order. */
function eventNames(client) {
  return events(client).map((event) => event.event);
}

/** Asserts the rules every session holds: one `terminated`, the last event, and every output ends with a newline. */
function assertWellEnded(client) {
  const names = eventNames(client);
  assert.equal(names.filter((name) => name === 'terminated').length, 1, `one terminated in ${names}`);
  assert.equal(names.at(-1), 'terminated', `nothing follows terminated: ${names}`);
  for (const output of outputs(client)) {
    assert.ok(output.body.output.endsWith('\n'), `ends with a newline: ${JSON.stringify(output.body)}`);
  }
}

test('a run that exits 0: categories, one collapsed group per step, process, exited 0, then terminated', async () => {
  await withAdapter({ build: 'out:2;err:1', runtime: { STDOUT_LINES: 3, STDERR_LINES: 2 } }, async (client, project) => {
    const terminated = client.waitForEvent('terminated');
    const response = await launch(client, { project: project.dir, mode: 'run' });
    assert.equal(response.success, true);
    await terminated;

    const groups = outputs(client).filter((event) => event.body.group !== undefined);
    assert.deepEqual(
      groups.map((event) => [event.body.group, event.body.output.split(/[ :\n]/)[0]]),
      ['build', 'pack-validation', 'pack', 'manifest'].flatMap((step) => [['startCollapsed', step], ['end', step]]),
    );
    assert.equal(groups[0].body.output, 'build\n');

    const stdout = outputs(client, 'stdout').map((event) => event.body.output).join('');
    assert.equal(stdout, 'stdout line 0\nstdout line 1\nstdout line 2\nfake-runtime: ready\n');
    const stderr = outputs(client, 'stderr').map((event) => event.body.output).join('');
    assert.equal(stderr, 'stderr line 0\nstderr line 1\n');
    const console = outputs(client, 'console').map((event) => event.body.output).join('');
    assert.match(console, /build out 1\nbuild out 2\nbuild err 1\n/, 'a step\'s output is console, inside its group');
    assert.equal(outputs(client, 'important').length, 0);

    const process = events(client).find((event) => event.event === 'process');
    assert.ok(process.body.systemProcessId > 0);
    assert.equal(process.body.startMethod, 'launch');
    const exited = events(client).filter((event) => event.event === 'exited');
    assert.deepEqual(exited.map((event) => event.body.exitCode), [0]);
    const names = eventNames(client);
    assert.ok(names.indexOf('process') < names.indexOf('exited'));
    assertWellEnded(client);

    const threads = await client.threadsRequest();
    assert.equal(threads.body.threads.length, 1, 'threads answers one thread, even after terminated');
    assert.equal(await disconnectAndExit(client), 0);
    assertWellEnded(client);
  });
});

test('a failing step: launch succeeds, the failure line is important, no exited, terminated', async () => {
  await withAdapter({ validate: 'exit:2' }, async (client, project) => {
    const terminated = client.waitForEvent('terminated');
    const response = await launch(client, { project: project.dir });
    assert.equal(response.success, true);
    await terminated;
    const important = outputs(client, 'important');
    assert.equal(important.length, 1);
    assert.match(important[0].body.output, /^pack-validation failed: .* exited with code 2\n$/);
    const names = eventNames(client);
    assert.ok(!names.includes('exited'), `no exited when the runtime never started: ${names}`);
    assert.ok(!names.includes('process'));
    assertWellEnded(client);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

for (const [how, runtime, code] of [
  ['exits 3', { EXIT_CODE: 3 }, 3],
  ['dies by SIGSEGV', { SIGNAL: 'SEGV' }, 128 + 11],
]) {
  test(`a runtime that ${how} after it started: exited ${code}, the failure line important`, async () => {
    await withAdapter({ runtime: { ...runtime, LAST_WORDS: 'goodbye' } }, async (client, project) => {
      const terminated = client.waitForEvent('terminated');
      await launch(client, { project: project.dir, noDebug: true });
      await terminated;
      const exited = events(client).filter((event) => event.event === 'exited');
      assert.deepEqual(exited.map((event) => event.body.exitCode), [code]);
      assert.equal(outputs(client, 'important').length, 1);
      const lastWords = events(client).findIndex((event) => event.body?.output?.includes('goodbye'));
      assert.ok(lastWords >= 0 && lastWords < eventNames(client).indexOf('exited'), 'the runtime\'s last words come before exited');
      assertWellEnded(client);
      assert.equal(await disconnectAndExit(client), 0);
    });
  });
}

test('terminate mid-run stops the runtime gracefully', async () => {
  await withAdapter({ runtime: { RUN_FOR: 'forever', ON_TERM: 'exit' } }, async (client, project) => {
    await launch(client, { project: project.dir });
    await waitForOutput(client, 'stdout', 'fake-runtime: ready');
    const pid = events(client).find((event) => event.event === 'process').body.systemProcessId;
    const terminated = client.waitForEvent('terminated');
    await client.terminateRequest();
    await terminated;
    assert.match(outputs(client, 'stderr').map((event) => event.body.output).join(''), /exiting on SIGTERM/);
    const exited = events(client).filter((event) => event.event === 'exited');
    assert.deepEqual(exited.map((event) => event.body.exitCode), [0], 'it exited on its own after SIGTERM');
    assert.equal(alive(pid), false);
    assertWellEnded(client);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

test('a second terminate kills a runtime that ignores SIGTERM', async () => {
  // A long grace, so that only the second terminate can end the run.
  await withAdapter({ runtime: { RUN_FOR: 'forever', ON_TERM: 'ignore' }, stopGrace: '60s' }, async (client, project) => {
    await launch(client, { project: project.dir });
    await waitForOutput(client, 'stdout', 'fake-runtime: ready');
    const pid = events(client).find((event) => event.event === 'process').body.systemProcessId;
    const terminated = client.waitForEvent('terminated');
    await client.terminateRequest();
    await waitForOutput(client, 'stderr', 'ignoring SIGTERM');
    assert.ok(!eventNames(client).includes('terminated'));
    await client.terminateRequest();
    await terminated;
    const exited = events(client).filter((event) => event.event === 'exited');
    assert.deepEqual(exited.map((event) => event.body.exitCode), [128 + 9]);
    assert.equal(alive(pid), false);
    assertWellEnded(client);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

test('disconnect with terminateDebuggee kills the run before it is answered', async () => {
  await withAdapter({ runtime: { RUN_FOR: 'forever', ON_TERM: 'ignore' } }, async (client, project) => {
    await launch(client, { project: project.dir });
    await waitForOutput(client, 'stdout', 'fake-runtime: ready');
    const pid = events(client).find((event) => event.event === 'process').body.systemProcessId;
    assert.equal(await disconnectAndExit(client, { terminateDebuggee: true }), 0);
    assert.equal(alive(pid), false);
    assertWellEnded(client);
    const names = client.received.map((message) => message.event ?? message.command);
    assert.ok(names.indexOf('terminated') < names.lastIndexOf('disconnect'));
  });
});

for (const [what, setup] of [
  ['a runtime path that does not exist', { config: '[runtime]\npath = "/nonexistent/prometeu"\n' }],
  ['a file that is not TOML', { config: '[runtime\n' }],
  ['an unknown key', { config: '[runtime]\npaht = "x"\n' }],
]) {
  test(`launch with an invalid configuration (${what}) fails with the command line's one line`, async () => {
    await withAdapter(setup, async (client, project) => {
      let cliLine;
      try {
        execFileSync(BIN, ['play', '--project', project.dir], { stdio: 'pipe' });
        assert.fail('the command line accepted it');
      } catch (error) {
        assert.equal(error.status, 2);
        cliLine = error.stderr.toString().trim().replace(/^prometeu-session: error: /, '');
      }
      const terminated = client.waitForEvent('terminated');
      await assert.rejects(launch(client, { project: project.dir }), (error) => {
        assert.equal(error.message, cliLine);
        return true;
      });
      await terminated;
      assertWellEnded(client);
      assert.equal(await disconnectAndExit(client), 0);
    });
  });
}

test('an unknown request is answered with an error; setBreakpoints with unverified breakpoints', async () => {
  await withAdapter({}, async (client) => {
    await client.initializeRequest();
    await assert.rejects(client.evaluateRequest({ expression: '1' }), /not supported/);
    const breakpoints = await client.setBreakpointsRequest({ source: { path: '/x.pbs' }, breakpoints: [{ line: 1 }] });
    assert.equal(breakpoints.body.breakpoints[0].verified, false);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

test('100,000 lines of output arrive complete and in order', async () => {
  // The adapter reads the session's buffer like any subscriber, never slowing the run; the
  // window is made to hold the whole run so that completeness can be asserted.
  await withAdapter({ runtime: { STDOUT_LINES: 100_000 }, log: 'buffer_events = 1000000\nbuffer_bytes = "256MiB"' }, async (client, project) => {
    const terminated = client.waitForEvent('terminated');
    await launch(client, { project: project.dir });
    await terminated;
    const stdout = outputs(client, 'stdout').map((event) => event.body.output).join('');
    const lines = stdout.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 100_001);
    for (let i = 0; i < 100_000; i += 1) {
      if (lines[i] !== `stdout line ${i}`) {
        assert.fail(`line ${i} is ${JSON.stringify(lines[i])}`);
      }
    }
    assert.equal(lines[100_000], 'fake-runtime: ready');
    assert.ok(outputs(client, 'stdout').length < 1000, 'lines are coalesced');
    assert.ok(!outputs(client, 'console').some((event) => event.body.output.includes('missed')));
    assertWellEnded(client);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

test('restart stops the run, waits for its end and plays again in the same debug session', async () => {
  await withAdapter({ runtime: { RUN_FOR: 'forever', ON_TERM: 'exit' } }, async (client, project) => {
    await launch(client, { project: project.dir });
    await waitForOutput(client, 'stdout', 'fake-runtime: ready');
    await client.restartRequest({ arguments: { project: project.dir } });
    await new Promise((resolvePromise) => {
      const check = () => {
        if (events(client).filter((event) => event.event === 'process').length === 2) {
          client.removeListener('process', check);
          resolvePromise();
        }
      };
      client.on('process', check);
      check();
    });
    const names = eventNames(client);
    assert.ok(!names.includes('terminated'), `a restart is not the end of the debug session: ${names}`);
    assert.deepEqual(events(client).filter((event) => event.event === 'exited').map((event) => event.body.exitCode), [0]);
    const terminated = client.waitForEvent('terminated');
    await client.terminateRequest();
    await terminated;
    assertWellEnded(client);
    assert.equal(await disconnectAndExit(client), 0);
  });
});

test('launch while a server runs the project goes through the server; a second client attaching sees the same run', { timeout: 120_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const project = makeProject({ runtime: { RUN_FOR: 'forever', ON_TERM: 'exit' } });
  const server = spawn(BIN, ['serve', '--project', project.dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const serverExit = new Promise((resolvePromise) => server.on('exit', (code) => resolvePromise(code)));
  const launcher = await startAdapter();
  const watcher = await startAdapter();
  try {
    const ready = await new Promise((resolvePromise, reject) => {
      createInterface({ input: server.stdout }).once('line', (line) => resolvePromise(JSON.parse(line)));
      server.once('exit', () => reject(new Error('the server exited before it was ready')));
    });
    assert.equal(ready.kind, 'ready');

    // The server holds the project's lock, so only a launch through it can succeed.
    await launch(launcher, { project: project.dir });
    await waitForOutput(launcher, 'stdout', 'fake-runtime: ready');
    const pid = events(launcher).find((event) => event.event === 'process').body.systemProcessId;
    const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.equal(parent, server.pid, 'the runtime is the server\'s child');

    await watcher.initializeRequest();
    await Promise.all([watcher.configurationDoneRequest(), watcher.attachRequest({ project: project.dir })]);
    await waitForOutput(watcher, 'stdout', 'fake-runtime: ready');
    const seen = events(watcher).find((event) => event.event === 'process');
    assert.equal(seen.body.systemProcessId, pid);
    assert.equal(seen.body.startMethod, 'attach');

    const bothTerminated = Promise.all([launcher.waitForEvent('terminated'), watcher.waitForEvent('terminated')]);
    await launcher.terminateRequest();
    await bothTerminated;
    for (const client of [launcher, watcher]) {
      assert.deepEqual(events(client).filter((event) => event.event === 'exited').map((event) => event.body.exitCode), [0]);
      assertWellEnded(client);
    }
    assert.equal(await disconnectAndExit(watcher), 0);
    assert.equal(await disconnectAndExit(launcher), 0);
    assert.equal(alive(server.pid), true, 'the server outlives its clients');
  } finally {
    launcher.stopAdapter();
    watcher.stopAdapter();
    server.kill('SIGTERM');
    assert.equal(await serverExit, 0);
    project.remove();
  }
});

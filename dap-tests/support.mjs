// Running `prometeu-session dap` under @vscode/debugadapter-testsupport's DebugClient, on a
// temporary project whose build tools are the tests crate's `fake-tool` and whose runtime is
// its `fake-runtime` (see tests/it/cli/support.rs for the same set-up in Rust).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';

const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : resolve(import.meta.dirname, '..', 'target');
export const BIN = process.env.PROMETEU_SESSION_BIN ?? join(targetDir, 'debug', 'prometeu-session');
const FAKE_RUNTIME = join(targetDir, 'debug', 'fake-runtime');
const FAKE_TOOL = join(targetDir, 'debug', 'fake-tool');

/** How long a test waits for any one thing: generous for a loaded 2-core machine. */
export const PATIENCE = 60_000;

/**
 * A temporary project. `build`, `validate`, `pack`: fake-tool scripts; `runtime`: FAKE_RT_*
 * variables without the prefix; `stopGrace`: `[session] stop_grace`; `log`: lines for `[log]`;
 * `config`: the whole file instead.
 */
export function makeProject({ build = '', validate = '', pack = '', runtime = {}, stopGrace = '500ms', log = '', config } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'prometeu-dap-'));
  const runtimeEnv = Object.entries(runtime)
    .map(([key, value]) => `FAKE_RT_${key} = ${JSON.stringify(String(value))}`)
    .join(', ');
  const text = config ?? `[session]
stop_grace = ${JSON.stringify(stopGrace)}
pipe_grace = "100ms"

[log]
${log}

[runtime]
path = ${JSON.stringify(FAKE_RUNTIME)}
env = { ${runtimeEnv} }

[shipper]
build = [${JSON.stringify(FAKE_TOOL)}, "build"]
pack-validation = [${JSON.stringify(FAKE_TOOL)}, "pack-validation"]
pack = [${JSON.stringify(FAKE_TOOL)}, "pack"]
env = { FAKE_TOOL_BUILD = ${JSON.stringify(build)}, FAKE_TOOL_PACK_VALIDATION = ${JSON.stringify(validate)}, FAKE_TOOL_PACK = ${JSON.stringify(`${pack};manifest`)} }
`;
  writeFileSync(join(dir, 'prometeu-session.toml'), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A DebugClient on a fresh `prometeu-session dap`, recording every message it receives, in
 * order, in `client.received`.
 */
export async function startAdapter() {
  const client = new DebugClient(BIN, 'dap', 'prometeu', { env: { ...process.env, PROMETEU_SESSION_LOG: 'warn' } });
  client.defaultTimeout = PATIENCE;
  client.received = [];
  const dispatch = client.dispatch.bind(client);
  client.dispatch = (body) => {
    client.received.push(JSON.parse(body));
    dispatch(body);
  };
  await client.start();
  client.stderr = '';
  client._adapterProcess.stderr.on('data', (data) => { client.stderr += data.toString(); });
  return client;
}

/** Initialises and launches as VS Code does: `launch` is answered after `configurationDone`. */
export async function launch(client, args) {
  const [, response] = await Promise.all([client.configurationSequence(), client.launch(args)]);
  return response;
}

/** Every event received so far. */
export function events(client) {
  return client.received.filter((message) => message.type === 'event');
}

/** The `output` events received so far. */
export function outputs(client, category) {
  return events(client).filter(
    (event) => event.event === 'output' && (category === undefined || event.body.category === category),
  );
}

/** Resolves once an output of `category` containing `text` has arrived. */
export function waitForOutput(client, category, text) {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${category} output with ${JSON.stringify(text)}`)), PATIENCE);
    const check = () => {
      if (outputs(client, category).some((event) => event.body.output.includes(text))) {
        clearTimeout(timer);
        client.removeListener('output', check);
        resolvePromise();
      }
    };
    client.on('output', check);
    check();
  });
}

/** Whether a process exists and is not a zombie. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return true;
  }
}

/** Disconnects and waits for the adapter to exit by itself; resolves to its exit code. */
export function disconnectAndExit(client, args) {
  const exited = new Promise((resolvePromise) => {
    client._adapterProcess.on('exit', (code) => resolvePromise(code));
  });
  return client.disconnectRequest(args).then(() => exited);
}

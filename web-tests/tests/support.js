// What every test of the web workspace needs: a temporary project run by the fake tools, the
// real server binary on it (its ready line read from stdout), and Debian's chromium with a
// fresh profile, driven through playwright-core.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target');
export const BIN = process.env.PROMETEU_SESSION_BIN ?? path.join(TARGET, 'debug/prometeu-session');
const FAKE_RUNTIME = path.join(TARGET, 'debug/fake-runtime');
const FAKE_TOOL = path.join(TARGET, 'debug/fake-tool');
// Screenshots a person can look at after a run; `SCREENSHOTS_DIR=docs npm test` refreshes the
// ones the documentation shows, and a plain run leaves the repository untouched.
export const SCREENSHOTS = process.env.SCREENSHOTS_DIR
  ? path.resolve(process.env.SCREENSHOTS_DIR)
  : path.join(TARGET, 'web-screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const toml = (value) => JSON.stringify(value);

// A project whose steps are `fake-tool` scripts and whose runtime is `fake-runtime`
// (see tests/src/bin/fake-tool.rs and fake-runtime.rs for what the settings do).
export function makeProject({ build = '', validate = '', pack = '', runtime = {}, log = '', grace = '500ms' } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prometeu-web-'));
  const runtimeEnv = Object.entries(runtime)
    .map(([key, value]) => `FAKE_RT_${key} = ${toml(String(value))}`)
    .join(', ');
  const config = `[session]
stop_grace = ${toml(grace)}
pipe_grace = "100ms"

[log]
${log}

[runtime]
path = ${toml(FAKE_RUNTIME)}
env = { ${runtimeEnv} }

[shipper]
build = [${toml(FAKE_TOOL)}, "build"]
pack-validation = [${toml(FAKE_TOOL)}, "pack-validation"]
pack = [${toml(FAKE_TOOL)}, "pack"]
env = { FAKE_TOOL_BUILD = ${toml(build)}, FAKE_TOOL_PACK_VALIDATION = ${toml(validate)}, FAKE_TOOL_PACK = ${toml(`${pack};manifest`)} }
`;
  writeFileSync(path.join(dir, 'prometeu-session.toml'), config);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Starts `prometeu-session serve` on the project; resolves once its ready line is read.
export function startServer(project) {
  const child = spawn(BIN, ['serve', '--project', project.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before its ready line: ${stderr}`)));
    lines.once('line', (line) => {
      const ready = JSON.parse(line);
      resolve({
        ready,
        child,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((done) => child.once('exit', done));
          child.kill('SIGTERM');
          // A second signal kills every process of the run at once (a run may ignore SIGTERM).
          const again = setTimeout(() => child.kill('SIGTERM'), 3000);
          await exited;
          clearTimeout(again);
        },
      });
    });
  });
}

// Debian's chromium, headless, with a fresh profile and nothing that reaches the network.
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'prometeu-web-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A server on a new project and a logged-in page: what most tests start from.
export async function openWorkspace(setup, query = '') {
  const project = makeProject(setup);
  const server = await startServer(project);
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/favicon/.test(message.text())) errors.push(message.text());
  });
  await page.goto(server.ready.login_url);
  if (query !== '') await page.goto(`${server.ready.url}/${query}`);
  return {
    project,
    server,
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      await server.stop();
      project.remove();
    },
  };
}

// The server's own record of the run, without the page: `follow=false` over NDJSON.
export async function serverEvents(ready) {
  const { token } = JSON.parse(readFileSync(ready.server_file, 'utf8'));
  const response = await fetch(`${ready.url}/v1/events?follow=false`, {
    headers: { Accept: 'application/x-ndjson', Authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

// A TCP proxy in front of the server, so a test can cut the page's connections the way a
// network does. It rewrites the proxy's own `host:port` to the server's in what the browser
// sends, because the server (rightly) checks Host and Origin.
export async function startProxy(serverUrl) {
  const target = new URL(serverUrl);
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.on('data', (chunk) => upstream.write(chunk.toString('latin1').replaceAll(own, target.host), 'latin1'));
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const own = `127.0.0.1:${proxy.address().port}`;
  return {
    url: `http://${own}`,
    // Cuts every connection at once, as a dropped network does.
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    close() {
      this.cut();
      proxy.close();
    },
  };
}

// Waits until `check()` holds, as a person waits for the page to catch up; the page renders
// on animation frames, so what it shows settles a frame or two after the event that caused it.
export async function until(check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

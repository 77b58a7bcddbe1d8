// The login: the ready line's URL works once and never twice, the cookie it sets is HttpOnly
// and SameSite=Strict, every response carries the security headers, and a command sent with
// the cookie but without the page's Origin is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { launchBrowser, makeProject, startServer, until } from './support.js';

test('the login URL works once, and the page without it says how to log in', async () => {
  const project = makeProject();
  const server = await startServer(project);
  const browser = await launchBrowser();
  try {
    const { ready } = server;
    assert.match(ready.login_url, new RegExp(`^${ready.url}/login\\?code=[0-9a-f]{64}$`));

    const page = await browser.context.newPage();
    // Before logging in, the page holds nothing and says what to do.
    await page.goto(ready.url);
    await page.getByRole('alert').getByText('Not logged in.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Play' }).isDisabled(), true);

    const response = await page.goto(ready.login_url);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(response.status(), 200);
    await page.getByRole('status', { name: 'State' }).getByText('idle').waitFor();
    await page.getByRole('button', { name: 'Play' }).waitFor({ state: 'visible' });
    const play = page.getByRole('button', { name: 'Play', exact: true });
    await until(() => play.isEnabled(), 'Play is enabled once logged in');

    const [cookie] = await browser.context.cookies(ready.url);
    assert.equal(cookie.name, `prometeu_session_${new URL(ready.url).port}`);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read it');

    // Never twice: not in this browser, not in another.
    const again = await page.goto(ready.login_url);
    assert.equal(again.status(), 403);
    assert.match(await again.text(), /already used/);
    const other = await fetch(ready.login_url, { redirect: 'manual' });
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('set-cookie'), null);

    // Security headers on the page, its assets, the API and refusals alike.
    for (const path of ['/', '/assets/main.js', '/v1/session', '/login?code=nope', '/nothing']) {
      const answer = await fetch(`${ready.url}${path}`);
      assert.match(answer.headers.get('content-security-policy'), /^default-src 'self'/, path);
      assert.equal(answer.headers.get('referrer-policy'), 'no-referrer', path);
    }

    // The cookie lets GETs through; a POST with it must carry the server's own Origin.
    const jar = `${cookie.name}=${cookie.value}`;
    assert.equal((await fetch(`${ready.url}/v1/session`, { headers: { Cookie: jar } })).status, 200);
    assert.equal((await fetch(`${ready.url}/v1/session`, { headers: { Cookie: `${cookie.name}=wrong` } })).status, 401);
    const bare = await fetch(`${ready.url}/v1/stop`, { method: 'POST', headers: { Cookie: jar } });
    assert.equal(bare.status, 403);
    assert.match((await bare.json()).detail, /Origin/);
    const foreign = await fetch(`${ready.url}/v1/stop`, { method: 'POST', headers: { Cookie: jar, Origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
    const own = await fetch(`${ready.url}/v1/stop`, { method: 'POST', headers: { Cookie: jar, Origin: ready.url } });
    assert.equal(own.status, 200);
  } finally {
    await browser.close();
    await server.stop();
    project.remove();
  }
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from './fixtures';
import { USERS } from './env';
import { signIn } from './pages';

// Another site: 127.0.0.2 is a different host, so a different site, to the browser than the console on
// 127.0.0.1. It serves whatever page the running test puts in `html`.
let attacker: Server;
let attackerURL = '';
let html = '';

test.beforeAll(async () => {
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((ok) => attacker.listen(0, '127.0.0.2', ok));
  attackerURL = `http://127.0.0.2:${(attacker.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  attacker.closeAllConnections();
  await new Promise<void>((ok) => attacker.close(() => ok()));
});

/** A page that posts a form to url as soon as it loads; a text/plain form can carry a JSON body. */
function autoPost(url: string, json?: Record<string, string>) {
  let field = '';
  if (json) {
    // text/plain sends name=value: the name opens the JSON, the value closes it ({"…":"…","pad":"="}).
    const name = JSON.stringify({ ...json, pad: '' }).slice(0, -2);
    field = `<input type="hidden" name='${name}' value='"}'>`;
  }
  return `<!doctype html><title>Win a prize</title><form id="f" method="POST" action="${url}" enctype="text/plain">${field}</form>
<script>document.getElementById('f').submit()</script>`;
}

test.describe('pages of other sites', () => {
  test.use({ who: null });

  test('cannot sign the visitor into the attacker’s account (login CSRF)', async ({ page, baseURL }) => {
    const mallory = USERS.member; // an account the attacker owns
    html = autoPost(`${baseURL}/auth/login`, { email: mallory.email, password: mallory.password });
    const posted = page.waitForResponse(`${baseURL}/auth/login`);
    await page.goto(attackerURL);
    await posted;
    expect((await page.context().cookies(baseURL)).map((c) => c.name)).not.toContain('scopekeeper_session');
    await page.goto('/api-keys');
    await expect(page).toHaveURL(/\/login\?next=/);
  });

  test('cannot sign the visitor out', async ({ page, baseURL }) => {
    await page.goto('/login');
    await signIn(page, USERS.viewer.email, USERS.viewer.password);
    await expect(page).toHaveURL(/\/apis$/);
    html = autoPost(`${baseURL}/auth/logout`);
    // In another tab of the same browser; a 204 would not even navigate, so wait for the answer itself.
    const tab = await page.context().newPage();
    const posted = tab.waitForResponse(`${baseURL}/auth/logout`);
    await tab.goto(attackerURL, { waitUntil: 'commit' });
    await posted;
    await tab.close();
    expect((await page.context().cookies(baseURL)).map((c) => c.name)).toContain('scopekeeper_session');
    await page.goto('/apis');
    await expect(page.getByTestId('viewer-role')).toHaveText('Viewer');
  });

  test('next= after sign-in never leaves the origin, however it is spelled', async ({ page, baseURL }) => {
    for (const next of ['/\t/evil.test', '/\n/evil.test', '/\r\n/evil.test', '/\\evil.test', '/\t\\evil.test', '//evil.test',
      '/.//evil.test', '/%2e//evil.test', 'https:evil.test', 'https://evil.test/', '\\/evil.test', 'javascript:alert(1)']) {
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await signIn(page, USERS.access.email, USERS.access.password);
      await expect(page, JSON.stringify(next)).toHaveURL(`${baseURL}/apis`);
    }
  });
});

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as httpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, expect, shot, uniq } from './fixtures';
import { USERS, gql } from './env';
import { seedClient, signIn } from './pages';

// oauth2-proxy v7.15.6 in front of an upstream, configured with only the issuer, client ID and
// secret (plus what any deployment sets: addresses, a cookie secret, plain-HTTP cookies on
// loopback, the allowed email domains and redirect domain): the user signs in and consents in
// Chromium, the proxy refreshes the session with the refresh token, and signs out through the
// end_session_endpoint. Install: go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6
function proxyBinary(): string | undefined {
  if (process.env.OAUTH2_PROXY_BIN) return process.env.OAUTH2_PROXY_BIN;
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN']).toString().trim() || join(execFileSync('go', ['env', 'GOPATH']).toString().trim(), 'bin');
    const bin = join(gobin, 'oauth2-proxy');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => ok(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

test.describe('oauth2-proxy', () => {
  test.use({ who: null });
  let proxy: ChildProcess | undefined;
  let upstream: Server | undefined;
  test.afterEach(() => {
    proxy?.kill('SIGTERM');
    upstream?.close();
  });

  test('signs a user in through the consent screen, refreshes the session, signs out', async ({ page, ownerApi, baseURL }) => {
    const bin = proxyBinary();
    test.skip(!bin, 'oauth2-proxy is not installed: go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6 (or set OAUTH2_PROXY_BIN)');
    const [proxyPort, upPort] = [await freePort(), await freePort()];
    const proxyURL = `http://127.0.0.1:${proxyPort}`;
    // The upstream shows what the proxy passes on.
    upstream = httpServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ path: req.url, email: req.headers['x-forwarded-email'] ?? null, token: req.headers['x-forwarded-access-token'] ?? null }));
    }).listen(upPort, '127.0.0.1');

    const name = uniq('Wiki ');
    const { client, clientSecret } = await seedClient(ownerApi, { name, kind: 'WEB', redirectURIs: [`${proxyURL}/oauth2/callback`] });
    // oauth2-proxy sends no PKCE by default; it wants a verified email.
    await gql(ownerApi, `mutation($id: ID!, $bye: [String!]) { updateClient(id: $id, input: {requirePKCE: false, postLogoutRedirectURIs: $bye}) { id } }`, {
      id: client.id,
      bye: [`http://127.0.0.1:${upPort}/signed-out`],
    });
    const { data } = await gql(ownerApi, `query($e: String!) { users(where: {email: $e}) { edges { node { id } } } }`, { e: USERS.member.email });
    await gql(ownerApi, `mutation($id: ID!) { updateUser(id: $id, input: {emailVerified: true}) { id } }`, { id: data.users.edges[0].node.id });

    const issuer = `${baseURL}/o/acme`;
    proxy = spawn(bin!, [
      '--provider=oidc', `--oidc-issuer-url=${issuer}`, `--client-id=${client.clientId}`, `--client-secret=${clientSecret}`,
      `--http-address=127.0.0.1:${proxyPort}`, `--upstream=http://127.0.0.1:${upPort}/`, `--redirect-url=${proxyURL}/oauth2/callback`,
      '--cookie-secret=0123456789abcdef0123456789abcdef', '--cookie-secure=false', '--email-domain=*',
      `--whitelist-domain=${new URL(baseURL!).host}`, '--skip-provider-button', '--pass-access-token', '--cookie-refresh=2s',
    ], { stdio: 'inherit' });
    await expect.poll(async () => (await fetch(`${proxyURL}/ping`).catch(() => undefined))?.status ?? 0, { timeout: 30_000 }).toBe(200);

    await page.goto(`${proxyURL}/notes`);
    await expect(page).toHaveURL(/\/login\?next=/);
    await expect(page.getByRole('heading', { name: `Sign in to continue to ${name}` })).toBeVisible();
    await shot(page, 'oauth2-proxy-01-sign-in');
    await signIn(page, USERS.member.email, USERS.member.password);
    await expect(page).toHaveURL(/\/consent\?request=/);
    await expect(page.getByText('Your email address', { exact: true })).toBeVisible();
    await expect(page.getByText('Your name and username', { exact: true })).toBeVisible();
    await shot(page, 'oauth2-proxy-02-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page).toHaveURL(`${proxyURL}/notes`);
    const first = JSON.parse(await page.locator('body').innerText());
    expect(first.email).toBe(USERS.member.email);
    expect(first.token).toMatch(/^ska_/);

    // Past --cookie-refresh the proxy redeems its refresh token for new tokens (it decides by the
    // session's age at each request, so ask until it has).
    let second = first;
    await expect
      .poll(
        async () => {
          await page.waitForTimeout(1000);
          await page.reload();
          second = JSON.parse(await page.locator('body').innerText());
          return second.token;
        },
        { timeout: 20_000, intervals: [0] },
      )
      .not.toBe(first.token);
    expect(second.email).toBe(USERS.member.email);
    expect(second.token).toMatch(/^ska_/);

    // Sign out of the proxy and, through the end_session_endpoint, of Scopekeeper.
    const end = `${issuer}/oauth/logout?${new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: `http://127.0.0.1:${upPort}/signed-out`, state: 'bye' })}`;
    await page.goto(`${proxyURL}/oauth2/sign_out?rd=${encodeURIComponent(end)}`);
    await expect(page.getByRole('heading', { name: 'Sign out?' })).toBeVisible();
    await shot(page, 'oauth2-proxy-03-sign-out');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(`http://127.0.0.1:${upPort}/signed-out?state=bye`);
    await page.goto(`${proxyURL}/notes`);
    await expect(page).toHaveURL(/\/login\?next=/);
  });
});

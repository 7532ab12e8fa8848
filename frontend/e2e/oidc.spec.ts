import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, expect, shot, uniq } from './fixtures';
import { USERS, repoRoot } from './env';
import { seedApi, seedClient, seedScope, setClientScopes, signIn } from './pages';

// The whole authorization-code flow with real clients: the relying party in ./rp uses
// golang.org/x/oauth2 (PKCE S256) and verifies the ID token with go-oidc; the user signs in and
// consents in Chromium.

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

test.describe('OpenID Connect sign-in through the consent screen', () => {
  test.use({ who: null });
  let rp: ChildProcess | undefined;
  test.afterEach(() => rp?.kill('SIGTERM'));

  test('x/oauth2 + go-oidc complete the code flow and verify the ID token', async ({ page, ownerApi, baseURL }) => {
    const bin = join(repoRoot, 'test-output', 'rp');
    execFileSync('go', ['build', '-o', bin, './frontend/e2e/rp'], { cwd: repoRoot, stdio: 'inherit' });
    const rpAddr = `127.0.0.1:${await freePort()}`;

    const base = uniq('notes');
    const apiId = await seedApi(ownerApi, { name: base, displayName: 'Notes', basePath: `/${base}` });
    const read = await seedScope(ownerApi, { apiID: apiId, name: `${base}.notes.readonly`, displayName: 'Read your notes', description: 'See every note you wrote' });
    const modify = await seedScope(ownerApi, { apiID: apiId, name: `${base}.notes.modify`, displayName: 'Change your notes', description: 'Write and delete notes', emphasize: true });
    await seedScope(ownerApi, { apiID: apiId, name: `${base}_profile`, displayName: 'Your profile', description: 'Your name and email', required: true });
    const { client, clientSecret } = await seedClient(ownerApi, { name: uniq('Notebook '), kind: 'WEB', redirectURIs: [`http://${rpAddr}/callback`] });
    await setClientScopes(ownerApi, client.id, [read, modify]);

    rp = spawn(bin, ['--issuer', `${baseURL}/o/acme`, '--client-id', client.clientId, '--client-secret', clientSecret!, '--addr', rpAddr,
      '--scopes', `${base}.notes.readonly ${base}.notes.modify`], { stdio: 'inherit' });
    await expect.poll(async () => (await fetch(`http://${rpAddr}/start`, { redirect: 'manual' }).catch(() => undefined))?.status ?? 0, { timeout: 30_000 }).toBe(302);

    await page.goto(`http://${rpAddr}/start`);
    await expect(page).toHaveURL(/\/login\?next=/);
    await signIn(page, USERS.member.email, USERS.member.password);
    await expect(page).toHaveURL(/\/consent\?request=/);
    const items = page.getByRole('list', { name: 'Requested scopes' }).getByRole('listitem');
    await expect(items.first()).toContainText('Change your notes'); // emphasized first
    await expect(page.getByRole('checkbox', { name: 'Your profile' })).toBeDisabled(); // required: locked
    await shot(page, 'oidc-01-consent');
    await page.getByRole('checkbox', { name: 'Change your notes' }).uncheck();
    await page.getByRole('button', { name: 'Allow' }).click();

    await expect(page).toHaveURL(new RegExp(`^http://${rpAddr}/callback`));
    const result = JSON.parse(await page.locator('body').innerText());
    expect(result.error).toBeUndefined();
    expect(result.verified).toBe(true);
    expect(result.tokenType).toBe('Bearer');
    const granted = String(result.scope).split(' ');
    expect(granted).toContain(`${base}.notes.readonly`);
    expect(granted).toContain(`${base}_profile`); // required scopes come along
    expect(granted).not.toContain(`${base}.notes.modify`); // unticked on the consent screen
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { test, expect, shot, uniq } from './fixtures';
import { USERS } from './env';
import { seedApi, seedClient, seedScope, setClientScopes, signIn } from './pages';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

test.describe('consent', () => {
  test.use({ who: null });

  test('authorize → sign in → consent → back to the client with a code', async ({ page, ownerApi, baseURL }) => {
    const base = uniq('cal');
    const apiId = await seedApi(ownerApi, { name: base, displayName: 'Calendar', basePath: `/${base}` });
    const ids = [
      await seedScope(ownerApi, { apiID: apiId, name: `${base}.events.readonly`, displayName: 'See your events', description: 'Read your calendar events' }),
      await seedScope(ownerApi, { apiID: apiId, name: `${base}.events.modify`, displayName: 'Change your events', description: 'Create, edit and delete events', emphasize: true }),
    ];
    await seedScope(ownerApi, { apiID: apiId, name: `${base}_basic`, displayName: 'Basic calendar access', required: true });
    const redirect = `${baseURL}/e2e-callback`;
    const { client } = await seedClient(ownerApi, { name: uniq('Planner '), kind: 'WEB', redirectURIs: [redirect], description: 'Plans your week' });
    await setClientScopes(ownerApi, client.id, ids);

    const { challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirect,
      scope: `${base}.events.readonly ${base}.events.modify`,
      state: 'xyz123',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    await page.goto(`/o/acme/oauth/authorize?${q}`);
    await expect(page).toHaveURL(/\/login\?next=/);
    await signIn(page, USERS.member.email, USERS.member.password);

    await expect(page).toHaveURL(/\/consent\?request=/);
    await expect(page.getByRole('heading', { name: `${client.name} wants to access your account` })).toBeVisible();
    const items = page.getByRole('list', { name: 'Requested scopes' }).getByRole('listitem');
    await expect(items.first()).toContainText('Change your events');
    await shot(page, 'consent-01-screen');

    // Keep only the read scope.
    await page.getByRole('checkbox', { name: 'Change your events' }).uncheck();
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page).toHaveURL(/\/e2e-callback\?/);
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('xyz123');
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  test('Deny sends the user back with access_denied', async ({ page, ownerApi, baseURL }) => {
    const base = uniq('mail');
    const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
    const id = await seedScope(ownerApi, { apiID: apiId, name: `${base}.inbox.readonly`, displayName: 'Read your inbox' });
    const redirect = `${baseURL}/e2e-callback`;
    const { client } = await seedClient(ownerApi, { name: uniq('Mailer '), kind: 'WEB', redirectURIs: [redirect] });
    await setClientScopes(ownerApi, client.id, [id]);
    const q = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: redirect, scope: `${base}.inbox.readonly`, state: 's1', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    await page.goto(`/login?next=${encodeURIComponent(`/o/acme/oauth/authorize?${q}`)}`);
    await signIn(page, USERS.member.email, USERS.member.password);
    await expect(page).toHaveURL(/\/consent\?request=/);
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page).toHaveURL(/\/e2e-callback\?/);
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
  });

  test('an unknown request shows an error', async ({ page }) => {
    await page.goto('/login');
    await signIn(page, USERS.member.email, USERS.member.password);
    await expect(page).not.toHaveURL(/\/login/); // signed in before leaving the page
    await page.goto('/consent?request=999999');
    await expect(page.getByRole('alert')).toContainText('cannot be shown');
    await expect(page.getByRole('alert')).toContainText('does not exist');
    await shot(page, 'consent-02-unknown');
  });
});

import { test, expect, shot, uniq } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, nav } from './pages';

test('owner changes organisation settings', async ({ page, ownerApi }) => {
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Organisation settings' });
  await expect(form.getByLabel('Scopes per client')).toHaveValue('10');
  await shot(page, 'settings-01-page');
  try {
    await form.getByLabel('Scopes per client').fill('12');
    await form.getByRole('combobox', { name: 'Scope naming policy' }).click();
    await page.getByRole('option', { name: /^Dotted/ }).click();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Settings saved.')).toBeVisible();
    const org = await gql(ownerApi, '{ viewer { organisation { maxScopesPerClient namingPolicy namingExample } } }');
    expect(org.data.viewer.organisation).toMatchObject({ maxScopesPerClient: 12, namingPolicy: 'DOTTED' });
    // The naming guideline follows the policy.
    await expect(form.getByText(new RegExp(org.data.viewer.organisation.namingExample.replace(/\./g, '\\.'))).first()).toBeVisible();
    await shot(page, 'settings-02-saved');

    await form.getByLabel('Scopes per client').fill('0');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert')).toContainText('at least 1');
  } finally {
    await gql(ownerApi, 'mutation { updateOrganisation(input: { maxScopesPerClient: 10, namingPolicy: FREE }) { id } }');
  }
});

test('settings show the forward auth URL beside the issuer, and gateways can use it', async ({ page, ownerApi }) => {
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Organisation settings' });
  const org = await gql(ownerApi, '{ viewer { organisation { issuer forwardAuthURL } } }');
  const { issuer, forwardAuthURL } = org.data.viewer.organisation;
  expect(forwardAuthURL).toBe(`${issuer}/v1/forward-auth`);
  await expect(form.getByRole('textbox', { name: 'Issuer' })).toHaveValue(issuer);
  await expect(form.getByRole('textbox', { name: 'Forward auth URL' })).toHaveValue(forwardAuthURL);
  await form.getByRole('button', { name: 'Copy forward auth URL' }).click();
  await expect(form.getByRole('button', { name: 'Copy forward auth URL' })).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(forwardAuthURL);
  await shot(page, 'settings-06-forward-auth-url');

  // What a gateway asks without a credential is refused, with the challenge gateways pass on.
  const resp = await ownerApi.get(forwardAuthURL, { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/forums/threads' } });
  expect(resp.status()).toBe(401);
  expect(resp.headers()['www-authenticate']).toBe('Bearer error="invalid_token"');
});

test('owner lists, creates, changes and deletes users', async ({ page, ownerApi }) => {
  await page.goto('/users');
  await expect(page.getByRole('table', { name: 'Users' })).toContainText('viewer@acme.test');
  await page.getByRole('button', { name: 'Create user' }).click();
  const d = dialog(page, 'Create user');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('Enter an email and a password');
  const email = `${uniq('ada')}@acme.test`;
  await d.getByLabel('Email', { exact: false }).fill(email);
  await d.getByLabel('Display name').fill('Ada Lovelace');
  await d.getByRole('textbox', { name: 'Password', exact: true }).fill('a long enough password');
  await d.getByRole('combobox', { name: 'Role' }).click();
  await page.getByRole('option', { name: 'Access control' }).click();
  await shot(page, 'settings-03-create-user');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Create user');
  await page.getByLabel('Search users').fill(email);
  await expect(page.getByRole('combobox', { name: `Role of ${email}` })).toHaveValue('Access control');

  // The same email again is refused.
  await page.getByRole('button', { name: 'Create user' }).click();
  await d.getByLabel('Email', { exact: false }).fill(email);
  await d.getByRole('textbox', { name: 'Password', exact: true }).fill('a long enough password');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByText(/already|taken|exists/i).first()).toBeVisible();
  await shot(page, 'settings-04-duplicate-user');
  await d.getByRole('button', { name: 'Close', exact: true }).click();
  // The edits were not saved: closing asks first.
  await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
  await closedDialog(page, 'Create user');

  // Change the role, then delete the user.
  await page.getByRole('combobox', { name: `Role of ${email}` }).click();
  await page.getByRole('option', { name: 'Viewer' }).click();
  // The change waits for a confirmation that opens on Cancel.
  const rc = dialog(page, 'Change role');
  await expect(rc).toContainText(`Change ${email} from Access control to Viewer`);
  await expect(rc.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await shot(page, 'settings-05-change-role');
  await rc.getByRole('button', { name: `Change role of ${email}` }).click();
  await closedDialog(page, 'Change role');
  await expect(page.getByRole('status').filter({ hasText: `${email} is now Viewer` })).toBeVisible();
  await expect.poll(async () => (await gql(ownerApi, '{ users(where: { emailContainsFold: "' + email + '" }) { edges { node { role } } } }')).data.users.edges[0].node.role).toBe('VIEWER');
  await page.getByRole('button', { name: `Delete ${email}` }).click();
  await dialog(page, 'Delete user').getByRole('button', { name: `Delete ${email}` }).click();
  await closedDialog(page, 'Delete user');
  await expect(page.getByText('No users match')).toBeVisible();
  // Owners cannot delete themselves from here.
  await page.getByLabel('Search users').fill('owner@acme.test');
  await expect(page.getByRole('button', { name: 'Delete owner@acme.test' })).toHaveCount(0);
});

test.describe('as access control', () => {
  test.use({ who: 'access' });
  test('settings and users are read-only', async ({ page }) => {
    await page.goto('/settings');
    await expect(page.getByTestId('read-only-notice')).toContainText('Only owners');
    await expect(page.getByLabel('Scopes per client')).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
    await page.goto('/users');
    await expect(page.getByRole('button', { name: 'Create user' })).toHaveCount(0);
    await expect(nav(page).getByRole('link', { name: 'APIs' })).toBeVisible();
    await shot(page, 'settings-05-access-control');
  });
});

test('owner rotates the ID-token signing key and retires the previous one', async ({ page, ownerApi }) => {
  const org = await gql(ownerApi, '{ viewer { organisation { issuer } } }');
  const jwks = async () => {
    const set = await (await ownerApi.get(`${org.data.viewer.organisation.issuer}/oauth/jwks`)).json();
    return set.keys.map((k: { kid: string }) => k.kid).sort();
  };
  await jwks(); // the first key is made on first use
  const before = (await gql(ownerApi, '{ signingKeys { kid current } }')).data.signingKeys;
  const oldKid: string = before.find((k: { current: boolean }) => k.current).kid;

  await page.goto('/settings');
  const table = page.getByRole('table', { name: 'Signing keys' });
  await expect(table.getByRole('row', { name: new RegExp(oldKid) })).toContainText('Current');
  await page.getByRole('button', { name: 'Rotate key' }).click();
  const d = dialog(page, 'Rotate the signing key');
  await expect(d).toContainText('A new key signs ID tokens from now on');
  await d.getByRole('button', { name: 'Rotate key' }).click();
  await closedDialog(page, 'Rotate the signing key');

  const after = (await gql(ownerApi, '{ signingKeys { kid current } }')).data.signingKeys;
  const newKid: string = after.find((k: { current: boolean }) => k.current).kid;
  expect(newKid).not.toBe(oldKid);
  await expect(table.getByRole('row', { name: new RegExp(newKid) })).toContainText('Current');
  await expect(table.getByRole('row', { name: new RegExp(oldKid) })).toContainText('Published');
  expect(await jwks()).toEqual(expect.arrayContaining([oldKid, newKid]));
  await shot(page, 'settings-05-signing-keys-rotated');

  // The current key has no Retire button; the previous one does.
  await expect(page.getByRole('button', { name: `Retire key ${newKid}` })).toHaveCount(0);
  await page.getByRole('button', { name: `Retire key ${oldKid}` }).click();
  const r = dialog(page, 'Retire signing key');
  await expect(r).toContainText('no longer verify');
  await r.getByRole('button', { name: 'Retire' }).click();
  await closedDialog(page, 'Retire signing key');
  await expect(table.getByRole('row', { name: new RegExp(oldKid) })).toContainText('Retired');
  expect(await jwks()).not.toContain(oldKid);
  expect(await jwks()).toContain(newKid);
});

test.describe('signing keys as a viewer', () => {
  test.use({ who: 'viewer' });
  test('a viewer sees the keys but cannot rotate or retire them', async ({ page }) => {
    await page.goto('/settings');
    await expect(page.getByRole('table', { name: 'Signing keys' })).toContainText('Current');
    await expect(page.getByRole('button', { name: 'Rotate key' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Retire key/ })).toHaveCount(0);
  });
});

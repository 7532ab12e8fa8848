import { test, expect, expectAccessible, shot, uniq, PHONE } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, nav, openAssignScope, openClient, seedApi, seedClient, seedScope } from './pages';

test('create a client: the secret is shown once', async ({ page, context }) => {
  const name = uniq('Reporting ');
  await page.goto('/clients');
  await page.getByRole('button', { name: 'Create client' }).click();
  const d = dialog(page, 'Create client');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('Enter a name');
  await d.getByLabel('Name', { exact: false }).first().fill(name);
  await d.getByLabel('Description').fill('Nightly reports');
  await shot(page, 'clients-01-create');
  await d.getByRole('button', { name: 'Save' }).click();

  const s = dialog(page, `Client ${name} created`);
  await expect(s).toContainText('shown only once');
  const secret = (await s.getByTestId('secret-value').innerText()).trim();
  expect(secret.length).toBeGreaterThanOrEqual(32);
  await s.getByRole('button', { name: 'Copy client secret' }).click();
  await expect(s.getByRole('button', { name: 'Copy client secret' })).toHaveText('Copied');
  const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => secret);
  expect(clip).toBe(secret);
  await shot(page, 'clients-02-secret-once');
  await s.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  // Never again: not on the page, not after a reload.
  await page.getByRole('tab', { name: 'Details' }).click();
  await expect(page.getByText(secret)).toHaveCount(0);
  await expect(page.getByText('Shown only when created or rotated.')).toBeVisible();

  // Rotate.
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await dialog(page, 'Rotate client secret').getByRole('button', { name: 'Rotate secret' }).click();
  const r = dialog(page, 'New client secret');
  const rotated = (await r.getByTestId('secret-value').innerText()).trim();
  expect(rotated).not.toBe(secret);
  await r.getByRole('button', { name: 'Done' }).click();
  await shot(page, 'clients-03-details');
  void context;
});

test('assign scopes: grouped picker, n of 10, the 11th refused, ✖ removes, consent preview', async ({ page, ownerApi }) => {
  const base = uniq('crm');
  const apiId = await seedApi(ownerApi, { name: base, displayName: `CRM ${base}`, basePath: `/${base}` });
  const scopeNames: string[] = [];
  for (const entity of ['contacts', 'deals', 'notes', 'tasks', 'calls', 'files']) {
    for (const mod of ['readonly', 'modify']) scopeNames.push(`${base}.${entity}.${mod}`);
  }
  for (const n of scopeNames) await seedScope(ownerApi, { apiID: apiId, name: n, description: `Access to ${n}`, emphasize: n.endsWith('.modify') && n.includes('deals') });
  const req = `${base}_profile`;
  await seedScope(ownerApi, { apiID: apiId, name: req, required: true, displayName: 'Basic profile' });
  const deprecatedId = await seedScope(ownerApi, { apiID: apiId, name: `${base}.legacy.readonly` });
  await gql(ownerApi, `mutation($id: ID!) { updateScope(id: $id, input: { deprecated: true }) { id } }`, { id: deprecatedId });
  const { client } = await seedClient(ownerApi, { name: uniq('CRM sync '), kind: 'SERVICE', description: 'Syncs contacts' });

  await openClient(page, client.id);
  await expect(page.getByText('No scopes assigned')).toBeVisible();
  let d = await openAssignScope(page);
  await d.getByLabel('Search scopes').fill(base);
  await expect(d.getByRole('group', { name: `Group ${base}.contacts` })).toBeVisible();
  // Deprecated scopes are not offered.
  await expect(d.getByRole('checkbox', { name: `${base}.legacy.readonly` })).toHaveCount(0);
  await expect(d.getByTestId('scope-counter')).toHaveText('0 of 10');

  // Selecting a group selects its scopes.
  for (const entity of ['contacts', 'deals', 'notes', 'tasks', 'calls']) {
    await d.getByRole('checkbox', { name: `Select group ${base}.${entity}` }).click();
  }
  await expect(d.getByTestId('scope-counter')).toHaveText('10 of 10');
  await d.getByRole('checkbox', { name: `${base}.files.readonly` }).click();
  await expect(d.getByTestId('assign-scope-error')).toContainText('at most 10 scopes');
  await expect(d.getByRole('checkbox', { name: `${base}.files.readonly` })).not.toBeChecked();
  // A required scope does not count.
  await d.getByRole('checkbox', { name: req }).click();
  await expect(d.getByTestId('scope-counter')).toHaveText('10 of 10');
  await shot(page, 'clients-04-assign-limit');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, /Assign scope/);

  const assigned = page.getByRole('table', { name: 'Assigned scopes' });
  await expect(assigned.locator('tbody tr')).toHaveCount(11);
  await expect(page.getByTestId('scope-counter')).toHaveText('10 of 10');
  await shot(page, 'clients-05-scope-tab');

  // The server refuses an 11th too.
  const ids = await gql(ownerApi, `query($w: ScopeWhereInput) { scopes(first: 20, where: $w) { edges { node { id name } } } }`, { w: { apiID: apiId, deprecated: false } });
  const all = (ids.data.scopes.edges as { node: { id: string; name: string } }[]).map((e) => e.node).filter((s) => s.name !== req);
  const over = await gql(ownerApi, `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, { c: client.id, s: all.slice(0, 11).map((s) => s.id) }, true);
  expect(over.errors?.[0].extensions?.code).toBe('SCOPE_LIMIT_EXCEEDED');

  // ✖ stages the removal, like the picker: focus stays on the row's button, which now undoes it; Save applies.
  const removeModify = page.getByRole('button', { name: `Remove ${base}.calls.modify` });
  await removeModify.click();
  await expect(page.getByRole('button', { name: `Keep ${base}.calls.modify` })).toBeFocused();
  await expect(page.getByTestId('staged-changes')).toContainText(`Save removes 1 scope: ${base}.calls.modify`);
  await expect(page.getByTestId('scope-counter')).toHaveText('9 of 10');
  await shot(page, 'clients-05b-staged-removal');
  // Switching to another tab and back keeps what is staged.
  await page.getByRole('tab', { name: 'Details' }).click();
  await expect(page.getByText('The Scope tab has changes not saved yet')).toBeVisible();
  await page.getByRole('tab', { name: 'Scope', exact: true }).click();
  await expect(page.getByTestId('staged-changes')).toContainText(`${base}.calls.modify`);
  await page.getByTestId('staged-changes').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Scopes of ${client.name} saved: ${base}.calls.modify removed` })).toBeVisible();
  await expect(assigned.locator('tbody tr')).toHaveCount(10);
  await expect(page.getByTestId('scope-counter')).toHaveText('9 of 10');
  await expect(page.getByRole('button', { name: 'Assign scope' })).toBeFocused();

  // ✖ in the picker, applied on Save; Escape with a change not saved asks first.
  d = await openAssignScope(page);
  await d.getByRole('button', { name: `Remove ${base}.calls.readonly` }).click();
  await expect(d.getByTestId('scope-counter')).toHaveText('8 of 10');
  // Focus moves to the next selected scope's ✖, not to the page.
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '')).toMatch(/^Remove /);
  // The list's heading counts as the counter does: the required scope is apart.
  await expect(d.getByTestId('selected-heading')).toHaveText('Selected (8) + 1 required');
  await page.keyboard.press('Escape');
  const discard = dialog(page, 'Discard changes?');
  await expect(discard.getByRole('button', { name: 'Keep editing' })).toBeFocused();
  await discard.getByRole('button', { name: 'Keep editing' }).click();
  await expect(d.getByTestId('scope-counter')).toHaveText('8 of 10');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, /Assign scope/);
  await expect(page.getByTestId('scope-counter')).toHaveText('8 of 10');

  // Consent preview: emphasized first, required locked, no submit.
  await page.getByRole('tab', { name: 'Consent preview' }).click();
  const items = page.getByRole('list', { name: 'Requested scopes' }).getByRole('listitem');
  await expect(items.first()).toContainText(`${base}.deals.modify`);
  await expect(page.getByRole('checkbox', { name: 'Basic profile' })).toBeDisabled();
  await expect(page.getByRole('checkbox', { name: 'Basic profile' })).toBeChecked();
  await expect(page.getByRole('button', { name: 'Allow' })).toBeDisabled();
  await shot(page, 'clients-06-consent-preview');
});

test('the server refusing the limit (SCOPE_LIMIT_EXCEEDED) is shown; edit a client', async ({ page, ownerApi }) => {
  const base = uniq('hr');
  const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await seedScope(ownerApi, { apiID: apiId, name: `${base}.e${i}.readonly` }));
  const { client } = await seedClient(ownerApi, { name: uniq('HR sync '), kind: 'SERVICE' });
  await openClient(page, client.id);
  const d = await openAssignScope(page);
  await d.getByLabel('Search scopes').fill(base);
  for (let i = 0; i < 4; i++) await d.getByRole('checkbox', { name: `${base}.e${i}.readonly` }).click();
  await expect(d.getByTestId('scope-counter')).toHaveText('4 of 10');
  // Meanwhile an owner lowers the limit: the server refuses and nothing changes.
  await gql(ownerApi, 'mutation { updateOrganisation(input: { maxScopesPerClient: 3 }) { id } }');
  try {
    await d.getByRole('button', { name: 'Save' }).click();
    await expect(d.getByTestId('assign-scope-error')).toContainText('The server refused');
    await shot(page, 'clients-08-server-limit');
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    // The selection was not saved: closing asks before dropping it.
    await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
  } finally {
    await gql(ownerApi, 'mutation { updateOrganisation(input: { maxScopesPerClient: 10 }) { id } }');
  }
  await expect(page.getByText('No scopes assigned')).toBeVisible();

  // Edit.
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const e = dialog(page, 'Edit client');
  await e.getByLabel('Description').fill('Syncs people');
  await e.getByRole('switch', { name: 'Enabled' }).click({ force: true });
  await e.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Edit client');
  await expect(page.getByText('Disabled', { exact: true })).toBeVisible();
});

test('web client needs a redirect URI; delete a client', async ({ page }) => {
  const name = uniq('Portal ');
  await page.goto('/clients');
  await page.getByRole('button', { name: 'Create client' }).click();
  const d = dialog(page, 'Create client');
  await d.getByLabel('Name', { exact: false }).first().fill(name);
  await d.getByRole('combobox', { name: 'Kind' }).click();
  await page.getByRole('option', { name: /Browser app/ }).click();
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('redirect URI');
  await d.getByLabel('Redirect URIs').fill('https://portal.example/callback');
  await d.getByRole('button', { name: 'Save' }).click();
  const s = dialog(page, `Client ${name} created`);
  await expect(s).toContainText('no secret');
  await s.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();

  await page.getByRole('button', { name: 'Delete' }).click();
  await dialog(page, 'Delete client').getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/clients$/);
});

test('deleting a client with staged scope changes leaves without asking to discard them', async ({ page, ownerApi }) => {
  const base = uniq('gone');
  const apiID = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
  const scope = await seedScope(ownerApi, { apiID, name: `${base}.items.readonly` });
  const { client } = await seedClient(ownerApi, { name: uniq('Doomed '), kind: 'SERVICE' });
  await gql(ownerApi, `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, { c: client.id, s: [scope] });
  await page.goto(`/clients/${client.id}/scopes`);
  await page.getByRole('button', { name: `Remove ${base}.items.readonly` }).click();
  await expect(page.getByTestId('staged-changes')).toBeVisible();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await dialog(page, 'Delete client').getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/clients$/);
  await expect(dialog(page, 'Discard changes?')).toHaveCount(0);
});

test.describe('as a viewer', () => {
  test.use({ who: 'viewer' });
  test('no edit controls on clients', async ({ page, ownerApi }) => {
    const { client } = await seedClient(ownerApi, { name: uniq('Viewed '), kind: 'SERVICE' });
    await page.goto('/clients');
    await expect(page.getByRole('button', { name: 'Create client' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^(Edit|Delete|Assign scope)/ })).toHaveCount(0);
    await openClient(page, client.id);
    await expect(page.getByRole('button', { name: 'Assign scope' })).toHaveCount(0);
    await openClient(page, client.id, 'details');
    await expect(page.getByRole('button', { name: 'Rotate secret' })).toHaveCount(0);
    await shot(page, 'clients-07-viewer');
  });
});

test('Add Scope on a client’s Scope tab creates the scope in the chosen API and stages it; one Save assigns the staged set', async ({ page, ownerApi }) => {
  const base = uniq('rep');
  const apiId = await seedApi(ownerApi, { name: base, displayName: `Reporting ${base}`, basePath: `/${base}` });
  const old = await seedScope(ownerApi, { apiID: apiId, name: `${base}.old.read` });
  const { client } = await seedClient(ownerApi, { name: uniq('Reports '), kind: 'SERVICE' });
  await gql(ownerApi, `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, { c: client.id, s: [old] });
  await openClient(page, client.id);
  // A removal staged first is applied by the same Save, and the tab says so before it.
  await page.getByRole('button', { name: `Remove ${base}.old.read` }).click();
  await page.getByRole('button', { name: 'Add Scope' }).click();
  const d = dialog(page, 'Add Scope');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('Choose the API');
  await d.getByRole('combobox', { name: 'API' }).click();
  await page.getByRole('option', { name: `Reporting ${base}` }).click();
  await d.getByRole('textbox', { name: 'Name', exact: true }).fill(`${base}.reports.read`);
  await d.getByLabel('Description').fill('Grants read-only access to reports');
  await shot(page, 'clients-09-add-scope');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Add Scope');
  await expect(page.getByRole('status').filter({ hasText: `Scope ${base}.reports.read created; Save on the Scope tab assigns it to ${client.name}` })).toBeVisible();
  const staged = page.getByTestId('staged-changes');
  await expect(staged).toContainText(`Save assigns 1 scope: ${base}.reports.read`);
  await expect(staged).toContainText(`Save removes 1 scope: ${base}.old.read`);
  // Created, not yet assigned.
  const before = await gql(ownerApi, `query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }`, { id: client.id });
  expect(before.data.node.scopes.map((x: { name: string }) => x.name)).toEqual([`${base}.old.read`]);
  await shot(page, 'clients-10-add-scope-staged');
  // A network drop during Save keeps what is staged, with the error; Save again applies it.
  await page.route('**/graphql', (route) => route.abort('internetdisconnected'));
  await staged.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Could not reach the server' })).toBeVisible();
  await expect(staged).toContainText(`Save assigns 1 scope: ${base}.reports.read`);
  await page.unroute('**/graphql');
  await staged.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Scopes of ${client.name} saved: ${base}.reports.read added; ${base}.old.read removed` })).toBeVisible();
  await expect(page.getByTestId('staged-changes')).toHaveCount(0);
  const after = await gql(ownerApi, `query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }`, { id: client.id });
  expect(after.data.node.scopes.map((x: { name: string }) => x.name)).toEqual([`${base}.reports.read`]);
});

for (const [label, viewport] of [['desktop', null], ['phone', PHONE]] as const) {
  test(`staged scope changes are never dropped silently: leaving asks, Assign scope starts from them (${label})`, async ({ page, ownerApi }) => {
    if (viewport) await page.setViewportSize(viewport);
    const base = uniq('stg');
    const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
    const a = await seedScope(ownerApi, { apiID: apiId, name: `${base}.a.read` });
    await seedScope(ownerApi, { apiID: apiId, name: `${base}.b.read` });
    const { client } = await seedClient(ownerApi, { name: uniq('Staged '), kind: 'SERVICE' });
    await gql(ownerApi, `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, { c: client.id, s: [a] });
    await openClient(page, client.id);
    await page.getByRole('button', { name: `Remove ${base}.a.read` }).click();
    await expect(page.getByTestId('staged-changes')).toBeVisible();

    // In-app navigation elsewhere asks; "Keep editing" (focused) stays with the changes.
    if (viewport) await page.getByRole('button', { name: 'Open navigation' }).click();
    await nav(page).getByRole('link', { name: 'APIs' }).click();
    const ask = dialog(page, 'Discard changes?');
    await expect(ask).toContainText(`${base}.a.read removed`);
    await expect(ask.getByRole('button', { name: 'Keep editing' })).toBeFocused();
    await expectAccessible(page, `discard staged scope changes (${label})`);
    await shot(page, `clients-11-leave-asks-${label}`);
    await ask.getByRole('button', { name: 'Keep editing' }).click();
    await closedDialog(page, 'Discard changes?');
    await expect(page).toHaveURL(new RegExp(`/clients/${client.id}`));
    await expect(page.getByTestId('staged-changes')).toContainText(`${base}.a.read`);

    // Assign scope starts from the staged set, says so, and its Save applies it.
    const d = await openAssignScope(page);
    await expect(d.getByTestId('assign-includes-staged')).toContainText(`${base}.a.read removed`);
    await d.getByLabel('Search scopes').fill(base);
    await d.getByRole('checkbox', { name: `${base}.b.read` }).click();
    await d.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, /Assign scope/);
    await expect(page.getByRole('status').filter({ hasText: `Scopes of ${client.name} saved: ${base}.b.read added; ${base}.a.read removed` })).toBeVisible();
    await expect(page.getByTestId('staged-changes')).toHaveCount(0);

    // With nothing staged, navigation does not ask; with a change, Discard leaves.
    await page.getByRole('button', { name: `Remove ${base}.b.read` }).click();
    if (viewport) await page.getByRole('button', { name: 'Open navigation' }).click();
    await nav(page).getByRole('link', { name: 'APIs' }).click();
    await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
    await expect(page).toHaveURL(/\/apis$/);
    const now = await gql(ownerApi, `query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }`, { id: client.id });
    expect(now.data.node.scopes.map((x: { name: string }) => x.name)).toEqual([`${base}.b.read`]);
  });
}

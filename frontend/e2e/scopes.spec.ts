import { test, expect, shot, uniq } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, fillScopeDialog, openAddScope, openApi, scopeRow, searchScopes, seedApi, seedClient, seedScope, setClientScopes, setOrganisation } from './pages';

test.describe('scopes', () => {
  let apiId: string;
  let base: string;

  test.beforeEach(async ({ ownerApi }) => {
    base = uniq('forums');
    apiId = await seedApi(ownerApi, { name: base, displayName: 'Forums', basePath: `/${base}` });
  });

  test('add a scope: empty form, success, duplicate, naming policy', async ({ page, ownerApi }) => {
    await openApi(page, apiId);
    await expect(page.getByText('No scopes yet')).toBeVisible();
    await shot(page, 'scopes-01-empty');

    let d = await openAddScope(page);
    const org = await gql(ownerApi, '{ viewer { organisation { namingExample } } }');
    await expect(d).toContainText(org.data.viewer.organisation.namingExample);
    await d.getByRole('button', { name: 'Save' }).click();
    await expect(d.getByRole('alert')).toContainText('Name is required');
    await shot(page, 'scopes-02-empty-submit');

    const name = `${base}.threads.readonly`;
    await fillScopeDialog(d, { name, displayName: 'Read threads', description: 'Read forum threads', emphasize: true });
    await shot(page, 'scopes-03-add-dialog');
    await d.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, 'API Scope');
    const row = scopeRow(page, name);
    await expect(row).toBeVisible();
    await expect(row.getByRole('cell')).toHaveText([name, 'Read threads', 'Read forum threads', 'No', 'Yes', '', 'EditDelete']);

    // Duplicate name (case-insensitive) → CONFLICT beside Name.
    d = await openAddScope(page);
    await fillScopeDialog(d, { name: name.toUpperCase() });
    await d.getByRole('button', { name: 'Save' }).click();
    const nameInput = d.getByRole('textbox', { name: 'Name', exact: true });
    await expect(nameInput).toHaveAttribute('aria-invalid', 'true');
    await shot(page, 'scopes-04-duplicate');
    // The error goes once the field is changed.
    await nameInput.fill(`${name}.other`);
    await expect(nameInput).not.toHaveAttribute('aria-invalid', 'true');
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    // The edits were not saved: closing asks first.
    await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
    await closedDialog(page, 'API Scope');

    // Naming policy → VALIDATION_FAILED on name, with a valid example.
    await setOrganisation(ownerApi, { namingPolicy: 'SNAKE_CASE' });
    try {
      await page.reload();
      d = await openAddScope(page);
      const snake = await gql(ownerApi, '{ viewer { organisation { namingExample } } }');
      await expect(d).toContainText(snake.data.viewer.organisation.namingExample);
      await fillScopeDialog(d, { name: 'Not-Snake.Case' });
      await d.getByRole('button', { name: 'Save' }).click();
      await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toHaveAttribute('aria-invalid', 'true');
      await shot(page, 'scopes-05-naming-policy');
      await d.getByRole('button', { name: 'Close', exact: true }).click();
      // The edits were not saved: closing asks first.
      await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
    } finally {
      await setOrganisation(ownerApi, { namingPolicy: 'FREE' });
    }
  });

  test('the API Scope dialog works from the keyboard alone', async ({ page }) => {
    await openApi(page, apiId);
    await page.getByRole('button', { name: 'Add Scope' }).focus();
    await page.keyboard.press('Enter');
    const d = dialog(page, 'API Scope');
    await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toBeFocused();
    const name = `${base}.kb.readonly`;
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    await expect(d.getByLabel('Display Name')).toBeFocused();
    await page.keyboard.type('Keyboard scope');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // Required
    await d.getByLabel('Display Name').focus();
    await page.keyboard.press('Enter'); // submits the form
    await closedDialog(page, 'API Scope');
    await expect(scopeRow(page, name).getByRole('cell').nth(3)).toHaveText('Yes');
    // Escape closes without saving.
    await page.getByRole('button', { name: 'Add Scope' }).focus();
    await page.keyboard.press('Enter');
    await expect(dialog(page, 'API Scope')).toBeVisible();
    await page.keyboard.press('Escape');
    await closedDialog(page, 'API Scope');
  });

  test('edit a scope with Name read-only; toggle discovery', async ({ page, ownerApi }) => {
    const name = `${base}.posts.modify`;
    await seedScope(ownerApi, { apiID: apiId, name, displayName: 'Post', showInDiscoveryDocument: false });
    await openApi(page, apiId);
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    const d = dialog(page, 'API Scope');
    await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toHaveAttribute('readonly', '');
    await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toHaveValue(name);
    await d.getByLabel('Display Name').fill('Write posts');
    await d.getByRole('checkbox', { name: 'Required' }).check();
    await shot(page, 'scopes-06-edit-dialog');
    await d.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, 'API Scope');
    await expect(scopeRow(page, name).getByRole('cell').nth(1)).toHaveText('Write posts');
    await expect(scopeRow(page, name).getByRole('cell').nth(3)).toHaveText('Yes');

    const toggle = page.getByRole('switch', { name: `Show ${name} in discovery` });
    await expect(toggle).not.toBeChecked();
    await toggle.click({ force: true });
    await expect(toggle).toBeChecked();
    await expect(toggle).toBeEnabled();
    const doc = await gql(ownerApi, '{ discoveryDocument }');
    expect(doc.data.discoveryDocument.scopes_supported).toContain(name);
  });

  test('deleting a scope in use says by whom; an unused one is deleted', async ({ page, ownerApi }) => {
    const used = `${base}.threads.modify`;
    const unused = `${base}.drafts.modify`;
    const usedId = await seedScope(ownerApi, { apiID: apiId, name: used });
    await seedScope(ownerApi, { apiID: apiId, name: unused });
    const client = await seedClient(ownerApi, { name: uniq('Forum bot '), kind: 'SERVICE' });
    await setClientScopes(ownerApi, client.client.id, [usedId]);

    await openApi(page, apiId);
    await page.getByRole('button', { name: `Delete ${used}` }).click();
    const d = dialog(page, 'Delete scope');
    await expect(d.getByTestId('scope-in-use')).toBeVisible();
    await expect(d.getByTestId('scope-in-use')).toContainText(client.client.name);
    await expect(d.getByRole('button', { name: 'Delete' })).toBeDisabled();
    await shot(page, 'scopes-07-delete-in-use');
    await d.getByRole('button', { name: 'Cancel' }).click();
    await closedDialog(page, 'Delete scope');

    // The server refuses it too, with SCOPE_IN_USE naming the client.
    const res = await gql(ownerApi, `mutation($id: ID!) { deleteScope(id: $id) }`, { id: usedId }, true);
    expect(res.errors?.[0].extensions?.code).toBe('SCOPE_IN_USE');
    expect(JSON.stringify(res.errors?.[0].extensions?.usedBy)).toContain(client.client.name);

    await page.getByRole('button', { name: `Delete ${unused}` }).click();
    const d2 = dialog(page, 'Delete scope');
    await expect(d2).toContainText(`Delete the scope ${unused}?`);
    await shot(page, 'scopes-08-delete-confirm');
    await d2.getByRole('button', { name: 'Delete' }).click();
    await closedDialog(page, 'Delete scope');
    await expect(scopeRow(page, unused)).toHaveCount(0);
    await expect(scopeRow(page, used)).toBeVisible();
  });

  test('long lists are searched, sorted and paged on the server', async ({ page, ownerApi }) => {
    const names: string[] = [];
    for (let i = 0; i < 60; i++) names.push(`${base}.e${String(i).padStart(3, '0')}.readonly`);
    // Seed in one request: 60 aliased mutations.
    const mutation = `mutation { ${names.map((n, i) => `s${i}: createScope(input: { apiID: "${apiId}", name: "${n}", displayName: "Entity ${i}" }) { id }`).join(' ')} }`;
    await gql(ownerApi, mutation);

    await openApi(page, apiId);
    await expect(page.getByText('1–25 of 60 scopes')).toBeVisible();
    await expect(page.getByRole('table', { name: 'Scopes' }).locator('tbody tr')).toHaveCount(25);
    await expect(scopeRow(page, names[0])).toBeVisible();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByText('26–50 of 60 scopes')).toBeVisible();
    await expect(scopeRow(page, names[25])).toBeVisible();
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect(page.getByText('1–25 of 60 scopes')).toBeVisible();

    await page.getByRole('combobox', { name: 'Sort by' }).click();
    await page.getByRole('option', { name: 'Name (Z–A)' }).click();
    await expect(page.getByRole('table', { name: 'Scopes' }).locator('tbody tr').first()).toHaveAttribute('data-scope', names[59]);

    await searchScopes(page, 'E04');
    await expect(page.getByText('1–10 of 10 scopes')).toBeVisible();
    await shot(page, 'scopes-09-search');
  });
});

test.describe('as a viewer', () => {
  test.use({ who: 'viewer' });
  test('sees scopes but no edit controls', async ({ page, ownerApi }) => {
    const name = uniq('ro');
    const apiId = await seedApi(ownerApi, { name, basePath: `/${name}` });
    await seedScope(ownerApi, { apiID: apiId, name: `${name}.things.readonly` });
    await openApi(page, apiId);
    await expect(scopeRow(page, `${name}.things.readonly`)).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add Scope' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^(Edit|Delete) / })).toHaveCount(0);
    await expect(page.getByRole('switch', { name: `Show ${name}.things.readonly in discovery` })).toBeDisabled();
    await shot(page, 'scopes-10-viewer');
  });
});

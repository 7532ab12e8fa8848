import { test, expect, shot, uniq } from './fixtures';
import { closedDialog, dialog, openApisPage, seedApi, seedClient, seedScope, setClientScopes } from './pages';

test('create, edit, search and delete an API', async ({ page }) => {
  const name = uniq('billing');
  await openApisPage(page);
  await shot(page, 'apis-01-list');

  await page.getByRole('button', { name: 'Create API' }).click();
  const d = dialog(page, 'Create API');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('Enter a name');

  await d.getByLabel('Name', { exact: false }).first().fill(name);
  await d.getByLabel('Display Name').fill('Billing API');
  await d.getByLabel('Description').fill('Invoices and payments');
  await d.getByLabel('Base path').fill('/billing');
  await shot(page, 'apis-02-create-dialog');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Create API');
  // Creating opens the new API.
  await expect(page.getByRole('heading', { name: 'Billing API' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Scopes', selected: true })).toBeVisible();

  await page.getByRole('button', { name: 'Edit API' }).click();
  const e = dialog(page, 'Edit API');
  await e.getByLabel('Display Name').fill('Billing and Payments');
  await e.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Edit API');
  await expect(page.getByRole('heading', { name: 'Billing and Payments' })).toBeVisible();

  await openApisPage(page);
  await page.getByLabel('Search APIs').fill(name);
  const table = page.getByRole('table', { name: 'APIs' });
  await expect(table.getByRole('row')).toHaveCount(2);
  // The documented path: APIs → Edit opens the API on its Scopes tab.
  await table.getByRole('link', { name: `Edit ${name}` }).click();
  await expect(page).toHaveURL(/\/apis\/[^/]+\/scopes$/);
  await expect(page.getByRole('tab', { name: 'Scopes', selected: true })).toBeVisible();
  await openApisPage(page);
  await page.getByLabel('Search APIs').fill(name);
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const c = dialog(page, 'Delete API');
  await expect(c).toContainText(name);
  // The impact is shown before the click.
  await expect(c.getByTestId('api-impact')).toContainText('0 scopes will be deleted; none is assigned to a client.');
  await expect(c.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await c.getByRole('button', { name: `Delete ${name}` }).click();
  await closedDialog(page, 'Delete API');
  await expect(page.getByText('No API matches your search')).toBeVisible();
});

test('a duplicate API name is refused beside the field', async ({ page, ownerApi }) => {
  const name = uniq('dup');
  await seedApi(ownerApi, { name, basePath: `/${name}` });
  await openApisPage(page);
  await page.getByRole('button', { name: 'Create API' }).click();
  const d = dialog(page, 'Create API');
  await d.getByLabel('Name', { exact: false }).first().fill(name);
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toHaveAttribute('aria-invalid', 'true');
  // Focus goes to the field to fix.
  await expect(d.getByRole('textbox', { name: 'Name', exact: true })).toBeFocused();
  await shot(page, 'apis-03-duplicate');
  await d.getByRole('button', { name: 'Close', exact: true }).click();
});

test.describe('as a viewer', () => {
  test.use({ who: 'viewer' });
  test('no edit controls', async ({ page, ownerApi }) => {
    await seedApi(ownerApi, { name: uniq('viewed'), basePath: '/viewed' });
    await openApisPage(page);
    await expect(page.getByTestId('viewer-role')).toHaveText('Viewer');
    await expect(page.getByTestId('read-only-notice')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create API' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^(Edit|Delete) / })).toHaveCount(0);
    await shot(page, 'apis-04-viewer');
  });
});

test('deleting an API says which clients lose its scopes', async ({ page, ownerApi }) => {
  const name = uniq('impact');
  const apiId = await seedApi(ownerApi, { name, basePath: `/${name}` });
  const used = await seedScope(ownerApi, { apiID: apiId, name: `${name}.orders.readonly` });
  await seedScope(ownerApi, { apiID: apiId, name: `${name}.orders.modify` });
  const { client } = await seedClient(ownerApi, { name: uniq('Shop '), kind: 'SERVICE' });
  await setClientScopes(ownerApi, client.id, [used]);
  await openApisPage(page);
  await page.getByLabel('Search APIs').fill(name);
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const c = dialog(page, 'Delete API');
  await expect(c.getByTestId('api-impact')).toContainText('2 scopes will be deleted; 1 of them is assigned to clients, which lose them:');
  await expect(c.getByRole('list', { name: 'Scopes in use' })).toContainText(`${name}.orders.readonly — ${client.name}`);
  await shot(page, 'apis-04-delete-impact');
  await c.getByRole('button', { name: 'Cancel' }).click();
  await closedDialog(page, 'Delete API');
});

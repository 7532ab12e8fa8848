import { test, expect, shot, uniq } from './fixtures';
import { closedDialog, dialog, openApi, seedApi, seedScope } from './pages';

test('endpoints: add with scopes, path rules, edit, delete', async ({ page, ownerApi }) => {
  const name = uniq('shop');
  const apiId = await seedApi(ownerApi, { name, displayName: 'Shop', basePath: `/${name}` });
  const ro = `${name}.orders.readonly`;
  const mod = `${name}.orders.modify`;
  await seedScope(ownerApi, { apiID: apiId, name: ro });
  await seedScope(ownerApi, { apiID: apiId, name: mod });

  await openApi(page, apiId, 'endpoints');
  await expect(page.getByText('No endpoints yet')).toBeVisible();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  let d = dialog(page, 'Add endpoint');
  // A path outside the base path is refused before the server is asked.
  await d.getByRole('textbox', { name: 'Path' }).fill('/elsewhere/orders');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText(`base path /${name}`);

  await d.getByRole('textbox', { name: 'Path' }).fill(`/${name}/orders/{id}`);
  const scopes = d.getByRole('combobox', { name: 'Scopes' });
  await scopes.click();
  await scopes.fill('orders.readonly');
  await page.getByRole('option', { name: ro }).click();
  await page.keyboard.press('Escape');
  await shot(page, 'endpoints-01-add');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Add endpoint');
  const table = page.getByRole('table', { name: 'Endpoints' });
  const row = table.getByRole('row', { name: new RegExp(`GET /${name}/orders/\\{id\\}`) });
  await expect(row).toContainText(ro);

  // A readonly scope cannot be linked to a POST endpoint.
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  d = dialog(page, 'Add endpoint');
  await d.getByRole('combobox', { name: 'Method' }).click();
  await page.getByRole('option', { name: 'POST' }).click();
  await d.getByRole('textbox', { name: 'Path' }).fill(`/${name}/orders`);
  await d.getByRole('combobox', { name: 'Scopes' }).click();
  await d.getByRole('combobox', { name: 'Scopes' }).fill('orders.readonly');
  await page.getByRole('option', { name: ro }).click();
  await page.keyboard.press('Escape');
  await d.getByRole('button', { name: 'Save' }).click();
  await expect(d.getByRole('alert')).toContainText('readonly');
  // Use the modify scope instead.
  await d.getByRole('button', { name: 'Close', exact: true }).click();
  // The edits were not saved: closing asks first.
  await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
  await closedDialog(page, 'Add endpoint');

  await page.getByRole('button', { name: `Edit GET /${name}/orders/{id}` }).click();
  d = dialog(page, 'Edit endpoint');
  await d.getByRole('combobox', { name: 'Scopes' }).click();
  await d.getByRole('combobox', { name: 'Scopes' }).fill('orders.modify');
  await page.getByRole('option', { name: mod }).click();
  await page.keyboard.press('Escape');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Edit endpoint');
  await expect(row).toContainText(mod);
  await shot(page, 'endpoints-02-list');

  await page.getByRole('button', { name: `Delete GET /${name}/orders/{id}` }).click();
  await dialog(page, 'Delete endpoint').getByRole('button', { name: 'Delete' }).click();
  await closedDialog(page, 'Delete endpoint');
  await expect(page.getByText('No endpoints yet')).toBeVisible();
});

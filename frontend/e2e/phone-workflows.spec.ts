import type { Page } from '@playwright/test';
import { test, expect, expectAccessible, shot, uniq, PHONE } from './fixtures';
import { closedDialog, dialog, fillScopeDialog, scopeRow, seedApi, seedClient, searchScopes } from './pages';

// The product documents' workflows, as a new admin would follow them on a 390×844 phone, with axe on
// every screen and dialog on the way (0 serious/critical) and a screenshot of each.
test.use({ viewport: PHONE });
// Many axe runs on a shared machine.
test.setTimeout(180_000);

async function look(page: Page, name: string) {
  await expectAccessible(page, `${name} (phone)`);
  await shot(page, `phone-${name}`);
  // Nothing scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} fits 390 px`).toBeLessThanOrEqual(PHONE.width);
}

test('API scopes admin guide: APIs → Edit → Scopes tab → Add Scope, Edit, Delete', async ({ page, ownerApi }) => {
  const base = uniq('guide');
  await seedApi(ownerApi, { name: base, displayName: `Guide ${base}`, basePath: `/${base}` });
  await page.goto('/apis');
  await expect(page.getByRole('heading', { name: 'APIs', level: 1 })).toBeVisible();
  await look(page, 'guide-apis');
  // "Click on the Edit option for the API": the API's page opens on its Scopes tab.
  await page.getByRole('link', { name: `Edit ${base}` }).click();
  await expect(page.getByRole('tab', { name: 'Scopes', selected: true })).toBeVisible();
  await look(page, 'guide-api-scopes');

  await page.getByRole('button', { name: 'Add Scope' }).click();
  const d = dialog(page, 'API Scope');
  await fillScopeDialog(d, { name: `${base}.reports.read`, description: 'Grants read-only access to reports' });
  await look(page, 'guide-add-scope');
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'API Scope');
  await expect(page.getByRole('status').filter({ hasText: `${base}.reports.read` })).toBeVisible();
  await expect(scopeRow(page, `${base}.reports.read`)).toBeVisible();

  await page.getByRole('button', { name: `Edit ${base}.reports.read` }).click();
  const e = dialog(page, 'API Scope');
  await e.getByLabel('Display Name').fill('Read reports');
  await e.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'API Scope');
  await expect(scopeRow(page, `${base}.reports.read`).getByRole('cell').nth(1)).toHaveText('Read reports');

  await page.getByRole('button', { name: `Delete ${base}.reports.read` }).click();
  const del = page.getByRole('dialog', { name: /Delete/ });
  await expect(del.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await look(page, 'guide-delete-scope');
  await del.getByRole('button', { name: /Delete/ }).last().click();
  await expect(scopeRow(page, `${base}.reports.read`)).toHaveCount(0);
});

test('custom scopes guide: Add Scope on the client’s Scope tab, Assign scope from the Actions column, ✖ then Save', async ({ page, ownerApi }) => {
  const base = uniq('custom');
  await seedApi(ownerApi, { name: base, displayName: `Custom ${base}`, basePath: `/${base}` });
  const { client } = await seedClient(ownerApi, { name: uniq('Phone client '), kind: 'SERVICE' });

  // "On API Client screen, a tab called Scope", "click on Add Scope", Name, Description, Add.
  await page.goto(`/clients/${client.id}/scope`);
  await look(page, 'custom-scope-tab');
  await page.getByRole('button', { name: 'Add Scope' }).click();
  const add = dialog(page, 'Add Scope');
  await add.getByRole('combobox', { name: 'API' }).click();
  await page.getByRole('option', { name: `Custom ${base}` }).click();
  await add.getByRole('textbox', { name: 'Name', exact: true }).fill(`${base}.reports.read`);
  await add.getByLabel('Description').fill('Grants read-only access to reports');
  await look(page, 'custom-add-scope');
  await add.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, 'Add Scope');
  // "Your scope is now created and available for assignment": staged on the tab, assigned by its Save.
  await expect(page.getByTestId('staged-changes')).toContainText(`Save assigns 1 scope: ${base}.reports.read`);
  await look(page, 'custom-staged');
  await page.getByTestId('staged-changes').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: `${base}.reports.read added` })).toBeVisible();

  // "Navigate to the API Clients section", "Under Actions columns, select Assign scope".
  await page.goto('/clients');
  await look(page, 'custom-clients');
  await page.getByRole('button', { name: `Assign scope to ${client.name}` }).click();
  const d = dialog(page, /Assign scope/);
  await expect(d).toBeVisible();
  await searchScopes(page, base);
  await expect(d.getByRole('checkbox', { name: `${base}.reports.read` })).toBeChecked();
  await look(page, 'custom-assign-scope');
  // "Click the cross (✖) icon provided beside the scope", "Click on save".
  await d.getByRole('button', { name: `Remove ${base}.reports.read` }).click();
  await d.getByRole('button', { name: 'Save' }).click();
  await closedDialog(page, /Assign scope/);
  await expect(page.getByRole('status').filter({ hasText: `${base}.reports.read removed` })).toBeVisible();
});

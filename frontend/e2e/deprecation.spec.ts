import { test, expect, expectAccessible, PHONE, shot, uniq } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, openApi, scopeRow, seedApi, seedClient, seedScope, setClientScopes } from './pages';

// Issue 13: the deprecation lifecycle in the console (replacement, sunset, "Move holders to …"),
// and the audit log of one object.
for (const [size, viewport] of [
  ['desktop', { width: 1366, height: 900 }],
  ['phone', PHONE],
] as const) {
  test.describe(`deprecation at ${size} size`, () => {
    test.use({ viewport });
    test.describe.configure({ timeout: 120_000 });

    test('deprecate with a replacement and a sunset, move the holders, read the history', async ({ page, ownerApi }) => {
      const base = uniq('dep');
      const apiId = await seedApi(ownerApi, { name: base, displayName: `Deprecation ${base}`, basePath: `/${base}` });
      const oldName = `${base}.legacy.readonly`;
      const newName = `${base}.items.readonly`;
      const oldId = await seedScope(ownerApi, { apiID: apiId, name: oldName });
      const newId = await seedScope(ownerApi, { apiID: apiId, name: newName });
      const { client } = await seedClient(ownerApi, { name: uniq('Dep client '), kind: 'SERVICE' });
      await setClientScopes(ownerApi, client.id, [oldId]);

      // Deprecate the old scope in its form, with its replacement and sunset.
      await openApi(page, apiId);
      await page.getByRole('button', { name: `Edit ${oldName}` }).click();
      const form = dialog(page, 'API Scope');
      await form.getByRole('checkbox', { name: 'Deprecated' }).check();
      const replacement = form.getByRole('combobox', { name: 'Replaced by' });
      await replacement.fill(newName);
      await page.getByRole('option', { name: newName }).click();
      await form.getByLabel('Sunset').fill('2030-01-01T12:00');
      await expectAccessible(page, `scope form with lifecycle (${size})`);
      await form.getByRole('button', { name: 'Save' }).click();
      await closedDialog(page, 'API Scope');
      await expect(page.getByRole('status').filter({ hasText: `Scope ${oldName} saved` })).toBeVisible();

      // Struck through, with the replacement and the sunset date.
      const row = scopeRow(page, oldName);
      await expect(row.locator('td').first().getByText(oldName, { exact: true })).toHaveCSS('text-decoration-line', 'line-through');
      await expect(row.getByTestId('scope-lifecycle')).toContainText(`Replaced by ${newName}`);
      await expect(row.getByTestId('scope-lifecycle').locator('time')).toHaveAttribute('datetime', /^2030-01-01T/);
      await expect(row.getByTestId('scope-lifecycle')).toContainText('2030');
      const saved = await gql(ownerApi, 'query($id: ID!) { node(id: $id) { ... on Scope { deprecated sunsetAt replacedBy { id } } } }', { id: oldId });
      expect(saved.data.node.deprecated).toBe(true);
      expect(saved.data.node.replacedBy.id).toBe(newId);
      await shot(page, `deprecation-${size}-01-scopes`);

      // "Move holders to …": the plan first (a dry run changes nothing), then Apply.
      await row.getByRole('button', { name: `Move holders to ${newName} from ${oldName}` }).click();
      const move = dialog(page, `Move holders to ${newName}`);
      const plan = move.getByRole('table', { name: 'Migration plan' });
      await expect(plan.locator(`tr[data-holder="${client.name}"]`)).toContainText(`Moves to ${newName}`);
      const before = await gql(ownerApi, 'query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }', { id: client.id });
      expect(before.data.node.scopes.map((s: { name: string }) => s.name)).toEqual([oldName]);
      await expectAccessible(page, `move holders dialog (${size})`);
      await shot(page, `deprecation-${size}-02-plan`);
      await move.getByRole('button', { name: 'Apply' }).click();
      await closedDialog(page, `Move holders to ${newName}`);
      await expect(page.getByRole('status').filter({ hasText: `Holders of ${oldName} moved to ${newName} (1 holder)` })).toBeVisible();
      const after = await gql(ownerApi, 'query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }', { id: client.id });
      expect(after.data.node.scopes.map((s: { name: string }) => s.name)).toEqual([newName]);

      // The client's page lists what it holds now; the old scope is assignable nowhere.
      await page.goto(`/clients/${client.id}/scope`);
      await expect(page.getByText(newName, { exact: true }).first()).toBeVisible();
      await expect(page.getByText(oldName, { exact: true })).toHaveCount(0);

      // The audit log of the old scope alone, reached from an event's History button.
      await page.goto('/audit');
      const log = page.getByRole('table', { name: 'Audit log' });
      await log.getByRole('button', { name: `History of Scope ${oldName}` }).first().click();
      await expect(page).toHaveURL(new RegExp(`object=Scope%3A${oldId}$`));
      await expect(page.getByTestId('audit-object-filter')).toContainText(`Scope ${oldName}`);
      const targets = await log.locator('tbody > tr:visible td:nth-child(4)').allTextContents();
      expect(targets.length).toBeGreaterThanOrEqual(2); // created, then deprecated
      expect(new Set(targets)).toEqual(new Set([`Scope ${oldName}`]));
      await expect(log.getByRole('link', { name: oldName }).first()).toHaveAttribute('href', `/apis/${apiId}/scopes`);
      await page.mouse.move(0, 0); // off the button that took the place of the History one clicked
      await expectAccessible(page, `audit log of one object (${size})`);
      await shot(page, `deprecation-${size}-03-history`);
      await page.getByRole('button', { name: 'Every object' }).click();
      await expect(page).toHaveURL(/\/audit$/);
    });
  });
}

import { test, expect, shot, uniq } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, fillScopeDialog, nav, openAddScope, openApi, seedApi } from './pages';

test.describe('audit log', () => {
  test('a change made in the console is at the top, filtered on the server and unfolded', async ({ page, ownerApi }) => {
    const base = uniq('ledger');
    const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
    const name = `${base}.entries.readonly`;

    // The change: add a scope, then edit its description, in the console.
    await openApi(page, apiId);
    const add = await openAddScope(page);
    await fillScopeDialog(add, { name, displayName: 'Read entries', description: 'Reads ledger entries' });
    await add.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, 'API Scope');
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    const edit = dialog(page, 'API Scope');
    await fillScopeDialog(edit, { description: 'Reads the ledger' });
    await edit.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, 'API Scope');
    const found = await gql(ownerApi, 'query($n: String!) { scopes(where: { name: $n }) { edges { node { id } } } }', { n: name });
    const scopeId = found.data.scopes.edges[0].node.id as string;
    // The target reads as the scope's name, linked to its API's Scopes tab; the ID is its title.
    const target = `Scope ${name}`;

    await nav(page).getByRole('link', { name: 'Audit log' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
    const log = page.getByRole('table', { name: 'Audit log' });
    const rows = log.locator('tbody > tr:visible');
    // Newest first: the edit, then the creation.
    await expect(rows.nth(0).getByRole('cell').nth(1)).toHaveText('owner@acme.test');
    await expect(rows.nth(0).getByRole('cell').nth(2)).toHaveText('Update');
    await expect(rows.nth(0).getByRole('cell').nth(3)).toHaveText(target);
    await expect(rows.nth(1).getByRole('cell').nth(2)).toHaveText('Create');
    await expect(rows.nth(1).getByRole('cell').nth(3)).toHaveText(target);
    // "3 Dec 2026, 09:14", with how long ago and the exact ISO time in its title.
    await expect(rows.nth(0).locator('time')).toHaveText(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$/);
    await expect(rows.nth(0).locator('time')).toHaveAttribute('title', /^just now \(\d{4}-\d\d-\d\dT/);
    await expect(rows.nth(0).getByRole('link', { name })).toHaveAttribute('href', `/apis/${apiId}/scopes`);
    await expect(rows.nth(0).getByRole('link', { name })).toHaveAttribute('title', `#${scopeId}`);
    await expect(page.getByText(/^1–\d+ of \d+ events$/)).toBeVisible();
    await shot(page, 'audit-01-list');

    // Paged on the server, with the controls of every list.
    await page.getByRole('combobox', { name: 'Rows per page' }).click();
    await page.getByRole('option', { name: '10', exact: true }).click();
    await expect(page.getByText(/^1–10 of \d+ events$/)).toBeVisible();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByText(/^11–\d+ of \d+ events$/)).toBeVisible();
    await expect(log.getByRole('cell', { name: target })).toHaveCount(0);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect(rows.nth(0).getByRole('cell').nth(3)).toHaveText(target);

    // Filter by action from the keyboard: the server answers only creations.
    const action = page.getByRole('combobox', { name: 'Action' });
    await action.focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('option', { name: 'Create' })).toBeVisible();
    await page.keyboard.press('Enter'); // the first option, Create
    await expect(action).toHaveValue('Create');
    await expect(rows.nth(0).getByRole('cell').nth(3)).toHaveText(target);
    const actions = await rows.locator('td:nth-child(3)').allTextContents();
    expect(new Set(actions)).toEqual(new Set(['Create']));

    // Unfold the creation: every field of the new scope was added.
    const toggle = rows.nth(0).getByRole('button', { name: `Changes to ${target}` });
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const created = page.getByRole('table', { name: `Changes to ${target}` });
    await expect(created.locator('tr[data-field="name"] td')).toHaveText(['Name', 'added', '—', name]);
    await toggle.click();
    await expect(created).toHaveCount(0);

    // Only updates of scopes by the owner: the edit, which changed the description.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('combobox', { name: 'Action' }).click();
    await page.getByRole('option', { name: 'Update' }).click();
    await page.getByRole('combobox', { name: 'Target type' }).click();
    await page.getByRole('option', { name: 'Scope', exact: true }).click();
    await page.getByRole('textbox', { name: 'Actor' }).fill('OWNER@acme');
    await expect(page.getByText(/^1–\d+ of \d+ events$/)).toBeVisible();
    await expect(rows.nth(0).getByRole('cell').nth(3)).toHaveText(target);
    await rows.nth(0).getByRole('button', { name: `Changes to ${target}` }).press('Enter');
    const changed = page.getByRole('table', { name: `Changes to ${target}` });
    await expect(changed.locator('tr[data-field="description"] td')).toHaveText(['Description', 'changed', 'Reads ledger entries', 'Reads the ledger']);
    await expect(changed.locator('tr[data-field="name"]')).toHaveCount(0); // unchanged fields are left out
    await shot(page, 'audit-02-unfolded');

    await page.getByRole('textbox', { name: 'Actor' }).fill('nobody-at-all');
    await expect(page.getByText('No change matches the filters')).toBeVisible();
  });

  test.describe('as a viewer', () => {
    test.use({ who: 'viewer' });
    test('reads the audit log', async ({ page }) => {
      await page.goto('/audit');
      await expect(page.getByRole('table', { name: 'Audit log' })).toBeVisible();
    });
  });

  test.describe('as a member', () => {
    test.use({ who: 'member' });
    test('cannot reach the audit log, in the console or the API', async ({ page }) => {
      await page.goto('/audit');
      await expect(page.getByRole('heading', { name: 'No access' })).toBeVisible();
      await expect(nav(page).getByRole('link', { name: 'Audit log' })).toHaveCount(0);
      await expect(page.getByRole('table', { name: 'Audit log' })).toHaveCount(0);
      const res = await gql(page.request, '{ auditEvents(first: 1) { totalCount } }', {}, true);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await shot(page, 'audit-03-member-no-access');
    });
  });
});

import { test, expect, PHONE, shot, uniq } from './fixtures';
import { closedDialog, dialog, fillScopeDialog, openAddScope, openApi, scopeRow, seedApi, seedScope } from './pages';

/** A toast announcing a completed action. */
const toast = (page: import('@playwright/test').Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });

for (const [size, viewport] of [
  ['desktop', { width: 1366, height: 900 }],
  ['phone', PHONE],
] as const) {
  test.describe(`at ${size} size`, () => {
    test.use({ viewport });

    test('a network drop during Save keeps the form and its input; Save then adds the scope and says so', async ({ page, ownerApi }) => {
      const base = uniq('net');
      const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
      const name = `${base}.threads.readonly`;
      await openApi(page, apiId);
      const d = await openAddScope(page);
      await fillScopeDialog(d, { name, displayName: 'Read threads', description: 'Lets a client read forum threads' });

      await page.route('**/graphql', (route) => route.abort('internetdisconnected'));
      await d.getByRole('button', { name: 'Save' }).click();
      await expect(d.getByRole('alert')).toContainText('Could not reach the server');
      await expect(page.getByText('The console could not load')).toHaveCount(0);
      await expect(d.getByLabel('Display Name')).toHaveValue('Read threads');
      await expect(d.getByLabel('Description')).toHaveValue('Lets a client read forum threads');
      await shot(page, `feedback-${size}-network-drop`);

      await page.unroute('**/graphql');
      await d.getByRole('button', { name: 'Save' }).click();
      await closedDialog(page, 'API Scope');
      await expect(toast(page, `Scope ${name} added`)).toBeVisible();
      await shot(page, `feedback-${size}-added`);
    });

    test('edit, the discovery switch and delete each say what they did', async ({ page, ownerApi }) => {
      const base = uniq('fb');
      const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
      const name = `${base}.posts.readonly`;
      await seedScope(ownerApi, { apiID: apiId, name, showInDiscoveryDocument: true });
      await openApi(page, apiId);

      await page.getByRole('button', { name: `Edit ${name}` }).click();
      const e = dialog(page, 'API Scope');
      await e.getByLabel('Display Name').fill('Read posts');
      await e.getByRole('button', { name: 'Save' }).click();
      await closedDialog(page, 'API Scope');
      await expect(toast(page, `Scope ${name} saved`)).toBeVisible();

      await scopeRow(page, name).getByRole('switch', { name: `Show ${name} in discovery` }).click({ force: true });
      await expect(toast(page, `${name} hidden from the discovery document`)).toBeVisible();

      await page.getByRole('button', { name: `Delete ${name}` }).click();
      const c = dialog(page, /Delete/);
      await expect(c.getByRole('button', { name: 'Cancel' })).toBeFocused();
      await c.getByRole('button', { name: `Delete ${name}` }).click();
      await expect(toast(page, `Scope ${name} deleted`)).toBeVisible();
      await expect(scopeRow(page, name)).toHaveCount(0);
    });
  });
}

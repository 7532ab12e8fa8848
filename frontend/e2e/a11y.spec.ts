import { test, expect, expectAccessible, PHONE, shot, uniq } from './fixtures';
import { openAssignScope, seedApi, seedClient, seedScope, setClientScopes } from './pages';

// Every screen and dialog of the console, checked by axe-core at desktop size and on a phone.
for (const [size, viewport] of [
  ['desktop', { width: 1366, height: 900 }],
  ['phone', PHONE],
] as const) {
  test.describe(`at ${size} size`, () => {
    test.use({ viewport });
    // Many screens in one test: axe takes a second or two on each.
    test.describe.configure({ timeout: 240_000 });

    test('every screen passes axe', async ({ page, ownerApi }) => {
      const base = uniq('axe');
      const apiId = await seedApi(ownerApi, { name: base, displayName: `Axe ${base}`, basePath: `/${base}` });
      const scopeId = await seedScope(ownerApi, { apiID: apiId, name: `${base}.items.readonly`, description: 'Read the items', required: false });
      await seedScope(ownerApi, { apiID: apiId, name: `${base}_profile`, required: true });
      const { client } = await seedClient(ownerApi, { name: uniq('Axe client '), kind: 'SERVICE' });
      await setClientScopes(ownerApi, client.id, [scopeId]);

      const screens: [string, string, string | RegExp][] = [
        ['apis', '/apis', 'APIs'],
        ['api-scopes', `/apis/${apiId}/scopes`, `Axe ${base}`],
        ['api-endpoints', `/apis/${apiId}/endpoints`, `Axe ${base}`],
        ['api-discovery', `/apis/${apiId}/discovery`, `Axe ${base}`],
        ['api-details', `/apis/${apiId}/details`, `Axe ${base}`],
        ['clients', '/clients', 'API clients'],
        ['client-scope', `/clients/${client.id}/scope`, client.name],
        ['client-details', `/clients/${client.id}/details`, client.name],
        ['client-consent', `/clients/${client.id}/consent`, client.name],
        ['discovery', '/discovery', /Discovery/],
        ['api-keys', '/api-keys', 'API keys'],
        ['settings', '/settings', 'Organisation settings'],
        ['users', '/users', 'Users'],
        ['audit', '/audit', 'Audit log'],
        ['not-found', '/no-such-page', 'Page not found'],
      ];
      for (const [name, path, heading] of screens) {
        await page.goto(path);
        await expect(page.getByRole('heading', { name: heading, level: 1 }).or(page.getByRole('heading', { name: heading, level: 2 })).first()).toBeVisible();
        await expectAccessible(page, `${name} (${size})`);
        await shot(page, `a11y-${size}-${name}`);
      }
    });

    test('every dialog passes axe', async ({ page, ownerApi }) => {
      const base = uniq('axed');
      const apiId = await seedApi(ownerApi, { name: base, displayName: `Axe ${base}`, basePath: `/${base}` });
      await seedScope(ownerApi, { apiID: apiId, name: `${base}.items.readonly` });
      const { client } = await seedClient(ownerApi, { name: uniq('Axe dialog client '), kind: 'SERVICE' });

      const check = async (name: string, open: () => Promise<unknown>, dialogName: string | RegExp) => {
        await open();
        const d = page.getByRole('dialog', { name: dialogName });
        await expect(d).toBeVisible();
        await expectAccessible(page, `${name} dialog (${size})`);
        // The dialog's header is not a second page banner.
        await expect(page.getByRole('banner')).toHaveCount(1);
        const box = await d.boundingBox();
        expect(box!.x, `${name} dialog starts inside the viewport`).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, `${name} dialog fits the viewport`).toBeLessThanOrEqual(viewport.width);
        await shot(page, `a11y-${size}-dialog-${name}`);
        await page.keyboard.press('Escape');
        await expect(d).toHaveCount(0);
      };

      await page.goto(`/apis/${apiId}/scopes`);
      await check('add-scope', () => page.getByRole('button', { name: 'Add Scope' }).click(), 'API Scope');
      await check('delete-scope', () => page.getByRole('button', { name: `Delete ${base}.items.readonly` }).click(), /Delete/);
      await check('edit-api', () => page.getByRole('button', { name: 'Edit API' }).click(), 'Edit API');
      await page.goto('/apis');
      await check('create-api', () => page.getByRole('button', { name: 'Create API' }).click(), 'Create API');
      await page.goto(`/clients/${client.id}/scope`);
      await check('assign-scope', () => openAssignScope(page), /Assign scope/);
      await check('client-add-scope', () => page.getByRole('button', { name: 'Add Scope' }).click(), 'Add Scope');
      await page.goto('/users');
      await check('create-user', () => page.getByRole('button', { name: 'Create user' }).click(), 'Create user');
      await openAccountMenu(page, size);
      await check('change-password', () => page.getByRole('menuitem', { name: 'Change password' }).or(page.getByRole('button', { name: 'Change password' })).first().click(), 'Change password');
    });
  });
}

test.describe('on a 360 px phone', () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test('the Assign scope dialog takes the screen and nothing scrolls sideways', async ({ page, ownerApi }) => {
    const { client } = await seedClient(ownerApi, { name: uniq('Narrow '), kind: 'SERVICE' });
    await page.goto(`/clients/${client.id}/scope`);
    const d = await openAssignScope(page);
    const box = (await d.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await shot(page, 'a11y-360-assign-scope');
  });
});

test.describe('signed out', () => {
  test.use({ who: null });
  for (const [size, viewport] of [
    ['desktop', { width: 1366, height: 900 }],
    ['phone', PHONE],
  ] as const) {
    test(`the sign-in page passes axe at ${size} size`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await page.goto('/login');
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expectAccessible(page, `login (${size})`);
      await shot(page, `a11y-${size}-login`);
    });
  }
});

/** On a phone the account actions are in the navigation drawer. */
async function openAccountMenu(page: import('@playwright/test').Page, size: 'desktop' | 'phone') {
  if (size === 'phone') await page.getByRole('button', { name: 'Open navigation' }).click();
}

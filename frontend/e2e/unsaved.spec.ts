import type { Locator, Page } from '@playwright/test';
import { test, expect, expectAccessible, shot, uniq, PHONE } from './fixtures';
import { closedDialog, dialog, nav, seedApi, seedClient } from './pages';

// Unsaved changes are never dropped silently: every form dialog asks "Discard changes?" (with "Keep
// editing" focused) before Escape, Close, ✕ or a click outside drops an edit, and closes at once when
// nothing changed. The settings page asks before in-app navigation drops its edits.

async function expectAsks(page: Page, d: Locator, close: () => Promise<unknown>, where: string, axe = false) {
  await close();
  const ask = dialog(page, 'Discard changes?');
  await expect(ask).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Keep editing' })).toBeFocused();
  await expect(d).toBeVisible();
  if (axe) await expectAccessible(page, `discard question over ${where}`);
  // Keep editing (Escape answers it too): the dialog and its input stay.
  await page.keyboard.press('Escape');
  await closedDialog(page, 'Discard changes?');
  await expect(d).toBeVisible();
}

for (const [label, viewport] of [['desktop', null], ['phone', PHONE]] as const) {
  test.describe(label, () => {
    test.beforeEach(async ({ page }) => {
      if (viewport) await page.setViewportSize(viewport);
    });

    test('every form dialog asks before discarding edits, and not when nothing changed', async ({ page, ownerApi }) => {
      test.setTimeout(300_000);
      const base = uniq('unsaved');
      const apiId = await seedApi(ownerApi, { name: base, displayName: `Unsaved ${base}`, basePath: `/${base}` });
      const { client } = await seedClient(ownerApi, { name: uniq('Unsaved client '), kind: 'SERVICE' });

      // Each: where to go, how to open the dialog, its name, and an edit to make in it.
      const forms: [string, string, () => Promise<unknown>, string, (d: Locator) => Promise<unknown>][] = [
        ['create-api', '/apis', () => page.getByRole('button', { name: 'Create API' }).click(), 'Create API', (d) => d.getByRole('textbox', { name: 'Name', exact: true }).fill(base)],
        ['edit-api', `/apis/${apiId}/scopes`, () => page.getByRole('button', { name: 'Edit API' }).click(), 'Edit API', (d) => d.getByLabel('Description').fill('Changed')],
        ['scope', `/apis/${apiId}/scopes`, () => page.getByRole('button', { name: 'Add Scope' }).click(), 'API Scope', (d) => d.getByRole('textbox', { name: 'Name', exact: true }).fill(`${base}.x.read`)],
        ['endpoint', `/apis/${apiId}/endpoints`, () => page.getByRole('button', { name: 'Add endpoint' }).click(), 'Add endpoint', (d) => d.getByRole('textbox', { name: 'Path' }).fill(`/${base}/things`)],
        ['create-client', '/clients', () => page.getByRole('button', { name: 'Create client' }).click(), 'Create client', (d) => d.getByLabel('Description').fill('Changed')],
        ['edit-client', `/clients/${client.id}/details`, () => page.getByRole('button', { name: 'Edit', exact: true }).click(), 'Edit client', (d) => d.getByLabel('Description').fill('Changed')],
        ['client-add-scope', `/clients/${client.id}/scope`, () => page.getByRole('button', { name: 'Add Scope' }).click(), 'Add Scope', (d) => d.getByLabel('Description').fill('Changed')],
        ['api-key', '/api-keys', () => page.getByRole('button', { name: 'Create API key' }).click(), 'Create API key', (d) => d.getByRole('textbox', { name: 'Name' }).fill('Nightly export')],
        ['create-user', '/users', () => page.getByRole('button', { name: 'Create user' }).click(), 'Create user', (d) => d.getByRole('textbox', { name: 'Email' }).fill(`${base}@acme.test`)],
        ['set-password', '/users', () => page.getByRole('button', { name: 'Set password for viewer@acme.test' }).click(), 'Set password', (d) => d.getByLabel('New password').fill('a new password here')],
      ];
      for (const [name, path, open, title, edit] of forms) {
        await page.goto(path);
        await open();
        const d = dialog(page, title);
        await expect(d).toBeVisible();
        // Nothing changed: Escape closes at once.
        await page.keyboard.press('Escape');
        await closedDialog(page, title);
        await open();
        await expect(d).toBeVisible();
        await edit(d);
        // axe on the question once per dialog: it is the same component everywhere.
        await expectAsks(page, d, () => page.keyboard.press('Escape'), `${name} (Escape, ${label})`, true);
        await expectAsks(page, d, () => d.getByRole('button', { name: 'Close', exact: true }).click(), `${name} (Close, ${label})`);
        await expectAsks(page, d, () => d.getByRole('button', { name: 'Close dialog' }).click(), `${name} (✕, ${label})`);
        if (!viewport) {
          // A click on the overlay, outside the dialog.
          await expectAsks(page, d, () => page.mouse.click(5, 5), `${name} (click outside, ${label})`);
        }
        await shot(page, `unsaved-${label}-${name}`);
        await d.getByRole('button', { name: 'Close', exact: true }).click();
        await dialog(page, 'Discard changes?').getByRole('button', { name: 'Discard changes' }).click();
        await closedDialog(page, title);
        await closedDialog(page, 'Discard changes?');
      }

      // Change password, from the account actions (in the drawer on a phone).
      await page.goto('/apis');
      if (viewport) await page.getByRole('button', { name: 'Open navigation' }).click();
      await page.getByRole('menuitem', { name: 'Change password' }).or(page.getByRole('button', { name: 'Change password' })).first().click();
      const cp = dialog(page, 'Change password');
      await cp.getByLabel('Current password').fill('something');
      await expectAsks(page, cp, () => page.keyboard.press('Escape'), `change password (${label})`, true);
    });

    test('organisation settings ask before navigation drops an edit', async ({ page }) => {
      await page.goto('/settings');
      const name = page.getByRole('textbox', { name: 'Name' });
      await expect(name).toBeVisible();
      const was = await name.inputValue();
      await name.fill(`${was} (edited)`);
      if (viewport) await page.getByRole('button', { name: 'Open navigation' }).click();
      await nav(page).getByRole('link', { name: 'APIs' }).click();
      const ask = dialog(page, 'Discard changes?');
      await expect(ask.getByRole('button', { name: 'Keep editing' })).toBeFocused();
      await ask.getByRole('button', { name: 'Keep editing' }).click();
      await expect(page).toHaveURL(/\/settings$/);
      await expect(name).toHaveValue(`${was} (edited)`);
      // Back to what it was: nothing to lose, so navigation does not ask.
      await name.fill(was);
      if (viewport) await page.getByRole('button', { name: 'Open navigation' }).click();
      await nav(page).getByRole('link', { name: 'APIs' }).click();
      await expect(page).toHaveURL(/\/apis$/);

      // Closing or reloading the browser tab with an edit gets the browser's own question.
      await page.goto('/settings');
      await name.fill(`${was} (edited again)`);
      const asked = new Promise<string>((ok) => page.once('dialog', (dlg) => { ok(dlg.type()); void dlg.accept(); }));
      await page.close({ runBeforeUnload: true });
      expect(await asked).toBe('beforeunload');
    });
  });
}

test('Escape in an open dropdown closes the dropdown only', async ({ page, ownerApi }) => {
  const base = uniq('drop');
  const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
  await page.goto(`/apis/${apiId}/endpoints`);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const d = dialog(page, 'Add endpoint');
  await d.getByRole('textbox', { name: 'Path' }).fill(`/${base}/things`);
  await d.getByRole('combobox', { name: 'Scopes' }).click();
  await expect(d.getByRole('combobox', { name: 'Scopes' })).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Escape');
  await expect(d.getByRole('combobox', { name: 'Scopes' })).toHaveAttribute('aria-expanded', 'false');
  await expect(dialog(page, 'Discard changes?')).toHaveCount(0);
  await expect(d.getByRole('textbox', { name: 'Path' })).toHaveValue(`/${base}/things`);
});

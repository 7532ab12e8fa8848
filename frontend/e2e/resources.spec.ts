import { test, expect, expectAccessible, PHONE, shot, uniq } from './fixtures';
import { closedDialog, dialog, seedApi } from './pages';

// Resource servers (contract §7): an API's resource identifier, access token format and JWT
// lifetime, set in the API dialog and shown on its Details tab, at desktop size and on a phone.
for (const [size, viewport] of [
  ['desktop', { width: 1366, height: 900 }],
  ['phone', PHONE],
] as const) {
  test.describe(`at ${size} size`, () => {
    test.use({ viewport });

    test('set an identifier and JWT access tokens, then go back to the default', async ({ page, ownerApi }) => {
      const name = uniq('res');
      const apiId = await seedApi(ownerApi, { name, displayName: `Resource ${name}`, basePath: `/${name}` });
      await page.goto(`/apis/${apiId}/details`);
      const details = page.getByRole('tabpanel');
      // The default identifier: the public URL followed by the base path.
      const origin = new URL(page.url()).origin;
      await expect(details).toContainText(`${origin}/${name}`);
      await expect(details).toContainText('Opaque');

      await page.getByRole('button', { name: 'Edit API' }).click();
      const d = dialog(page, 'Edit API');
      const identifier = d.getByRole('textbox', { name: 'Resource identifier' });
      await expect(d).toContainText(`Empty: ${origin}/${name}`);
      // A relative identifier is refused with an example, before anything is sent.
      await identifier.fill(`/${name}`);
      await d.getByRole('button', { name: 'Save' }).click();
      await expect(d.getByRole('alert')).toContainText('e.g. https://api.example.com/forums');

      await identifier.fill(`https://${name}.example/api`);
      await d.getByRole('combobox', { name: 'Access token format' }).click();
      await page.getByRole('option', { name: /^JWT/ }).click();
      const lifetime = d.getByRole('textbox', { name: 'JWT lifetime (seconds)' });
      await expect(lifetime).toHaveValue('300');
      // Out of range: the server's answer names the field.
      await lifetime.fill('5');
      await d.getByRole('button', { name: 'Save' }).click();
      await expect(lifetime).toHaveAttribute('aria-invalid', 'true');
      await expect(d).toContainText('30 to 3600 seconds');
      await lifetime.fill('120');
      await expectAccessible(page, `API dialog with JWT settings (${size})`);
      await shot(page, `resources-${size}-01-dialog`);
      await d.getByRole('button', { name: 'Save' }).click();
      await closedDialog(page, 'Edit API');
      await expect(details).toContainText(`https://${name}.example/api`);
      await expect(details).toContainText('JWT, 120 s');
      await expect(details).toContainText(`/resources/${name}`);
      await expectAccessible(page, `API details with JWT settings (${size})`);
      await shot(page, `resources-${size}-02-details`);

      // The metadata document the Details tab links names the identifier.
      const metaURL = await details.getByText(new RegExp(`/o/[^/]+/resources/${name}$`)).textContent();
      const meta = await page.request.get(metaURL!);
      expect(meta.ok()).toBeTruthy();
      expect((await meta.json()).resource).toBe(`https://${name}.example/api`);

      // Emptying the field goes back to the default.
      await page.getByRole('button', { name: 'Edit API' }).click();
      const e = dialog(page, 'Edit API');
      await e.getByRole('textbox', { name: 'Resource identifier' }).fill('');
      await e.getByRole('button', { name: 'Save' }).click();
      await closedDialog(page, 'Edit API');
      await expect(details).toContainText(`${origin}/${name}`);
    });
  });
}

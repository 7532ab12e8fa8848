import { test, expect, shot, uniq } from './fixtures';
import { openApi, seedApi, seedScope } from './pages';

test('the discovery preview follows the Show-in-discovery toggles and matches the served document', async ({ page, ownerApi, baseURL }) => {
  const base = uniq('wiki');
  const apiId = await seedApi(ownerApi, { name: base, displayName: 'Wiki', basePath: `/${base}` });
  const shown = `${base}.pages.readonly`;
  const hidden = `${base}.pages.modify`;
  await seedScope(ownerApi, { apiID: apiId, name: shown, showInDiscoveryDocument: true });
  await seedScope(ownerApi, { apiID: apiId, name: hidden, showInDiscoveryDocument: false });

  await openApi(page, apiId, 'discovery');
  const preview = page.getByRole('region', { name: 'Discovery document preview' });
  const url = `${baseURL}/o/acme/.well-known/openid-configuration`;
  await expect(preview.getByTestId('discovery-url')).toHaveText(url);
  const supported = preview.getByTestId('scopes-supported');
  await expect(supported).toContainText(shown);
  await expect(supported).not.toContainText(hidden);
  await shot(page, 'discovery-01-tab');

  await page.getByRole('switch', { name: `Show ${hidden} in discovery` }).click({ force: true });
  await expect(supported).toContainText(hidden);
  await page.getByRole('switch', { name: `Show ${shown} in discovery` }).click({ force: true });
  await expect(supported).not.toContainText(shown);
  await shot(page, 'discovery-02-toggled');

  // The preview is what the issuer serves.
  const served = await (await ownerApi.get(url)).json();
  expect(served.scopes_supported).toContain(hidden);
  expect(served.scopes_supported).not.toContain(shown);

  await preview.getByRole('button', { name: 'Copy discovery URL' }).click();
  const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => url);
  expect(clip).toBe(url);

  await page.goto('/discovery');
  await expect(page.getByTestId('discovery-json')).toContainText('"issuer"');
  await shot(page, 'discovery-03-page');
});

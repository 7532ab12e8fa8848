import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect, expectAccessible, PHONE, shot, uniq } from './fixtures';
import { gql, repoRoot } from './env';
import { closedDialog, dialog, openApi, seedApi } from './pages';

// The Petstore of the Go tests, its scopes renamed per run: scope names are unique in the organisation.
function petstore(prefix: string) {
  return readFileSync(resolve(repoRoot, 'testdata/openapi/petstore.json'), 'utf8').replaceAll('read:pets', `${prefix}:read`).replaceAll('write:pets', `${prefix}:write`);
}

for (const [size, viewport] of [
  ['desktop', { width: 1366, height: 900 }],
  ['phone', PHONE],
] as const) {
  test.describe(`at ${size} size`, () => {
    test.use({ viewport });

    test('an OpenAPI document is previewed, refused in place when malformed, and applied', async ({ page, ownerApi }) => {
      const name = uniq('pets');
      const apiId = await seedApi(ownerApi, { name, basePath: `/${name}` });
      const doc = petstore(name);
      await openApi(page, apiId, 'endpoints');
      await page.getByRole('button', { name: 'Import OpenAPI' }).click();
      const d = dialog(page, 'Import OpenAPI');
      const input = d.getByRole('textbox', { name: 'OpenAPI document' });
      const box = await d.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, 'the dialog fits the viewport').toBeLessThanOrEqual(viewport.width);

      // A malformed document: the error names the line, in place, and the input stays for fixing.
      const broken = doc.slice(0, 400);
      await input.fill(broken);
      await d.getByRole('button', { name: 'Preview import' }).click();
      await expect(d.getByRole('alert')).toContainText('Nothing was changed');
      await expect(d.getByRole('alert')).toContainText(/line \d+/);
      await expect(input).toHaveValue(broken);
      await expectAccessible(page, `Import OpenAPI error (${size})`);

      // The whole document, uploaded as a file: the preview lists what would be added and changes nothing.
      await d.getByLabel('OpenAPI document file').setInputFiles({ name: 'petstore.json', mimeType: 'application/json', buffer: Buffer.from(doc) });
      await expect(input).toHaveValue(doc);
      await d.getByRole('button', { name: 'Preview import' }).click();
      await expect(d.getByRole('status')).toHaveText('Preview: 3 endpoints, 2 scopes to add. Nothing has changed yet.');
      const toAdd = d.getByRole('list', { name: 'Endpoints to add' });
      await expect(toAdd.getByRole('listitem')).toHaveCount(3);
      await expect(toAdd).toContainText(`GET /${name}/pets/{petId} — ${name}:read`);
      await expect(toAdd).toContainText(`POST /${name}/pets — ${name}:read, ${name}:write`);
      await expect(d.getByRole('region', { name: 'Scopes to add' })).toContainText(`${name}:write`);
      await shot(page, `openapi-01-preview-${size}`);
      await expectAccessible(page, `Import OpenAPI preview (${size})`);
      const before = await gql(ownerApi, `query($id: ID!) { endpoints(where: {apiID: $id}) { totalCount } }`, { id: apiId });
      expect(before.data.endpoints.totalCount).toBe(0);

      await d.getByRole('button', { name: 'Apply import' }).click();
      await expect(d.getByRole('status')).toHaveText('Imported: 3 endpoints, 2 scopes added.');
      await expect(page.getByText(`OpenAPI document imported into ${name}: 3 endpoints, 2 scopes added`)).toBeVisible();
      await expect(d.getByRole('button', { name: 'Apply import' })).toHaveCount(0);
      await d.getByRole('button', { name: 'Close', exact: true }).click();
      await closedDialog(page, 'Import OpenAPI');
      const row = page.getByRole('table', { name: 'Endpoints' }).getByRole('row', { name: new RegExp(`GET /${name}/pets/\\{petId\\}`) });
      await expect(row).toContainText(`${name}:read`);
      await shot(page, `openapi-02-applied-${size}`);

      // Importing again adds nothing.
      await page.getByRole('button', { name: 'Import OpenAPI' }).click();
      await d.getByRole('textbox', { name: 'OpenAPI document' }).fill(doc);
      await d.getByRole('button', { name: 'Preview import' }).click();
      await expect(d.getByRole('status')).toHaveText('Nothing to add: the API already has every endpoint and scope of the document.');
      await expect(d.getByRole('list', { name: 'Endpoints kept' }).getByRole('listitem')).toHaveCount(3);
      await expect(d.getByRole('button', { name: 'Apply import' })).toHaveCount(0);
    });
  });
}

test.describe('viewer', () => {
  test.use({ who: 'viewer' });
  test('sees no Import OpenAPI action', async ({ page, ownerApi }) => {
    const apiId = await seedApi(ownerApi, { name: uniq('ro'), basePath: '/ro' });
    await openApi(page, apiId, 'endpoints');
    await expect(page.getByRole('tab', { name: 'Endpoints', selected: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Import OpenAPI' })).toHaveCount(0);
  });
});

import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, expectAccessible, PHONE, shot, uniq } from './fixtures';
import { gql } from './env';
import { dialog, nav, seedApi, seedClient, seedScope, setClientScopes } from './pages';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * Real traffic: a token from the token endpoint for one of the worker's two scopes, then an access
 * check that the scope allows. Returns the worker's client and the scopes' names.
 */
async function trafficFor(ownerApi: APIRequestContext, request: APIRequestContext) {
  const base = uniq('rev');
  const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
  const endpoint = async (method: string) => {
    const { data } = await gql(ownerApi, 'mutation($in: CreateEndpointInput!) { createEndpoint(input: $in) { id } }', { in: { apiID: apiId, method, path: `/${base}/items` } });
    return data.createEndpoint.id as string;
  };
  const read = `${base}.items.readonly`;
  const modify = `${base}.items.modify`;
  const readId = await seedScope(ownerApi, { apiID: apiId, name: read, endpointIDs: [await endpoint('GET')] } as never);
  const modifyId = await seedScope(ownerApi, { apiID: apiId, name: modify, endpointIDs: [await endpoint('POST')] } as never);
  const worker = await seedClient(ownerApi, { name: uniq('Review worker '), kind: 'SERVICE' });
  const gateway = await seedClient(ownerApi, { name: uniq('Review gateway '), kind: 'SERVICE' });
  await setClientScopes(ownerApi, worker.client.id, [readId, modifyId]);

  const token = await request.post('/o/acme/oauth/token', {
    form: { grant_type: 'client_credentials', scope: read },
    headers: { Authorization: basic(worker.client.clientId, worker.clientSecret!) },
  });
  expect(token.status()).toBe(200);
  const { access_token } = (await token.json()) as { access_token: string };
  const check = await request.post('/o/acme/v1/check', {
    data: { credential: access_token, method: 'GET', path: `/${base}/items` },
    headers: { Authorization: basic(gateway.client.clientId, gateway.clientSecret!) },
  });
  expect(await check.json()).toMatchObject({ allowed: true, scope: read });
  return { worker: worker.client, read, modify };
}

/** Opens the Access review from the navigation and waits until the flush has written the check's use. */
async function openReview(page: Page, clientName: string, usedScope: string) {
  await page.goto('/');
  await nav(page).getByRole('link', { name: 'Access review' }).click();
  await expect(page).toHaveURL(/\/access-review$/);
  await expect(page.getByRole('heading', { name: 'Access review', level: 1 })).toBeVisible();
  const card = page.locator(`[data-review-client="${clientName}"]`);
  // The server writes what it recorded every second (--usage-interval 1s in global-setup).
  await expect(async () => {
    await page.reload();
    await expect(card.locator(`tr[data-scope="${usedScope}"]`).getByText('Used', { exact: true })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  return card;
}

test.describe('access review', () => {
  test('shows last granted and used after real traffic, and removes unused scopes through setClientScopes', async ({ page, ownerApi, request }) => {
    const { worker, read, modify } = await trafficFor(ownerApi, request);
    const card = await openReview(page, worker.name, read);

    const used = card.locator(`tr[data-scope="${read}"]`);
    await expect(used.locator('td').nth(1)).toHaveText('just now'); // last granted
    await expect(used.locator('td').nth(2)).toHaveText('just now'); // last used
    await expect(used.locator('time').first()).toHaveAttribute('title', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$/);
    const unused = card.locator(`tr[data-scope="${modify}"]`);
    await expect(unused.locator('td')).toHaveText([modify, 'Never', 'Never', 'Unused']);
    await shot(page, 'review-01-page');

    // A shorter window: the scope used just now is still used.
    await page.getByRole('textbox', { name: 'Window (days)' }).fill('1');
    await expect(page.getByText(/^Unused means not used since /)).toBeVisible();
    await expect(used.getByText('Used', { exact: true })).toBeVisible();

    await card.getByRole('button', { name: `Remove unused scopes of ${worker.name}` }).click();
    const confirm = dialog(page, 'Remove unused scopes');
    await expect(confirm).toContainText(`Remove ${modify} from the client ${worker.name}?`);
    await expect(confirm).toContainText('It keeps 1 scope.');
    await expectAccessible(page, 'the Remove unused dialog');
    await confirm.getByRole('button', { name: 'Remove 1 scope' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Removed 1 unused scope from ${worker.name}` })).toBeVisible();
    await expect(card.locator(`tr[data-scope="${modify}"]`)).toHaveCount(0);
    await expect(card.getByRole('button', { name: /^Remove unused scopes/ })).toHaveCount(0);

    // The client holds only the used scope now, and the change is in the audit log.
    const { data } = await gql(ownerApi, 'query($id: ID!) { node(id: $id) { ... on Client { scopes { name } } } }', { id: worker.id });
    expect(data.node.scopes.map((s: { name: string }) => s.name)).toEqual([read]);
    // Created, given its two scopes, and the removal: one audited change each.
    const audit = await gql(ownerApi, 'query($id: String!) { auditEvents(first: 10, where: {targetID: $id, targetType: "OAuthClient"}) { edges { node { action } } } }', { id: worker.id });
    expect(audit.data.auditEvents.edges.map((e: { node: { action: string } }) => e.node.action).sort()).toEqual(['create', 'update', 'update']);
  });

  test.describe('as a viewer', () => {
    test.use({ who: 'viewer' });
    test('reads the review but cannot remove', async ({ page, ownerApi, request }) => {
      const { worker, read } = await trafficFor(ownerApi, request);
      const card = await openReview(page, worker.name, read);
      await expect(card.getByRole('button', { name: `Remove unused scopes of ${worker.name}` })).toBeDisabled();
    });
  });

  for (const [size, viewport] of [
    ['desktop', { width: 1366, height: 900 }],
    ['phone', PHONE],
  ] as const) {
    test(`passes axe at ${size} size`, async ({ page, ownerApi, request }) => {
      test.setTimeout(90_000);
      await page.setViewportSize(viewport);
      const { worker, read } = await trafficFor(ownerApi, request);
      if (size === 'phone') {
        await page.goto('/access-review');
      } else {
        await openReview(page, worker.name, read);
      }
      await expect(page.locator(`[data-review-client="${worker.name}"]`)).toBeVisible();
      await expectAccessible(page, `the access review at ${size} size`);
      await shot(page, `review-02-${size}`);
    });
  }
});

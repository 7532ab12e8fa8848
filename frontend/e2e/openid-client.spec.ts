import * as oidc from 'openid-client';
import { test, expect, uniq } from './fixtures';
import { seedApi, seedClient, seedScope, setClientScopes } from './pages';

// A Node relying party with the openid-client package, unchanged: it discovers the organisation's
// issuer and gets client-credentials tokens. (The server here is plain HTTP on loopback, which
// openid-client refuses unless told.)
test.describe('openid-client', () => {
  test.use({ who: null });

  test('discovers the issuer and gets a client-credentials token, narrowed on request', async ({ ownerApi, baseURL }) => {
    const base = uniq('ledger');
    const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
    const read = await seedScope(ownerApi, { apiID: apiId, name: `${base}.entries.readonly` });
    const modify = await seedScope(ownerApi, { apiID: apiId, name: `${base}.entries.modify` });
    const { client, clientSecret } = await seedClient(ownerApi, { name: uniq('Ledger sync '), kind: 'SERVICE' });
    await setClientScopes(ownerApi, client.id, [read, modify]);

    const issuer = new URL(`${baseURL}/o/acme`);
    const config = await oidc.discovery(issuer, client.clientId, clientSecret!, undefined, { execute: [oidc.allowInsecureRequests] });
    expect(config.serverMetadata().issuer).toBe(issuer.href);
    expect(config.serverMetadata().scopes_supported).toContain(`${base}.entries.readonly`);

    const all = await oidc.clientCredentialsGrant(config);
    expect(all.token_type.toLowerCase()).toBe('bearer');
    expect(all.scope?.split(' ').sort()).toEqual([`${base}.entries.modify`, `${base}.entries.readonly`]);

    const narrowed = await oidc.clientCredentialsGrant(config, { scope: `${base}.ENTRIES.readonly` });
    expect(narrowed.scope).toBe(`${base}.entries.readonly`); // matched ignoring case, stored spelling returned

    await expect(oidc.clientCredentialsGrant(config, { scope: `${base}.entries.delete` })).rejects.toMatchObject({ error: 'invalid_scope' });
  });
});

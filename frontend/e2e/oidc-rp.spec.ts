import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import { request, type APIRequestContext } from '@playwright/test';
import { test, expect, uniq } from './fixtures';
import { USERS } from './env';
import { seedApi, seedClient, seedScope, setClientScopes } from './pages';

// Node relying parties with their default configuration (openid-client, oauth4webapi): discovery
// through RFC 8414 §3.1's URL, the code flow for a user who signs in and consents (driven over
// HTTP as the console would), userinfo, refresh with rotation, and RP-Initiated Logout.

/** A fresh sign-in of the member, so ending it touches no other spec's session. */
async function memberSession(baseURL: string): Promise<APIRequestContext> {
  const ctx = await request.newContext({ baseURL });
  const res = await ctx.post('/auth/login', { data: { email: USERS.member.email, password: USERS.member.password } });
  expect(res.status()).toBe(200);
  return ctx;
}

/** Follows an authorization URL as the signed-in user, approving the consent screen; returns the callback URL. */
async function authorize(user: APIRequestContext, url: URL): Promise<URL> {
  const res = await user.get(url.href, { maxRedirects: 0 });
  expect(res.status()).toBe(302);
  let loc = new URL(res.headers()['location'], url);
  if (loc.pathname === '/consent') {
    const id = loc.searchParams.get('request')!;
    const q = await user.post('/graphql', { data: { query: `query($id: ID!) { consentRequest(id: $id) { scopes { name required } } }`, variables: { id } } });
    const scopes = ((await q.json()).data.consentRequest.scopes as { name: string; required: boolean }[]).filter((s) => !s.required).map((s) => s.name);
    const d = await user.post('/graphql', {
      data: { query: `mutation($id: ID!, $s: [String!]) { decideConsent(id: $id, approve: true, scopes: $s) { redirectTo } }`, variables: { id, s: scopes } },
    });
    loc = new URL((await d.json()).data.decideConsent.redirectTo);
  }
  return loc;
}

test.describe('Node relying parties', () => {
  test.use({ who: null });

  test('openid-client: §3.1 discovery, code flow, userinfo, refresh rotation, end session', async ({ ownerApi, baseURL }) => {
    const base = uniq('diary');
    const apiId = await seedApi(ownerApi, { name: base, basePath: `/${base}` });
    const read = await seedScope(ownerApi, { apiID: apiId, name: `${base}.entries.readonly` });
    const redirect = 'http://127.0.0.1:9/callback';
    const { client, clientSecret } = await seedClient(ownerApi, { name: uniq('Diary '), kind: 'WEB', redirectURIs: [redirect] });
    await setClientScopes(ownerApi, client.id, [read]);
    await ownerApi.post('/graphql', {
      data: { query: `mutation($id: ID!) { updateClient(id: $id, input: {postLogoutRedirectURIs: ["http://127.0.0.1:9/bye"]}) { id } }`, variables: { id: client.id } },
    });

    // algorithm 'oauth2' makes openid-client read {origin}/.well-known/oauth-authorization-server/o/acme.
    const issuer = new URL(`${baseURL}/o/acme`);
    const config = await oidc.discovery(issuer, client.clientId, clientSecret!, undefined, { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer.href);
    expect(meta.userinfo_endpoint).toBe(`${issuer.href}/oauth/userinfo`);
    expect(meta.end_session_endpoint).toBe(`${issuer.href}/oauth/logout`);
    expect(meta.grant_types_supported).toContain('refresh_token');
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirect,
      scope: `openid profile email ${base}.entries.readonly`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const user = await memberSession(baseURL!);
    const callback = await authorize(user, url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.email).toBe(USERS.member.email);
    expect(typeof claims.auth_time).toBe('number');
    expect(tokens.refresh_token).toMatch(/^skr_/);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.email).toBe(USERS.member.email);
    expect(info.name).toBe(USERS.member.displayName);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()!.sub).toBe(claims.sub);
    // The rotated-out token again: refused, and the family is gone.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    // RP-Initiated Logout: the session ends and the browser goes back with state.
    const again = await oidc.authorizationCodeGrant(
      config,
      await authorize(user, oidc.buildAuthorizationUrl(config, { redirect_uri: redirect, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state })),
      { pkceCodeVerifier: verifier, expectedState: state },
    );
    const end = oidc.buildEndSessionUrl(config, { id_token_hint: again.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye', state: 'bye1' });
    const out = await user.get(end.href, { maxRedirects: 0 });
    expect(out.status()).toBe(302);
    expect(out.headers()['location']).toBe('http://127.0.0.1:9/bye?state=bye1');
    await expect(oidc.refreshTokenGrant(config, again.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' }); // online token ended with the session
    const viewer = await user.post('/graphql', { data: { query: '{ viewer { user { id } } }' } });
    expect(viewer.status()).toBe(200);
    expect((await viewer.json()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await user.dispose();
  });

  test('oauth4webapi: a public BROWSER client with offline_access refreshes after sign-out', async ({ ownerApi, baseURL }) => {
    const redirect = 'http://127.0.0.1:9/spa';
    const { client } = await seedClient(ownerApi, { name: uniq('Spa '), kind: 'BROWSER', redirectURIs: [redirect] });
    const issuer = new URL(`${baseURL}/o/acme`);
    const as = await oauth
      .discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true })
      .then((res) => oauth.processDiscoveryResponse(issuer, res));
    const c: oauth.Client = { client_id: client.clientId };
    const auth = oauth.None();
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid offline_access email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const user = await memberSession(baseURL!);
    const params = oauth.validateAuthResponse(as, c, await authorize(user, url));
    const opts = { [oauth.allowInsecureRequests]: true };
    const tokens = await oauth.processAuthorizationCodeResponse(as, c, await oauth.authorizationCodeGrantRequest(as, c, auth, params, redirect, verifier, opts));
    expect(tokens.scope).toBe('openid email offline_access');
    const sub = oauth.getValidatedIdTokenClaims(tokens)!.sub;
    const info = await oauth.processUserInfoResponse(as, c, sub, await oauth.userInfoRequest(as, c, tokens.access_token, opts));
    expect(info.email).toBe(USERS.member.email);

    await user.post('/auth/logout');
    await user.dispose();
    // offline_access: the refresh token outlives the sign-in.
    const refreshed = await oauth.processRefreshTokenResponse(as, c, await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token!, opts));
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });
});

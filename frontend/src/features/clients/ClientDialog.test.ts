import { describe, expect, it } from 'vitest';
import { emptyClient, validateClient } from './ClientDialog';

describe('validateClient', () => {
  const web = { ...emptyClient, name: 'Forum', kind: 'WEB' as const, redirectURIs: 'https://app.example/cb' };
  it('accepts a web client with post-logout redirect URIs', () => {
    expect(validateClient({ ...web, postLogoutRedirectURIs: 'https://app.example/bye\nhttp://127.0.0.1:8000/bye' })).toBeNull();
  });
  it('names a post-logout redirect URI that is not an absolute URL', () => {
    expect(validateClient({ ...web, postLogoutRedirectURIs: 'bye' })).toBe('"bye" is not an absolute URL.');
  });
  it('starts new clients with PKCE required and refresh tokens on', () => {
    expect(emptyClient.requirePKCE).toBe(true);
    expect(emptyClient.refreshTokens).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { authorizationOf, resolveNext } from './session';

describe('resolveNext', () => {
  it('stays in the app for console routes', () => {
    expect(resolveNext('/clients/42/scope')).toEqual({ kind: 'route', to: '/clients/42/scope' });
    expect(resolveNext('/consent?request=abc')).toEqual({ kind: 'route', to: '/consent?request=abc' });
    expect(resolveNext(null)).toEqual({ kind: 'route', to: '/' });
  });

  it('does a full page load for server paths such as the authorize endpoint', () => {
    const next = '/o/acme/oauth/authorize?client_id=x&scope=a%20b';
    expect(resolveNext(next)).toEqual({ kind: 'page', to: next });
  });

  it('refuses other origins', () => {
    expect(resolveNext('https://evil.example/')).toEqual({ kind: 'route', to: '/' });
    expect(resolveNext('//evil.example/')).toEqual({ kind: 'route', to: '/' });
    expect(resolveNext('/\\evil.example')).toEqual({ kind: 'route', to: '/' });
  });

  it('does not mistake a longer path for a console route', () => {
    expect(resolveNext('/apisx')).toEqual({ kind: 'page', to: '/apisx' });
  });
});

describe('authorizationOf', () => {
  it('reads the issuer, client and redirect URI of an authorization request', () => {
    expect(authorizationOf('/o/acme/oauth/authorize?client_id=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid')).toEqual({
      slug: 'acme',
      clientId: 'abc',
      redirectUri: 'https://app.example/cb',
    });
  });
  it('ignores console routes, other pages and foreign URLs', () => {
    expect(authorizationOf('/clients')).toBeNull();
    expect(authorizationOf('//evil.example/o/acme/oauth/authorize?client_id=a&redirect_uri=b')).toBeNull();
    expect(authorizationOf('/o/acme/oauth/authorize?client_id=a')).toBeNull();
    expect(authorizationOf(null)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { authorizationOf, resolveNext } from './session';

const origin = 'http://127.0.0.1:8080';

describe('resolveNext', () => {
  it('stays in the app for console routes', () => {
    expect(resolveNext('/clients/42/scope', origin)).toEqual({ kind: 'route', to: '/clients/42/scope' });
    expect(resolveNext('/consent?request=abc', origin)).toEqual({ kind: 'route', to: '/consent?request=abc' });
    expect(resolveNext(null, origin)).toEqual({ kind: 'route', to: '/' });
  });

  it('does a full page load for server paths such as the authorize endpoint', () => {
    const next = '/o/acme/oauth/authorize?client_id=x&scope=a%20b';
    expect(resolveNext(next, origin)).toEqual({ kind: 'page', to: next });
  });

  it('refuses other origins, however they are spelled', () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      '/\t/evil.test',
      '/\n/evil.test',
      '/\r\n/evil.test',
      '\\/evil.test',
      '/\\\\evil.test',
      '/\t\\evil.test',
      'https:evil.test',
      'javascript:alert(1)',
      '/.//evil.test',
      '/%2e//evil.test',
      ' //evil.test',
    ]) {
      expect(resolveNext(next, origin), JSON.stringify(next)).toEqual({ kind: 'route', to: '/' });
    }
  });

  it('does not mistake a longer path for a console route', () => {
    expect(resolveNext('/apisx', origin)).toEqual({ kind: 'page', to: '/apisx' });
  });

  // A property over many generated inputs: whatever `next` holds, the target, read by the browser's URL
  // parser relative to the page, stays on the page's origin.
  it('never leaves the origin, over 50,000 generated inputs', () => {
    const pieces = ['/', '\\', '\t', '\n', '\r', ' ', '.', '..', '%2f', '%5c', '%2e', '%09', '@', ':', '?', '#', 'evil.test', 'http:', 'https:',
      '//', 'javascript:', 'apis', 'o/acme/oauth/authorize', '\u3002', '\uff0f', '\uff3c', '\u0000', '\u001f', '\u00a0', '\u2028', 'ё'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i++) {
      // Half the inputs mix only slashes, whitespace and a host, where open redirects hide.
      const from = i % 2 === 0 ? pieces : ['/', '\\', '\t', '\n', '\r', '.', 'evil.test'];
      let next = rand(4) === 0 ? '' : '/';
      for (let j = rand(6); j >= 0; j--) next += from[rand(from.length)];
      const target = resolveNext(next, origin);
      const landed = new URL(target.to, origin);
      expect(landed.origin, JSON.stringify(next)).toBe(origin);
      expect(target.to.startsWith('/') && !target.to.startsWith('//') && !target.to.startsWith('/\\'), JSON.stringify(next)).toBe(true);
    }
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

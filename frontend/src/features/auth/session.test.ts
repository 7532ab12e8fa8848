import { describe, expect, it } from 'vitest';
import { resolveNext } from './session';

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

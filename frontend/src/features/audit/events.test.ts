import { describe, expect, it } from 'vitest';
import { describeActor, fieldLabel, formatTime, relativeTime, targetLink, targetName } from './events';

describe('relativeTime', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  const ago = (s: number) => new Date(now - s * 1000).toISOString();

  it('names the largest whole unit', () => {
    expect(relativeTime(ago(5), now)).toBe('just now');
    expect(relativeTime(ago(59), now)).toBe('just now');
    expect(relativeTime(ago(60), now)).toBe('1 minute ago');
    expect(relativeTime(ago(119), now)).toBe('1 minute ago');
    expect(relativeTime(ago(3 * 3600 + 59), now)).toBe('3 hours ago');
    expect(relativeTime(ago(86400), now)).toBe('yesterday');
    expect(relativeTime(ago(15 * 86400), now)).toBe('2 weeks ago');
    expect(relativeTime(ago(400 * 86400), now)).toBe('last year');
  });

  it('reads a clock a little ahead as just now', () => {
    expect(relativeTime(new Date(now + 2000).toISOString(), now)).toBe('just now');
  });
});

describe('describeActor', () => {
  it('reads users, API keys and the system', () => {
    expect(describeActor('user:owner@acme.test')).toEqual({ name: 'owner@acme.test' });
    expect(describeActor('apikey:ci@acme.test')).toEqual({ name: 'ci@acme.test', via: 'API key' });
    expect(describeActor('system')).toEqual({ name: 'Scopekeeper', via: 'System' });
    expect(describeActor('something else')).toEqual({ name: 'something else' });
  });
});

describe('readable events', () => {
  it('formats times as people read them', () => {
    expect(formatTime('2026-12-03T09:14:00')).toBe('3 Dec 2026, 09:14');
  });
  it('labels recorded columns', () => {
    expect(fieldLabel('display_name')).toBe('Display name');
    expect(fieldLabel('show_in_discovery_document')).toBe('Show in discovery document');
    expect(fieldLabel('enabled')).toBe('Enabled');
  });
  it('names and links the target from its snapshot', () => {
    const scope = { action: 'update', targetType: 'Scope', targetID: '38654705678', after: { name: 'forums.threads.readonly', api_id: '7' } };
    expect(targetName(scope)).toBe('forums.threads.readonly');
    expect(targetLink(scope)).toBe('/apis/7/scopes');
    expect(targetName({ targetID: '9', before: null, after: { method: 'GET', path: '/x' } })).toBe('GET /x');
    expect(targetName({ targetID: '9' })).toBe('#9');
    expect(targetLink({ ...scope, action: 'delete' })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { listNames, parseDays, plural, removalPlan } from './review';

const s = (id: string, name: string, unused: boolean) => ({ scope: { id, name }, lastGrantedAt: null, lastUsedAt: null, unused });

describe('removalPlan', () => {
  it('keeps the used scopes and names the unused ones', () => {
    const plan = removalPlan([s('1', 'a.read', false), s('2', 'a.modify', true), s('3', 'b.read', true)]);
    expect(plan.keepIDs).toEqual(['1']);
    expect(plan.removeNames).toEqual(['a.modify', 'b.read']);
  });
  it('removes nothing when everything is used', () => {
    expect(removalPlan([s('1', 'a.read', false)]).removeNames).toEqual([]);
  });
});

describe('parseDays', () => {
  it('accepts whole days from 1 to 3650', () => {
    expect(parseDays('30')).toBe(30);
    expect(parseDays(1)).toBe(1);
    expect(parseDays(3650)).toBe(3650);
  });
  it('refuses anything else', () => {
    for (const v of ['0', '3651', '', '1.5', 'x', -2]) expect(parseDays(v)).toBeNull();
  });
});

describe('listNames', () => {
  it('joins names as a sentence', () => {
    expect(listNames(['a'])).toBe('a');
    expect(listNames(['a', 'b'])).toBe('a and b');
    expect(listNames(['a', 'b', 'c'])).toBe('a, b and c');
  });
  it('counts', () => {
    expect(plural(1, 'scope')).toBe('1 scope');
    expect(plural(2, 'scope')).toBe('2 scopes');
  });
});

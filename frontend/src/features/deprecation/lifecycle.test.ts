import { describe, expect, it } from 'vitest';
import { fromLocalInput, sunsetPassed, toLocalInput } from './lifecycle';
import { lifecycleInput } from '../scopes/ScopeDialog';
import { parseObject } from '../audit/AuditLogPage';

describe('deprecation lifecycle', () => {
  it('edits a sunset as local time and sends it as UTC', () => {
    const iso = fromLocalInput('2030-01-01T12:00')!;
    expect(iso).toMatch(/^2030-01-01T\d\d:00:00\.000Z$/);
    expect(toLocalInput(iso)).toBe('2030-01-01T12:00');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('not a time')).toBeNull();
    expect(toLocalInput(null)).toBe('');
  });

  it('knows whether the sunset has come', () => {
    expect(sunsetPassed('2030-01-01T00:00:00Z', Date.parse('2029-12-31T23:59:59Z'))).toBe(false);
    expect(sunsetPassed('2030-01-01T00:00:00Z', Date.parse('2030-01-01T00:00:00Z'))).toBe(true);
    expect(sunsetPassed(null)).toBe(false);
  });

  it('sets or clears the replacement and sunset of a deprecated scope', () => {
    const base = { name: 'a', displayName: '', description: '', required: false, emphasize: false, showInDiscoveryDocument: true, deprecated: true };
    expect(lifecycleInput({ ...base, replacedBy: { id: '7', name: 'b' }, sunsetAt: '2030-01-01T00:00:00.000Z' })).toEqual({
      replacedByID: '7',
      sunsetAt: '2030-01-01T00:00:00.000Z',
    });
    expect(lifecycleInput(base)).toEqual({ clearReplacedBy: true, clearSunsetAt: true });
  });

  it('reads the audit page object filter', () => {
    expect(parseObject('Scope:4294967297')).toEqual({ type: 'Scope', id: '4294967297' });
    expect(parseObject('Scope:abc')).toBeNull();
    expect(parseObject(null)).toBeNull();
  });
});

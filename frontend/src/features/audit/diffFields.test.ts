import { describe, expect, it } from 'vitest';
import { diffFields, stableStringify } from './diffFields';

describe('diffFields', () => {
  it('lists added, removed and changed fields by name and leaves unchanged ones out', () => {
    const before = { name: 'forums', description: 'Old', base_path: '/forums', id: 7 };
    const after = { name: 'forums', description: 'New', display_name: 'Forums', id: 7 };
    expect(diffFields(before, after)).toEqual([
      { field: 'base_path', kind: 'removed', before: '/forums' },
      { field: 'description', kind: 'changed', before: 'Old', after: 'New' },
      { field: 'display_name', kind: 'added', after: 'Forums' },
    ]);
  });

  it('treats a missing side as empty: a creation adds every field, a deletion removes them', () => {
    expect(diffFields(null, { name: 'x', required: false })).toEqual([
      { field: 'name', kind: 'added', after: 'x' },
      { field: 'required', kind: 'added', after: 'false' },
    ]);
    expect(diffFields({ name: 'x' }, undefined)).toEqual([{ field: 'name', kind: 'removed', before: 'x' }]);
    expect(diffFields(null, null)).toEqual([]);
  });

  it('compares nested values by content, not key order', () => {
    const before = { grants: { b: [1, 2], a: { y: 1, x: null } } };
    const after = { grants: { a: { x: null, y: 1 }, b: [1, 2] } };
    expect(diffFields(before, after)).toEqual([]);
  });

  it('prints nested values as stable JSON and keeps array order significant', () => {
    expect(diffFields({ ids: [1, 2], meta: { z: 1, a: 'b' } }, { ids: [2, 1], meta: { a: 'b', z: 2 } })).toEqual([
      { field: 'ids', kind: 'changed', before: '[1,2]', after: '[2,1]' },
      { field: 'meta', kind: 'changed', before: '{"a":"b","z":1}', after: '{"a":"b","z":2}' },
    ]);
  });

  it('tells null from a missing field', () => {
    expect(diffFields({ s: null, gone: null }, { s: null, t: null })).toEqual([
      { field: 'gone', kind: 'removed', before: 'null' },
      { field: 't', kind: 'added', after: 'null' },
    ]);
  });
});

describe('stableStringify', () => {
  it('sorts keys at every depth', () => {
    expect(stableStringify({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: true })).toBe('{"a":true,"b":{"c":[{"e":2,"f":1}],"d":1}}');
  });
});

import { describe, expect, it } from 'vitest';
import { countTowardsLimit, describeChange, stagedAgainst, groupScopes, groupState, toggleGroup, toggleScope, type PickerScope, type Selection } from './picker';

const forums = { id: 'a1', name: 'forums', displayName: 'Forums' };
const blogs = { id: 'a2', name: 'blogs', displayName: 'Blogs' };

function scope(name: string, over: Partial<PickerScope> = {}): PickerScope {
  const parts = name.split('.');
  const dotted = parts.length === 3;
  return {
    id: `id-${name}`,
    name,
    displayName: name,
    description: '',
    required: false,
    deprecated: false,
    group: dotted ? parts[0] : null,
    entity: dotted ? parts[1] : null,
    api: forums,
    ...over,
  };
}

const sel = (...s: PickerScope[]): Selection => new Map(s.map((x) => [x.id, x]));
const none = new Set<string>();

describe('groupScopes', () => {
  it('groups by API, then by group.entity, with undotted names last', () => {
    const out = groupScopes([
      scope('forums.threads.modify'),
      scope('forums.replies.readonly'),
      scope('forums_admin'),
      scope('forums.threads.readonly'),
      scope('blogs.posts.modify', { api: blogs }),
    ]);
    expect(out.map((a) => a.apiName)).toEqual(['Blogs', 'Forums']);
    const f = out[1];
    expect(f.groups.map((g) => g.key)).toEqual(['forums.replies', 'forums.threads', '']);
    expect(f.groups[1].scopes.map((s) => s.name)).toEqual(['forums.threads.modify', 'forums.threads.readonly']);
    expect(f.groups[2].label).toBe('Other scopes');
  });
});

describe('limit', () => {
  const ten = Array.from({ length: 10 }, (_, i) => scope(`s${i}`));

  it('does not count required scopes', () => {
    expect(countTowardsLimit([...ten, scope('req', { required: true })])).toBe(10);
  });

  it('refuses the 11th scope before the server does', () => {
    const res = toggleScope(sel(...ten), scope('eleventh'), 10, none);
    expect(res.error).toMatch(/at most 10 scopes/);
    expect(res.selection.size).toBe(10);
  });

  it('still accepts a required scope at the limit', () => {
    const res = toggleScope(sel(...ten), scope('req', { required: true }), 10, none);
    expect(res.error).toBeNull();
    expect(res.selection.size).toBe(11);
  });

  it('removes a selected scope', () => {
    const res = toggleScope(sel(...ten), ten[3], 10, none);
    expect(res.selection.has(ten[3].id)).toBe(false);
    expect(res.error).toBeNull();
  });
});

describe('deprecated scopes', () => {
  it('cannot be newly assigned', () => {
    const d = scope('old', { deprecated: true });
    const res = toggleScope(sel(), d, 10, none);
    expect(res.error).toMatch(/deprecated/);
    expect(res.selection.size).toBe(0);
  });

  it('may be kept (re-ticked) when the client already holds it', () => {
    const d = scope('old', { deprecated: true });
    const res = toggleScope(sel(), d, 10, new Set([d.id]));
    expect(res.error).toBeNull();
  });
});

describe('toggleGroup', () => {
  const ro = scope('forums.threads.readonly');
  const mod = scope('forums.threads.modify');

  it('selects every scope of the group, then clears them', () => {
    const first = toggleGroup(sel(), [ro, mod], 10, none);
    expect([...first.selection.keys()].sort()).toEqual([mod.id, ro.id].sort());
    expect(groupState(first.selection, [ro, mod])).toBe('all');
    const second = toggleGroup(first.selection, [ro, mod], 10, none);
    expect(second.selection.size).toBe(0);
  });

  it('completes a partly selected group', () => {
    expect(groupState(sel(ro), [ro, mod])).toBe('some');
    expect(toggleGroup(sel(ro), [ro, mod], 10, none).selection.size).toBe(2);
  });

  it('refuses a group that would exceed the limit, as a whole', () => {
    const nine = Array.from({ length: 9 }, (_, i) => scope(`s${i}`));
    const res = toggleGroup(sel(...nine), [ro, mod], 10, none);
    expect(res.error).toMatch(/11 scopes/);
    expect(res.selection.size).toBe(9);
  });

  it('skips deprecated scopes of the group', () => {
    const old = scope('forums.threads.admin', { deprecated: true });
    const res = toggleGroup(sel(), [ro, old], 10, none);
    expect([...res.selection.keys()]).toEqual([ro.id]);
  });
});

describe('stagedAgainst', () => {
  const a = scope('forums.threads.readonly');
  const b = scope('forums.threads.modify');
  const c = scope('forums.posts.readonly');
  it('applies staged removals and additions in one set', () => {
    const out = stagedAgainst([a, b], { removed: new Set([b.id]), added: new Map([[c.id, c]]) });
    expect(out.next.map((s) => s.name)).toEqual([a.name, c.name]);
    expect(out.removed).toEqual([b]);
    expect(out.added).toEqual([c]);
    expect(out.changed).toBe(true);
  });
  it('drops what someone else saved meanwhile', () => {
    // b is no longer assigned, c already is: nothing is left to do.
    const out = stagedAgainst([a, c], { removed: new Set([b.id]), added: new Map([[c.id, c]]) });
    expect(out.changed).toBe(false);
    expect(out.next).toEqual([a, c]);
  });
});

describe('describeChange', () => {
  const a = scope('forums.threads.readonly');
  const b = scope('forums.threads.modify');
  const c = scope('forums.posts.readonly');
  it('names what is added and removed', () => {
    expect(describeChange([a, b], [a, c])).toBe('forums.posts.readonly added; forums.threads.modify removed');
    expect(describeChange([a], [a, b, c])).toBe('forums.threads.modify, forums.posts.readonly added');
    expect(describeChange([a], [a])).toBe('');
  });
});

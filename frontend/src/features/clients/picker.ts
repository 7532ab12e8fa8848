/** The selection logic of the "Assign scope" picker: grouping, the per-client limit, deprecated scopes. */

export interface PickerScope {
  id: string;
  name: string;
  displayName: string;
  description: string;
  required: boolean;
  deprecated: boolean;
  replacedBy?: { name: string } | null;
  sunsetAt?: string | null;
  group?: string | null;
  entity?: string | null;
  api: { id: string; name: string; displayName: string };
}

export interface ScopeGroup {
  /** "group.entity" for dotted names, "" for the API's other scopes. */
  key: string;
  label: string;
  scopes: PickerScope[];
}

export interface ApiGroup {
  apiId: string;
  apiName: string;
  groups: ScopeGroup[];
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** Groups scopes by API, then by `group.entity` for names of the form group.entity.modifier. */
export function groupScopes(scopes: PickerScope[]): ApiGroup[] {
  const apis = new Map<string, { api: PickerScope['api']; groups: Map<string, PickerScope[]> }>();
  for (const s of scopes) {
    let a = apis.get(s.api.id);
    if (!a) {
      a = { api: s.api, groups: new Map() };
      apis.set(s.api.id, a);
    }
    const key = s.group && s.entity ? `${s.group}.${s.entity}` : '';
    const list = a.groups.get(key) ?? [];
    list.push(s);
    a.groups.set(key, list);
  }
  return [...apis.values()]
    .sort((x, y) => (x.api.displayName || x.api.name).localeCompare(y.api.displayName || y.api.name))
    .map(({ api, groups }) => ({
      apiId: api.id,
      apiName: api.displayName || api.name,
      groups: [...groups.entries()]
        .sort(([k1], [k2]) => (k1 === '' ? 1 : k2 === '' ? -1 : k1.localeCompare(k2)))
        .map(([key, list]) => ({ key, label: key || 'Other scopes', scopes: [...list].sort(byName) })),
    }));
}

/** Scopes that count towards the limit: required scopes don't. */
export function countTowardsLimit(selected: Iterable<PickerScope>): number {
  let n = 0;
  for (const s of selected) if (!s.required) n++;
  return n;
}

export type Selection = Map<string, PickerScope>;

export interface ToggleResult {
  selection: Selection;
  error: string | null;
}

export function limitMessage(limit: number) {
  return `A client can have at most ${limit} scopes (required scopes don't count). Remove one before adding another.`;
}

/** Whether the scope may be newly ticked: deprecated scopes only if the client already holds them. */
export function assignable(scope: PickerScope, initiallyAssigned: ReadonlySet<string>): boolean {
  return !scope.deprecated || initiallyAssigned.has(scope.id);
}

export function toggleScope(selection: Selection, scope: PickerScope, limit: number, initiallyAssigned: ReadonlySet<string>): ToggleResult {
  const next = new Map(selection);
  if (next.has(scope.id)) {
    next.delete(scope.id);
    return { selection: next, error: null };
  }
  if (!assignable(scope, initiallyAssigned)) {
    return { selection, error: `${scope.name} is deprecated and cannot be newly assigned.` };
  }
  if (!scope.required && countTowardsLimit(selection.values()) + 1 > limit) {
    return { selection, error: limitMessage(limit) };
  }
  next.set(scope.id, scope);
  return { selection: next, error: null };
}

export type GroupState = 'all' | 'some' | 'none';

export function groupState(selection: Selection, scopes: PickerScope[]): GroupState {
  const n = scopes.filter((s) => selection.has(s.id)).length;
  return n === 0 ? 'none' : n === scopes.length ? 'all' : 'some';
}

/**
 * Selecting a group selects its (assignable) scopes; when all already are, it clears them. Refuses as a
 * whole when the group would take the client over its limit.
 */
export function toggleGroup(selection: Selection, scopes: PickerScope[], limit: number, initiallyAssigned: ReadonlySet<string>): ToggleResult {
  const candidates = scopes.filter((s) => assignable(s, initiallyAssigned));
  const allSelected = candidates.length > 0 && candidates.every((s) => selection.has(s.id));
  const next = new Map(selection);
  if (allSelected) {
    for (const s of scopes) next.delete(s.id);
    return { selection: next, error: null };
  }
  for (const s of candidates) next.set(s.id, s);
  const count = countTowardsLimit(next.values());
  if (count > limit) {
    return { selection, error: `Selecting the whole group would give the client ${count} scopes. ${limitMessage(limit)}` };
  }
  return { selection: next, error: null };
}

/**
 * Changes to a client's scopes staged on its Scope tab (✖ on a row, a scope made by "Add Scope"),
 * applied together by one Save.
 */
export interface Staged {
  removed: ReadonlySet<string>;
  added: ReadonlyMap<string, PickerScope>;
}

export const nothingStaged: Staged = { removed: new Set(), added: new Map() };

/**
 * What is staged, against the client's assignments now: a removal of a scope no longer assigned and
 * an addition of one already assigned drop out (someone else saved them meanwhile).
 */
export function stagedAgainst(assigned: readonly PickerScope[], staged: Staged) {
  const ids = new Set(assigned.map((s) => s.id));
  const removed = assigned.filter((s) => staged.removed.has(s.id));
  const added = [...staged.added.values()].filter((s) => !ids.has(s.id));
  const kept = assigned.filter((s) => !staged.removed.has(s.id));
  return { kept, added, removed, next: [...kept, ...added], changed: added.length + removed.length > 0 };
}

/** "a, b added; c removed" for scopes going from before to after (names in the order given). */
export function describeChange(before: readonly PickerScope[], after: readonly PickerScope[]): string {
  const was = new Set(before.map((s) => s.id));
  const is = new Set(after.map((s) => s.id));
  const added = after.filter((s) => !was.has(s.id)).map((s) => s.name);
  const removed = before.filter((s) => !is.has(s.id)).map((s) => s.name);
  return [added.length ? `${added.join(', ')} added` : '', removed.length ? `${removed.join(', ')} removed` : ''].filter(Boolean).join('; ');
}

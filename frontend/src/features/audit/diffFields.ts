/** A field of an audited entity whose value an event changed. */
export interface FieldChange {
  field: string;
  kind: 'added' | 'removed' | 'changed';
  /** The value before, as text; absent for an added field. */
  before?: string;
  /** The value after, as text; absent for a removed field. */
  after?: string;
}

type Fields = Record<string, unknown> | null | undefined;

/** JSON with every object's keys sorted, so equal values always print alike however they were built. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  ) ?? String(value);
}

/** A value as it is shown: text as it is, anything else as stable JSON. */
export function showValue(value: unknown): string {
  return typeof value === 'string' ? value : stableStringify(value);
}

/**
 * The fields that differ between an event's `before` and `after` (either may be missing: a creation
 * has no before, a deletion no after), sorted by name. Unchanged fields are left out; nested values
 * compare by their stable JSON, so key order does not count as a change.
 */
export function diffFields(before: Fields, after: Fields): FieldChange[] {
  const b = before ?? {};
  const a = after ?? {};
  const names = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const changes: FieldChange[] = [];
  for (const field of names) {
    const inBefore = Object.hasOwn(b, field);
    const inAfter = Object.hasOwn(a, field);
    if (!inBefore) changes.push({ field, kind: 'added', after: showValue(a[field]) });
    else if (!inAfter) changes.push({ field, kind: 'removed', before: showValue(b[field]) });
    else if (stableStringify(b[field]) !== stableStringify(a[field])) changes.push({ field, kind: 'changed', before: showValue(b[field]), after: showValue(a[field]) });
  }
  return changes;
}

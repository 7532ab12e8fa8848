import type { ScopeReviewFieldsFragment } from '../../gql/graphql';

/** The window's bounds in days, as the server accepts them. */
export const minDays = 1;
export const maxDays = 3650;

/** A window typed into the field, or null when it is not a whole number of days in range. */
export function parseDays(value: string | number): number | null {
  const n = typeof value === 'number' ? value : Number(value.trim());
  return Number.isInteger(n) && n >= minDays && n <= maxDays ? n : null;
}

/** What "Remove unused" does to one client: the scopes it keeps and those it removes, by name. */
export function removalPlan(scopes: ScopeReviewFieldsFragment[]) {
  const keep = scopes.filter((s) => !s.unused).map((s) => s.scope);
  const remove = scopes.filter((s) => s.unused).map((s) => s.scope);
  return { keepIDs: keep.map((s) => s.id), removeNames: remove.map((s) => s.name) };
}

/** "a, b and c" */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

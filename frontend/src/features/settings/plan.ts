import type { ImportConfigurationMutation } from '../../gql/graphql';

type Change = ImportConfigurationMutation['importConfiguration']['changes'][number];

export const actionLabel = { CREATE: 'Add', UPDATE: 'Change', DELETE: 'Delete' } as const;

/** How many rows of a plan are shown at first and added by "Show more": a plan can list 100,000 changes. */
export const PLAN_PAGE = 200;

const nouns: Record<string, [one: string, many: string]> = {
  API: ['API', 'APIs'],
  Scope: ['scope', 'scopes'],
  Endpoint: ['endpoint', 'endpoints'],
  Client: ['client', 'clients'],
  Organisation: ['organisation setting', 'organisation settings'],
};

/** "Add 2 APIs, 250 scopes. Delete 1 client." — the plan counted by action and kind, in that order. */
export function planSummary(changes: Pick<Change, 'action' | 'kind'>[]): string {
  const counts = new Map<string, Map<string, number>>();
  for (const c of changes) {
    const byKind = counts.get(c.action) ?? new Map<string, number>();
    byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    counts.set(c.action, byKind);
  }
  const parts: string[] = [];
  for (const action of ['CREATE', 'UPDATE', 'DELETE'] as const) {
    const byKind = counts.get(action);
    if (!byKind) continue;
    const kinds = [...byKind].map(([kind, n]) => `${n.toLocaleString('en')} ${(nouns[kind] ?? [kind, kind])[n === 1 ? 0 : 1]}`);
    parts.push(`${actionLabel[action]} ${kinds.join(', ')}.`);
  }
  return parts.join(' ');
}


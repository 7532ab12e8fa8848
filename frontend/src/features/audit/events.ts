/**
 * How the audit log's vocabulary reads. The lists themselves come from the API (auditVocabulary);
 * a value without a label here shows as it is.
 */
export const actionLabels: Record<string, string> = { create: 'Create', update: 'Update', delete: 'Delete' };
export const actionColors: Record<string, string> = { create: 'teal', update: 'blue', delete: 'red' };

export const targetTypeLabels: Record<string, string> = {
  API: 'API',
  Scope: 'Scope',
  Endpoint: 'Endpoint',
  OAuthClient: 'API client',
  APIKey: 'API key',
  User: 'User',
  Organisation: 'Organisation',
  SigningKey: 'Signing key',
};

/** Select options for values, labelled where labels has a label. */
export const toOptions = (values: string[], labels: Record<string, string>) => values.map((value) => ({ value, label: labels[value] ?? value }));

/** Who made a change, from the recorded actor: `user:EMAIL`, `apikey:OWNER-EMAIL` or `system`. */
export function describeActor(actor: string): { name: string; via?: 'API key' | 'System' } {
  if (actor === 'system') return { name: 'Scopekeeper', via: 'System' };
  const [kind, ...rest] = actor.split(':');
  const name = rest.join(':');
  if (kind === 'user' && name) return { name };
  if (kind === 'apikey' && name) return { name, via: 'API key' };
  return { name: actor };
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** How long ago `at` was, in the largest whole unit ("3 minutes ago", "yesterday"); under a minute is "just now". */
export function relativeTime(at: string, now: number = Date.now()): string {
  const seconds = (new Date(at).getTime() - now) / 1000;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return 'just now';
}

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

const timeFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A time as people read it: "3 Dec 2026, 09:14" (the browser's time zone). */
export function formatTime(at: string): string {
  return timeFormat.format(new Date(at));
}

const fieldLabels: Record<string, string> = {
  api_id: 'API',
  base_path: 'Base path',
  display_name: 'Display name',
  show_in_discovery_document: 'Show in discovery document',
  redirect_uris: 'Redirect URIs',
  grant_types: 'Grant types',
  client_id: 'Client ID',
  max_scopes_per_client: 'Most scopes per client',
  replaced_by_id: 'Replaced by (scope ID)',
  sunset_at: 'Sunset',
  created_at: 'Created',
  updated_at: 'Changed',
};

/** A recorded column as a label: `display_name` → "Display name". */
export function fieldLabel(field: string): string {
  if (fieldLabels[field]) return fieldLabels[field];
  const words = field.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

type Snapshot = Record<string, unknown> | null | undefined;

/** The changed object's name from what was recorded of it ("forums.threads.readonly"), else "#ID". */
export function targetName(e: { targetID: string; before?: Snapshot; after?: Snapshot }): string {
  for (const s of [e.after, e.before]) {
    if (!s) continue;
    for (const k of ['name', 'email', 'kid']) if (typeof s[k] === 'string' && s[k]) return s[k] as string;
    if (typeof s.method === 'string' && typeof s.path === 'string') return `${s.method} ${s.path}`;
  }
  return `#${e.targetID}`;
}

/** Where the changed object is shown in the console, when it still can be. */
export function targetLink(e: { action: string; targetType: string; targetID: string; before?: Snapshot; after?: Snapshot }): string | null {
  if (e.action === 'delete') return null;
  const apiID = (e.after ?? e.before)?.api_id;
  switch (e.targetType) {
    case 'API':
      return `/apis/${e.targetID}/scopes`;
    case 'OAuthClient':
      return `/clients/${e.targetID}/scope`;
    case 'Scope':
      return apiID ? `/apis/${apiID}/scopes` : null;
    case 'Endpoint':
      return apiID ? `/apis/${apiID}/endpoints` : null;
    case 'User':
      return '/users';
    case 'Organisation':
    case 'SigningKey':
      return '/settings';
    default:
      return null;
  }
}

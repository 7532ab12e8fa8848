import { CombinedError } from 'urql';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'SCOPE_LIMIT_EXCEEDED'
  | 'SCOPE_IN_USE'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'COMPLEXITY_LIMIT_EXCEEDED';

interface ErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

function graphQLErrors(error: CombinedError | null | undefined): ErrorLike[] {
  if (!error) return [];
  return (error.graphQLErrors ?? []) as ErrorLike[];
}

/** The first extensions.code of a GraphQL error, if any. */
export function errorCode(error: CombinedError | null | undefined): string | undefined {
  for (const e of graphQLErrors(error)) {
    const code = e.extensions?.code;
    if (typeof code === 'string') return code;
  }
  const status = (error?.response as Response | undefined)?.status;
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  return undefined;
}

export function hasCode(error: CombinedError | null | undefined, code: ErrorCode): boolean {
  return graphQLErrors(error).some((e) => e.extensions?.code === code) || errorCode(error) === code;
}

export function isUnauthenticated(error: CombinedError | null | undefined): boolean {
  return hasCode(error, 'UNAUTHENTICATED');
}

/** Strips urql's "[GraphQL] " / "[Network] " prefixes so messages read as the server wrote them. */
export function errorMessage(error: CombinedError | Error | null | undefined): string {
  if (!error) return '';
  const gql = 'graphQLErrors' in error ? graphQLErrors(error as CombinedError) : [];
  if (gql.length) return gql.map((e) => e.message).join(' ');
  if ('networkError' in error && error.networkError) {
    return `Could not reach the server (${error.networkError.message}).`;
  }
  return error.message.replace(/^\[(GraphQL|Network)\]\s*/, '');
}

/**
 * Server validation errors that name an input field (VALIDATION_FAILED / CONFLICT with extensions.field),
 * keyed by that field; errors naming no field are returned under "".
 */
export function fieldErrors(error: CombinedError | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of graphQLErrors(error)) {
    const field = e.extensions?.field;
    const key = typeof field === 'string' ? normaliseField(field) : '';
    out[key] = out[key] ? `${out[key]} ${e.message}` : e.message;
  }
  if (error && !graphQLErrors(error).length) out[''] = errorMessage(error);
  return out;
}

/** "input.name" or "Name" → "name". */
export function normaliseField(field: string): string {
  const last = field.split('.').pop() ?? field;
  return last.charAt(0).toLowerCase() + last.slice(1);
}

/** Splits field errors into those a form shows beside its fields and the rest (shown above the form). */
export function splitFieldErrors(error: CombinedError | null | undefined, formFields: string[]) {
  const all = fieldErrors(error);
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const [k, v] of Object.entries(all)) {
    if (k && formFields.includes(k)) fields[k] = v;
    else general.push(v);
  }
  return { fields, general: general.join(' ') };
}

/** extensions.usedBy of a SCOPE_IN_USE error. */
export function usedBy(error: CombinedError | null | undefined): string[] {
  for (const e of graphQLErrors(error)) {
    const u = e.extensions?.usedBy;
    if (Array.isArray(u)) return u.map(String);
  }
  return [];
}

/**
 * The error without its field errors for fields whose value changed since the error came (a field
 * the user has since edited shows no stale error); null when nothing is left.
 */
export function withoutEditedFields<T>(error: CombinedError | null, at: T | null, now: T): CombinedError | null {
  if (!error || !at) return error;
  const edited = (field: unknown) =>
    typeof field === 'string' && JSON.stringify((at as Record<string, unknown>)[normaliseField(field)]) !== JSON.stringify((now as Record<string, unknown>)[normaliseField(field)]);
  const kept = graphQLErrors(error).filter((e) => !edited(e.extensions?.field));
  if (kept.length === graphQLErrors(error).length) return error;
  if (!kept.length && !error.networkError) return null;
  return new CombinedError({ graphQLErrors: kept as CombinedError['graphQLErrors'], networkError: error.networkError, response: error.response });
}

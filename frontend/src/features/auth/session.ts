/** Where a console route may send the browser after sign-in. */
export const consoleRoutes = ['/apis', '/clients', '/discovery', '/api-keys', '/settings', '/users', '/consent', '/login'];

export type NextTarget = { kind: 'route'; to: string } | { kind: 'page'; to: string };

/**
 * Decides where to go after signing in. `next` must be a path of this origin, as the browser reads it:
 * the URL parser drops tabs and newlines and reads `\` as `/`, so `/\t/evil.test` or `/\evil.test` name
 * another host. `next` is therefore resolved against `origin` by that same parser, and only a result on
 * `origin` whose path does not itself start with `//` is followed, in its normalised form. Console routes are
 * followed inside the single-page app, anything else (e.g. /o/acme/oauth/authorize?…) with a full page load.
 */
export function resolveNext(next: string | null | undefined, origin: string = window.location.origin): NextTarget {
  const home: NextTarget = { kind: 'route', to: '/' };
  if (!next || !next.startsWith('/')) return home;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return home;
  }
  const to = url.pathname + url.search + url.hash;
  if (url.origin !== origin || to.startsWith('//')) return home;
  if (url.pathname === '/' || consoleRoutes.some((r) => url.pathname === r || url.pathname.startsWith(`${r}/`))) {
    return { kind: 'route', to };
  }
  return { kind: 'page', to };
}

export interface SignedInUser {
  id: string;
  email: string;
  role: string;
}

export class LoginError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export async function login(email: string, password: string): Promise<SignedInUser> {
  let res: Response;
  try {
    res = await fetch('/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  } catch {
    throw new LoginError('Could not reach the server. Check your connection and try again.', 'network');
  }
  if (!res.ok) {
    // Read the (small) error body so the response completes rather than lingering half-read.
    await res.text().catch(() => undefined);
  }
  if (res.status === 401) {
    throw new LoginError('The email or password is wrong.', 'invalid_credentials');
  }
  if (res.status === 429) {
    throw new LoginError('Too many attempts. Wait a moment and try again.', 'rate_limited');
  }
  if (!res.ok) {
    throw new LoginError(`Sign-in failed (HTTP ${res.status}). Try again later.`, 'http');
  }
  const body = (await res.json()) as { user: SignedInUser };
  return body.user;
}

export async function logout(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
}

/** The OAuth authorization request a sign-in continues, read from next: issuer slug, client and redirect URI. */
export function authorizationOf(next: string | null | undefined): { slug: string; clientId: string; redirectUri: string } | null {
  if (!next || resolveNext(next).kind !== 'page') return null;
  const m = /^\/o\/([a-z0-9-]+)\/oauth\/authorize\?(.*)$/.exec(next);
  if (!m) return null;
  const q = new URLSearchParams(m[2]);
  const clientId = q.get('client_id');
  const redirectUri = q.get('redirect_uri');
  return clientId && redirectUri ? { slug: m[1], clientId, redirectUri } : null;
}

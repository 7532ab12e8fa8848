import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext } from '@playwright/test';

export interface E2EState {
  baseURL: string;
  dir: string;
  pid: number;
}

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
const outDir = resolve(repoRoot, 'test-output');
export const STATE_FILE = resolve(outDir, 'e2e-state.json');
export const storagePath = (who: string) => resolve(outDir, `storage-${who}.json`);

export const OWNER = { email: 'owner@acme.test', password: 'correct horse battery', role: 'OWNER', displayName: 'Olive Owner' } as const;
export const USERS = {
  owner: OWNER,
  access: { email: 'access@acme.test', password: 'access control pass', role: 'ACCESS_CONTROL', displayName: 'Ada Access' },
  viewer: { email: 'viewer@acme.test', password: 'viewer pass 1234', role: 'VIEWER', displayName: 'Vic Viewer' },
  member: { email: 'member@acme.test', password: 'member pass 1234', role: 'MEMBER', displayName: 'Mia Member' },
} as const;

export function e2eState(): E2EState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as E2EState;
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string; usedBy?: string[] };
}

/** Runs a GraphQL operation with the context's session cookie; throws on errors unless allowErrors. */
export async function gql<T = Record<string, any>>(api: APIRequestContext, query: string, variables: Record<string, unknown> = {}, allowErrors = false): Promise<{ data: T; errors?: GqlError[] }> {
  const res = await api.post('/graphql', { data: { query, variables }, headers: { 'Content-Type': 'application/json' } });
  const body = (await res.json()) as { data: T; errors?: GqlError[] };
  if (body.errors?.length && !allowErrors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body;
}

import { test as base, expect, request, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { e2eState, repoRoot, storagePath } from './env';

export type Who = 'owner' | 'access' | 'viewer' | 'member';

interface Fixtures {
  /** GraphQL/HTTP access as the owner, for seeding and checking. */
  ownerApi: APIRequestContext;
}

interface Options {
  who: Who | null;
}

export const test = base.extend<Fixtures & Options>({
  who: ['owner', { option: true }],
  baseURL: async ({}, use) => {
    await use(e2eState().baseURL);
  },
  storageState: async ({ who }, use) => {
    await use(who ? storagePath(who) : { cookies: [], origins: [] });
  },
  ownerApi: async ({ baseURL }, use) => {
    const ctx = await request.newContext({ baseURL, storageState: storagePath('owner') });
    await use(ctx);
    await ctx.dispose();
  },
});

export { expect };

const shotsDir = resolve(repoRoot, 'test-output/screenshots');

/** Saves a full-page screenshot under test-output/screenshots once animations have settled. */
export async function shot(page: Page, name: string) {
  mkdirSync(shotsDir, { recursive: true });
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.waitForTimeout(150);
  await page.screenshot({ path: resolve(shotsDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** A unique suffix so specs can run against one database without clashing names. */
export function uniq(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

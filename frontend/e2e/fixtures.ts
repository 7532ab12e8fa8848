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

/** The phone viewport the console is checked at (an iPhone 12–15 in portrait). */
export const PHONE = { width: 390, height: 844 };

/**
 * Runs axe-core (WCAG 2.0–2.2 A/AA and best practices) on the page and fails on serious or critical
 * violations, listing each rule with the elements it found.
 */
export async function expectAccessible(page: Page, where: string) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ')}`).join('\n')}`);
  expect(report, `axe on ${where}`).toEqual([]);
}

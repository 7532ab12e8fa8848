/** Page actions shared by the specs: each does what an admin would do in the console. */
import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { gql } from './env';

// ---- signing in -------------------------------------------------------------------------------

export async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

export function nav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

// ---- APIs -------------------------------------------------------------------------------------

export async function openApisPage(page: Page) {
  await page.goto('/apis');
  await expect(page.getByRole('heading', { name: 'APIs', level: 1 })).toBeVisible();
}

export async function openApi(page: Page, apiId: string, tab: 'scopes' | 'endpoints' | 'discovery' | 'details' = 'scopes') {
  await page.goto(`/apis/${apiId}/${tab}`);
  await expect(page.getByRole('tab', { name: tab === 'scopes' ? 'Scopes' : tab[0].toUpperCase() + tab.slice(1), selected: true })).toBeVisible();
}

export function dialog(page: Page, name: string | RegExp): Locator {
  return page.getByRole('dialog', { name });
}

export async function closedDialog(page: Page, name: string | RegExp) {
  await expect(page.getByRole('dialog', { name })).toHaveCount(0);
}

// ---- scopes -----------------------------------------------------------------------------------

export interface ScopeInput {
  name: string;
  displayName?: string;
  description?: string;
  required?: boolean;
  emphasize?: boolean;
  showInDiscoveryDocument?: boolean;
}

export async function openAddScope(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Add Scope' }).click();
  const d = dialog(page, 'API Scope');
  await expect(d).toBeVisible();
  return d;
}

export async function fillScopeDialog(d: Locator, s: Partial<ScopeInput>) {
  if (s.name !== undefined) await d.getByLabel('Name', { exact: false }).first().fill(s.name);
  if (s.displayName !== undefined) await d.getByLabel('Display Name').fill(s.displayName);
  if (s.description !== undefined) await d.getByLabel('Description').fill(s.description);
  for (const [key, label] of [
    ['required', 'Required'],
    ['emphasize', 'Emphasize'],
    ['showInDiscoveryDocument', 'Show in discovery document'],
  ] as const) {
    const v = s[key];
    if (v !== undefined) await d.getByRole('checkbox', { name: label }).setChecked(v);
  }
}

export function scopeRow(page: Page, name: string): Locator {
  return page.getByRole('table', { name: 'Scopes' }).locator(`tr[data-scope="${name}"]`);
}

export async function searchScopes(page: Page, text: string) {
  await page.getByLabel('Search scopes').fill(text);
}

// ---- clients ----------------------------------------------------------------------------------

export async function openClient(page: Page, clientId: string, tab: 'scope' | 'details' | 'consent' = 'scope') {
  await page.goto(`/clients/${clientId}/${tab}`);
}

export async function openAssignScope(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Assign scope' }).first().click();
  const d = page.getByRole('dialog', { name: /Assign scope/ });
  await expect(d).toBeVisible();
  return d;
}

// ---- seeding through GraphQL (as the owner) ---------------------------------------------------

export async function seedApi(api: APIRequestContext, input: { name: string; displayName?: string; basePath?: string; description?: string }) {
  const { data } = await gql(api, `mutation($input: CreateAPIInput!) { createAPI(input: $input) { id name } }`, { input });
  return data.createAPI.id as string;
}

export async function seedScope(api: APIRequestContext, input: { apiID: string; name: string } & Partial<ScopeInput>) {
  const { data } = await gql(api, `mutation($input: CreateScopeInput!) { createScope(input: $input) { id name } }`, { input: { displayName: input.name, ...input } });
  return data.createScope.id as string;
}

export async function seedClient(api: APIRequestContext, input: { name: string; kind: 'SERVICE' | 'WEB' | 'BROWSER'; redirectURIs?: string[]; description?: string }) {
  const { data } = await gql(api, `mutation($input: CreateClientInput!) { createClient(input: $input) { clientSecret client { id clientId name } } }`, { input });
  return data.createClient as { clientSecret: string | null; client: { id: string; clientId: string; name: string } };
}

export async function setClientScopes(api: APIRequestContext, clientID: string, scopeIDs: string[]) {
  await gql(api, `mutation($c: ID!, $s: [ID!]!) { setClientScopes(clientID: $c, scopeIDs: $s) { id } }`, { c: clientID, s: scopeIDs });
}

export async function setOrganisation(api: APIRequestContext, input: Record<string, unknown>) {
  await gql(api, `mutation($input: UpdateOrganisationInput!) { updateOrganisation(input: $input) { id } }`, { input });
}

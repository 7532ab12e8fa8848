import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { ScopesTab } from './ScopesTab';
import { mockClient, renderUI } from '../../test/render';

const api = { __typename: 'API', id: 'a1', name: 'forums', displayName: 'Forums' };
const node = (name: string, extra: Record<string, unknown> = {}) => ({
  __typename: 'Scope',
  id: `id-${name}`,
  name,
  displayName: `${name} display`,
  description: `About ${name}`,
  required: false,
  emphasize: false,
  showInDiscoveryDocument: true,
  deprecated: false,
  builtIn: false,
  group: null,
  entity: null,
  modifier: null,
  apiID: 'a1',
  api,
  ...extra,
});

function client(seen: Record<string, unknown>[] = []) {
  return mockClient((name, variables) => {
    if (name !== 'Scopes') return undefined;
    seen.push(variables);
    return {
      scopes: {
        __typename: 'ScopeConnection',
        totalCount: 3000,
        pageInfo: { __typename: 'PageInfo', hasNextPage: true, endCursor: 'c25' },
        edges: [node('read_user_data', { required: true, emphasize: true }), node('update_profile', { showInDiscoveryDocument: false })].map((n) => ({ __typename: 'ScopeEdge', node: n })),
      },
    };
  });
}

describe('ScopesTab', () => {
  it('shows the documented columns, Yes/No, and pages on the server', async () => {
    const seen: Record<string, unknown>[] = [];
    renderUI(<ScopesTab apiId="a1" manage builtInApi={false} readOnlyReason="" />, { client: client(seen) });
    const table = await screen.findByRole('table', { name: 'Scopes' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Name', 'Display Name', 'Description', 'Required', 'Emphasize', 'Show in discovery', 'Actions']);
    const row = within(table).getAllByRole('row')[1];
    expect(within(row).getAllByRole('cell').map((c) => c.textContent).slice(0, 5)).toEqual(['read_user_data', 'read_user_data display', 'About read_user_data', 'Yes', 'Yes']);
    expect((screen.getByRole('switch', { name: 'Show update_profile in discovery' }) as HTMLInputElement).checked).toBe(false);
    expect(screen.getByRole('button', { name: 'Edit read_user_data' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add Scope' })).toBeTruthy();
    expect(screen.getByText('1–2 of 3,000 scopes')).toBeTruthy();
    // Never all rows: a page at a time, filtered by API.
    expect(seen[0]).toMatchObject({ first: 25, after: null, where: { apiID: 'a1' } });
  });

  it('hides edit controls from those who may not change scopes', async () => {
    renderUI(<ScopesTab apiId="a1" manage={false} builtInApi={false} readOnlyReason="Viewers can read everything but change nothing." />, { client: client() });
    await screen.findByRole('table', { name: 'Scopes' });
    expect(screen.queryByRole('button', { name: /^(Edit|Delete) / })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add Scope' })).toBeNull();
    expect((screen.getByRole('switch', { name: 'Show read_user_data in discovery' }) as HTMLInputElement).disabled).toBe(true);
  });
});

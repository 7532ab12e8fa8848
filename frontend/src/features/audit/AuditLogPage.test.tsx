import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { AuditLogPage } from './AuditLogPage';
import { mockClient, renderUI } from '../../test/render';

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  __typename: 'AuditEvent',
  id,
  actor: 'user:owner@acme.test',
  action: 'update',
  targetType: 'Scope',
  targetID: '42',
  before: { name: 'forums.posts.readonly', description: 'Old', updated_at: '2026-03-10T11:00:00Z' },
  after: { name: 'forums.posts.readonly', description: 'New', updated_at: '2026-03-10T12:00:00Z' },
  at: new Date(Date.now() - 5 * 60_000).toISOString(),
  ...extra,
});

function client(seen: Record<string, unknown>[], events = [event('e1'), event('e2', { actor: 'apikey:ci@acme.test', action: 'create', targetType: 'OAuthClient', before: null })]) {
  return mockClient((name, variables) => {
    if (name === 'AuditVocabulary') {
      return { auditVocabulary: { __typename: 'AuditVocabulary', actions: ['create', 'update', 'delete'], targetTypes: ['API', 'OAuthClient', 'Scope'] } };
    }
    if (name !== 'AuditEvents') return undefined;
    seen.push(variables);
    return {
      auditEvents: {
        __typename: 'AuditEventConnection',
        totalCount: events.length,
        pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: 'c2' },
        edges: events.map((node) => ({ __typename: 'AuditEventEdge', node })),
      },
    };
  });
}

describe('AuditLogPage', () => {
  it('lists events newest first, a page at a time, and unfolds what changed', async () => {
    const seen: Record<string, unknown>[] = [];
    renderUI(<AuditLogPage />, { client: client(seen) });
    const table = await screen.findByRole('table', { name: 'Audit log' });
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['When', 'Who', 'Action', 'Target', 'Changes']);
    const rows = within(table).getAllByRole('row');
    const at = within(rows[1]).getAllByRole('cell')[0].textContent;
    expect(at).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$/);
    expect(within(rows[1]).getAllByRole('cell').map((c) => c.textContent).slice(1, 4)).toEqual(['owner@acme.test', 'Update', 'Scope forums.posts.readonly']);
    expect(rows[1].querySelector('time')?.getAttribute('title')).toMatch(/^5 minutes ago \(\d{4}-/);
    expect(within(rows[2]).getAllByRole('cell').map((c) => c.textContent).slice(1, 4)).toEqual(['ci@acme.testAPI key', 'Create', 'API client forums.posts.readonly']);
    expect(within(rows[2]).getByRole('link', { name: 'forums.posts.readonly' }).getAttribute('href')).toBe('/clients/42/scope');
    expect(screen.getByText('1–2 of 2 events')).toBeTruthy();
    expect(seen[0]).toEqual({ first: 25, after: null, where: undefined });

    const toggle = within(rows[1]).getByRole('button', { name: 'Changes to Scope forums.posts.readonly' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const changes = screen.getByRole('table', { name: 'Changes to Scope forums.posts.readonly' });
    expect(document.getElementById(toggle.getAttribute('aria-controls')!)?.contains(changes)).toBe(true);
    const changed = within(changes).getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    expect(changed).toEqual([
      ['Description', 'changed', 'Old', 'New'],
      ['Changed', 'changed', '2026-03-10T11:00:00Z', '2026-03-10T12:00:00Z'],
    ]);
    fireEvent.click(toggle);
    expect(screen.queryByRole('table', { name: 'Changes to Scope forums.posts.readonly' })).toBeNull();
  });

  it('sends the filters to the server', async () => {
    const seen: Record<string, unknown>[] = [];
    renderUI(<AuditLogPage />, { client: client(seen) });
    await screen.findByRole('table', { name: 'Audit log' });
    fireEvent.change(screen.getByRole('textbox', { name: 'Actor' }), { target: { value: ' owner ' } });
    await waitFor(() => expect(seen.at(-1)).toEqual({ first: 25, after: null, where: { actorContainsFold: 'owner' } }));
    expect(screen.getByRole('button', { name: 'Clear filters' })).toBeTruthy();
  });

  it('says when nothing was recorded', async () => {
    renderUI(<AuditLogPage />, { client: client([], []) });
    expect(await screen.findByText('No changes recorded yet')).toBeTruthy();
  });
});

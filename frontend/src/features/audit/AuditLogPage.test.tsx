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
    expect(within(rows[1]).getAllByRole('cell').map((c) => c.textContent).slice(0, 4)).toEqual(['5 minutes ago', 'owner@acme.test', 'Update', 'Scope #42']);
    expect(rows[1].querySelector('time')?.getAttribute('title')).toBeTruthy();
    expect(within(rows[2]).getAllByRole('cell').map((c) => c.textContent).slice(1, 4)).toEqual(['ci@acme.testAPI key', 'Create', 'API client #42']);
    expect(screen.getByText('1–2 of 2 events')).toBeTruthy();
    expect(seen[0]).toEqual({ first: 25, after: null, where: undefined });

    const toggle = within(rows[1]).getByRole('button', { name: 'Changes to Scope #42' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const changes = screen.getByRole('table', { name: 'Changes to Scope #42' });
    expect(document.getElementById(toggle.getAttribute('aria-controls')!)?.contains(changes)).toBe(true);
    const changed = within(changes).getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    expect(changed).toEqual([
      ['description', 'changed', 'Old', 'New'],
      ['updated_at', 'changed', '2026-03-10T11:00:00Z', '2026-03-10T12:00:00Z'],
    ]);
    fireEvent.click(toggle);
    expect(screen.queryByRole('table', { name: 'Changes to Scope #42' })).toBeNull();
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

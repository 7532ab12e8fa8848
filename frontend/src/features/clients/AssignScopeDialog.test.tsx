import { describe, expect, it } from 'vitest';
import { fireEvent, screen, within } from '@testing-library/react';
import { AssignScopeDialog } from './AssignScopeDialog';
import { mockClient, renderUI } from '../../test/render';
import type { PickerScope } from './picker';

const api = { __typename: 'API', id: 'a1', name: 'forums', displayName: 'Forums' };
function scope(name: string, extra: Partial<PickerScope> = {}) {
  const p = name.split('.');
  return {
    __typename: 'Scope',
    id: `id-${name}`,
    name,
    displayName: name,
    description: '',
    required: false,
    emphasize: false,
    deprecated: false,
    group: p.length === 3 ? p[0] : null,
    entity: p.length === 3 ? p[1] : null,
    modifier: p.length === 3 ? p[2] : null,
    api,
    ...extra,
  };
}

const assigned = Array.from({ length: 9 }, (_, i) => scope(`s${i}`));
const available = [...assigned, scope('forums.threads.readonly'), scope('forums.threads.modify'), scope('profile', { required: true })];

function client() {
  return mockClient((name) =>
    name === 'PickerScopes'
      ? {
          scopes: {
            __typename: 'ScopeConnection',
            totalCount: available.length,
            pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
            edges: available.map((node) => ({ __typename: 'ScopeEdge', node })),
          },
        }
      : undefined,
  );
}

describe('AssignScopeDialog', () => {
  it('shows "n of 10", groups dotted names and refuses the 11th scope', async () => {
    renderUI(<AssignScopeDialog opened client={{ id: 'c1', name: 'Billing', scopes: assigned }} onClose={() => undefined} />, { client: client() });
    const dialog = await screen.findByRole('dialog');
    expect((await within(dialog).findByTestId('scope-counter')).textContent).toBe('9 of 10');
    expect(await within(dialog).findByRole('group', { name: 'Group forums.threads' })).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'forums.threads.readonly' }));
    expect(within(dialog).getByTestId('scope-counter').textContent).toBe('10 of 10');

    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'forums.threads.modify' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/at most 10 scopes/);
    expect(within(dialog).getByTestId('scope-counter').textContent).toBe('10 of 10');

    // Required scopes don't count.
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'profile' }));
    expect(within(dialog).getByTestId('scope-counter').textContent).toBe('10 of 10');
    expect((within(dialog).getByRole('checkbox', { name: 'profile' }) as HTMLInputElement).checked).toBe(true);

    // ✖ removes from the selection.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove s0' }));
    expect(within(dialog).getByTestId('scope-counter').textContent).toBe('9 of 10');
  });
});

import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { ScopeDialog, ScopeFormFields, emptyScope } from './ScopeDialog';
import { mockClient, renderUI } from '../../test/render';

describe('ScopeDialog', () => {
  it('shows the error above the form when an empty form is submitted', async () => {
    let called = false;
    const client = mockClient((name) => {
      if (name === 'CreateScope') called = true;
      return undefined;
    });
    renderUI(<ScopeDialog opened apiId="a1" initial={null} onClose={() => undefined} />, { client });
    const dialog = await screen.findByRole('dialog', { name: 'API Scope' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toMatch(/Name is required/);
    expect(called).toBe(false);
  });

  it('shows the naming guideline with a valid example as help text', async () => {
    renderUI(<ScopeDialog opened apiId="a1" initial={null} onClose={() => undefined} />);
    const dialog = await screen.findByRole('dialog', { name: 'API Scope' });
    expect(within(dialog).getByText(/Example: read_user_data/)).toBeTruthy();
    for (const label of ['Name', 'Display Name', 'Description', 'Required', 'Emphasize', 'Show in discovery document']) {
      expect(within(dialog).getByLabelText(new RegExp(`^${label}`))).toBeTruthy();
    }
    expect(within(dialog).getByRole('button', { name: 'Close' })).toBeTruthy();
  });

  it('makes Name read-only when editing', async () => {
    renderUI(<ScopeDialog opened apiId="a1" initial={{ ...emptyScope, id: 's1', name: 'read_user_data' }} onClose={() => undefined} />);
    const dialog = await screen.findByRole('dialog', { name: 'API Scope' });
    const name = within(dialog).getByLabelText(/^Name/) as HTMLInputElement;
    expect(name.readOnly).toBe(true);
    expect(name.value).toBe('read_user_data');
    expect(within(dialog).getByLabelText(/^Deprecated/)).toBeTruthy();
  });

  it('shows a CONFLICT from the server beside the Name field', async () => {
    renderUI(
      <ScopeFormFields
        editing={false}
        value={{ ...emptyScope, name: 'read_user_data' }}
        onChange={() => undefined}
        formError={null}
        serverError={new CombinedError({ graphQLErrors: [new GraphQLError('A scope named read_user_data already exists.', { extensions: { code: 'CONFLICT', field: 'name' } })] })}
        namingGuideline="Lowercase with underscores."
        namingExample="read_user_data"
      />,
    );
    const name = screen.getByLabelText(/^Name/);
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = name.getAttribute('aria-describedby') ?? '';
    const text = describedBy
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ');
    expect(text).toMatch(/already exists/);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

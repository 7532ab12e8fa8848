import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { TextInput } from '@mantine/core';
import { FormDialog } from './forms';
import { renderUI } from '../test/render';

/** A dialog whose Save marks the second field invalid, as a server error naming that field does. */
function Dialog() {
  const [error, setError] = useState<string | undefined>();
  return (
    <FormDialog
      opened
      onClose={() => undefined}
      title="Edit thing"
      dirty={false}
      onSubmit={async (e) => {
        e.preventDefault();
        await Promise.resolve();
        setError('That name is taken; try forums.posts.readonly.');
      }}
    >
      <TextInput label="Display name" />
      <TextInput label="Name" error={error} />
    </FormDialog>
  );
}

describe('FormDialog', () => {
  it('moves focus to the first field in error after Save', async () => {
    renderUI(<Dialog />);
    const save = await screen.findByRole('button', { name: 'Save' });
    save.focus();
    fireEvent.click(save);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Name' })));
    expect(screen.getByText(/That name is taken/)).toBeTruthy();
  });
});

/** A dialog whose one field makes it dirty; closes count the times it really closed. */
function Editable({ onClosed }: { onClosed: () => void }) {
  const [name, setName] = useState('');
  return (
    <FormDialog opened onClose={onClosed} title="Create thing" dirty={name !== ''} onSubmit={(e) => e.preventDefault()}>
      <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
    </FormDialog>
  );
}

describe('FormDialog with unsaved edits', () => {
  it('closes at once when nothing changed', async () => {
    let closed = 0;
    renderUI(<Editable onClosed={() => closed++} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Close' }));
    expect(closed).toBe(1);
    expect(screen.queryByRole('dialog', { name: 'Discard changes?' })).toBeNull();
  });

  it('asks before Escape or Close drops an edit, with Keep editing focused', async () => {
    let closed = 0;
    renderUI(<Editable onClosed={() => closed++} />);
    fireEvent.change(await screen.findByRole('textbox', { name: 'Name' }), { target: { value: 'x' } });
    fireEvent.keyDown(window, { key: 'Escape' });
    await screen.findByRole('dialog', { name: 'Discard changes?' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Keep editing' })));
    fireEvent.click(screen.getByRole('button', { name: 'Keep editing' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Discard changes?' })).toBeNull());
    expect(closed).toBe(0);
    expect((screen.getByRole('textbox', { name: 'Name' }) as HTMLInputElement).value).toBe('x');
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Discard changes' }));
    expect(closed).toBe(1);
  });
});

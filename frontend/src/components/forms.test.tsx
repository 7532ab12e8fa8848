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

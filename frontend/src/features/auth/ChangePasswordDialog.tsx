import { useState, type FormEvent } from 'react';
import { Alert, PasswordInput } from '@mantine/core';
import { useMutation } from 'urql';
import { graphql } from '../../gql';
import { splitFieldErrors } from '../../lib/errors';
import { FormDialog, useDialogFormState } from '../../components/forms';

const ChangePasswordDocument = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      id
    }
  }
`);

interface Value {
  currentPassword: string;
  newPassword: string;
}

const empty: Value = { currentPassword: '', newPassword: '' };
const fields = ['currentPassword', 'newPassword'];

/** The signed-in user changes their own password; their other sessions end (this one stays). */
export function ChangePasswordDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState<Value>(opened, null, empty);
  const [done, setDone] = useState(false);
  const [state, change] = useMutation(ChangePasswordDocument);
  const { fields: errs, general } = splitFieldErrors(serverError, fields);

  const set = (k: keyof Value) => (e: { currentTarget: { value: string } }) => {
    const v = e.currentTarget.value;
    setDone(false);
    setValue((s) => ({ ...s, [k]: v }));
  };

  function close() {
    setDone(false);
    onClose();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    setDone(false);
    if (!value.currentPassword || !value.newPassword) {
      setFormError('Enter your current password and a new password.');
      return;
    }
    setFormError(null);
    const res = await change(value);
    if (res.error) {
      setServerError(res.error);
      return;
    }
    setValue(empty);
    setDone(true);
  }

  return (
    <FormDialog opened={opened} onClose={close} title="Change password" dirty={dirty} onSubmit={submit} busy={state.fetching} error={formError || general}>
      {done && (
        <Alert color="teal" role="status">
          Your password has been changed. You were signed out everywhere else.
        </Alert>
      )}
      <PasswordInput
        label="Current password"
        required
        value={value.currentPassword}
        onChange={set('currentPassword')}
        error={errs.currentPassword}
        aria-invalid={Boolean(errs.currentPassword)}
        autoComplete="current-password"
        data-autofocus
      />
      <PasswordInput
        label="New password"
        required
        value={value.newPassword}
        onChange={set('newPassword')}
        error={errs.newPassword}
        aria-invalid={Boolean(errs.newPassword)}
        description="At least 12 characters, hard to guess: e.g. three or four unrelated words."
        autoComplete="new-password"
      />
    </FormDialog>
  );
}

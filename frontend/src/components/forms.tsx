import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Alert, Button, Group, Modal, Stack, type ModalProps } from '@mantine/core';
import type { CombinedError } from 'urql';
import { withoutEditedFields } from '../lib/errors';
import { useCloseGuard } from './discard';

/** A red banner (role "alert") shown above a form, or nothing when there is no message. */
export function ErrorBanner({ children }: { children?: ReactNode }) {
  if (!children) return null;
  return (
    <Alert color="red" role="alert">
      {children}
    </Alert>
  );
}

interface FormDialogProps {
  opened: boolean;
  onClose: () => void;
  /** The dialog's title; also the form's accessible name. */
  title: string;
  size?: ModalProps['size'];
  onSubmit: (e: FormEvent) => void | Promise<void>;
  /** The Save button shows a spinner while true. */
  busy?: boolean;
  /** Whether a field differs from what the dialog opened with: then closing asks before discarding. */
  dirty: boolean;
  /** A message for the banner above the fields (client-side validation or a server error naming no field). */
  error?: ReactNode;
  children: ReactNode;
}

/** Moves focus to the first field marked invalid in form, so keyboard and screen-reader users land on what to fix. */
export function focusFirstInvalid(form: HTMLFormElement | null) {
  const field = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
  field?.focus();
}

/**
 * A modal with a form: an error banner, the fields, then "Close" and "Save". After a Save that
 * leaves a field in error (client-side or from the server), focus moves to the first such field.
 * Close, ✕, Escape and a click outside ask "Discard changes?" when the form is dirty.
 */
export function FormDialog({ opened, onClose, title, size, onSubmit, busy, dirty, error, children }: FormDialogProps) {
  const guard = useCloseGuard(opened, dirty, onClose);
  const form = useRef<HTMLFormElement>(null);
  const [saves, setSaves] = useState(0);
  async function submit(e: FormEvent) {
    await onSubmit(e);
    setSaves((n) => n + 1);
  }
  // After the render that shows what a Save produced (and once it is no longer busy).
  useEffect(() => {
    if (saves > 0 && !busy) focusFirstInvalid(form.current);
  }, [saves, busy]);
  return (
    <>
    <Modal opened={opened} onClose={guard.requestClose} title={title} size={size} closeOnEscape={false}>
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate aria-label={title}>
        <Stack>
          <ErrorBanner>{error}</ErrorBanner>
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={guard.requestClose}>
              Close
            </Button>
            <Button type="submit" loading={busy}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
    {guard.dialog}
    </>
  );
}

/**
 * The state of a create/edit form in a dialog: its value, a client-side validation message and the
 * server's error; all three are reset each time the dialog opens (or `initial` / `empty` change).
 * `dirty` says whether the value differs from the one the dialog opened with.
 */
export function useDialogFormState<T>(opened: boolean, initial: T | null, empty: T) {
  const [value, setValueState] = useState<T>(initial ?? empty);
  const [formError, setFormError] = useState<string | null>(null);
  const [serverError, setServerErrorState] = useState<CombinedError | null>(null);
  // The value the server's error was about: a field edited since then no longer shows its error.
  const [errorAt, setErrorAt] = useState<T | null>(null);

  useEffect(() => {
    if (opened) {
      setValueState(initial ?? empty);
      setFormError(null);
      setServerErrorState(null);
    }
  }, [opened, initial, empty]);

  const setServerError = (e: CombinedError | null) => {
    setServerErrorState(e);
    setErrorAt(e ? value : null);
  };
  // Editing clears the message of a client-side check; Save checks again.
  const setValue: typeof setValueState = (v) => {
    setValueState(v);
    setFormError(null);
  };
  const shown = useMemo(() => withoutEditedFields(serverError, errorAt, value), [serverError, errorAt, value]);
  const dirty = useMemo(() => JSON.stringify(value) !== JSON.stringify(initial ?? empty), [value, initial, empty]);
  return { value, setValue, formError, setFormError, serverError: shown, setServerError, dirty };
}

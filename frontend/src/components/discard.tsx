import { useEffect, useState, type ReactNode } from 'react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useBlocker } from 'react-router';

/** "Discard changes?" with "Keep editing" focused, so Enter or Escape right after it opens loses nothing. */
export function DiscardDialog({ opened, onKeep, onDiscard, children }: { opened: boolean; onKeep: () => void; onDiscard: () => void; children?: ReactNode }) {
  // Escape answers "Keep editing". Handled here: over another Modal, that one's focus trap keeps
  // Mantine's own Escape handling from reaching this one.
  useEffect(() => {
    if (!opened) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.isComposing) return;
      e.stopPropagation();
      onKeep();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [opened, onKeep]);
  return (
    <Modal opened={opened} onClose={onKeep} title="Discard changes?" zIndex={300} closeOnEscape={false}>
      <Stack>
        <Text>{children ?? 'Your changes are not saved yet.'}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onKeep} data-autofocus>
            Keep editing
          </Button>
          <Button color="red" onClick={onDiscard}>
            Discard changes
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/**
 * Guards a dialog's unsaved edits: `requestClose` (for ✕, Close, Cancel and a click outside) and Escape
 * close at once when nothing changed, and otherwise ask first. The dialog's Modal must pass
 * `closeOnEscape={false}` and render `dialog` beside it: Escape is handled here, where it can open the question.
 */
export function useCloseGuard(opened: boolean, dirty: boolean, onClose: () => void, message?: ReactNode) {
  const [asking, setAsking] = useState(false);
  const requestClose = () => (dirty ? setAsking(true) : onClose());
  useEffect(() => {
    if (!opened) setAsking(false);
  }, [opened]);
  // Not while the question is shown: there Escape answers "Keep editing".
  useEffect(() => {
    if (!opened || asking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.isComposing || e.defaultPrevented) return;
      // An open dropdown (Select, MultiSelect) takes Escape for itself. Read in the capture phase:
      // by the bubble phase React has already closed the dropdown and dropped the mark.
      if ((e.target as Element | null)?.getAttribute?.('data-mantine-stop-propagation') === 'true') return;
      requestClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });
  const dialog = (
    <DiscardDialog
      opened={asking}
      onKeep={() => setAsking(false)}
      onDiscard={() => {
        setAsking(false);
        onClose();
      }}
    >
      {message}
    </DiscardDialog>
  );
  return { requestClose, dialog };
}

/**
 * Guards a page's unsaved edits: in-app navigation to a path `stays` does not accept asks first, and
 * closing or reloading the browser tab gets the browser's own question (beforeunload).
 */
export function useLeaveGuard(dirty: boolean, message: ReactNode, stays: (pathname: string) => boolean = () => false) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname && !stays(nextLocation.pathname));
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  return (
    <DiscardDialog opened={blocker.state === 'blocked'} onKeep={() => blocker.reset?.()} onDiscard={() => blocker.proceed?.()}>
      {message}
    </DiscardDialog>
  );
}

import { useState, type ReactNode } from 'react';
import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip } from '@mantine/core';

export function ReadOnlyNotice({ reason }: { reason: string }) {
  return (
    <Alert color="gray" variant="light" title="Read-only" mb="md" data-testid="read-only-notice">
      {reason}
    </Alert>
  );
}

export function CopyValue({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : `Copy ${label}`} withArrow>
          <Button size="xs" variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : undefined} onClick={copy} aria-label={`Copy ${label}`} style={{ flexShrink: 0 }}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </Tooltip>
      )}
    </CopyButton>
  );
}

/** A secret shown once: after this dialog closes it cannot be seen again. */
export function SecretDialog({ opened, title, label, secret, onClose, children }: { opened: boolean; title: string; label: string; secret: string; onClose: () => void; children?: ReactNode }) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} size="lg" closeOnClickOutside={false}>
      <Stack>
        <Alert color="yellow" title="Copy it now">
          This {label} is shown only once. Store it somewhere safe: you will not be able to see it again.
        </Alert>
        {children}
        <Group wrap="nowrap" align="center">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="secret-value" aria-label={label}>
            {secret}
          </Code>
          <CopyValue value={secret} label={label} />
        </Group>
        <Group justify="flex-end">
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

interface ConfirmProps {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  onClose: () => void;
  busy?: boolean;
  error?: ReactNode;
  confirmDisabled?: boolean;
  color?: string;
}

export function ConfirmDialog({ opened, title, children, confirmLabel, onConfirm, onClose, busy, error, confirmDisabled, color = 'red' }: ConfirmProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <div>{children}</div>
        <Group justify="flex-end">
          {/* Focus starts on Cancel: Enter or Space right after opening must not destroy anything. */}
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button color={color} onClick={() => void onConfirm()} loading={busy} disabled={confirmDisabled}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function RemoveIcon({ label, onClick, disabled }: { label: string; onClick: () => void; disabled?: boolean }) {
  return (
    <ActionIcon variant="subtle" color="red" aria-label={label} title={label} onClick={onClick} disabled={disabled}>
      <span aria-hidden>✖</span>
    </ActionIcon>
  );
}

/** Keeps a toggle-able state for a dialog with a payload. */
export function useDialog<T>() {
  const [value, setValue] = useState<T | null>(null);
  return { value, open: (v: T) => setValue(v), close: () => setValue(null), opened: value !== null };
}

export function Muted({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" size="sm" component="span">
      {children}
    </Text>
  );
}

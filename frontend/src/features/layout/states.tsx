import type { ReactNode } from 'react';
import { Alert, Button, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import type { CombinedError } from 'urql';
import { Link } from 'react-router';
import { errorMessage } from '../../lib/errors';

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text c="dimmed">{label}…</Text>
      </Group>
    </Center>
  );
}

export function ErrorState({ error, onRetry, title = 'Something went wrong' }: { error: CombinedError | Error; onRetry?: () => void; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert" my="md">
      <Stack gap="xs">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Stack align="center" py="xl" gap="xs" data-testid="empty-state">
      <Text fw={600}>{title}</Text>
      {children && (
        <Text c="dimmed" size="sm" ta="center" maw={480}>
          {children}
        </Text>
      )}
      {action}
    </Stack>
  );
}

export function NoAccess({ reason }: { reason: string }) {
  return (
    <Stack py="xl" align="center">
      <Title order={2}>No access</Title>
      <Text c="dimmed">{reason}</Text>
      <Button component={Link} to="/api-keys" variant="light">
        Go to API keys
      </Button>
    </Stack>
  );
}

export function NotFoundPage() {
  return (
    <Stack py="xl" align="center">
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">There is nothing at this address.</Text>
      <Button component={Link} to="/" variant="light">
        Back to the console
      </Button>
    </Stack>
  );
}

import { useState } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Paper, Stack, Text, Title } from '@mantine/core';

export interface ConsentScopeView {
  name: string;
  displayName: string;
  description: string;
  emphasize: boolean;
  required: boolean;
  alreadyGranted?: boolean;
}

/** Emphasized scopes first, then by name (the order the server also uses). */
export function orderConsentScopes<T extends ConsentScopeView>(scopes: T[]): T[] {
  return [...scopes].sort((a, b) => Number(b.emphasize) - Number(a.emphasize) || a.name.localeCompare(b.name));
}

interface Props {
  clientName: string;
  clientDescription?: string;
  organisationName?: string;
  scopes: ConsentScopeView[];
  /** Absent in the admins' preview: the buttons then do nothing. */
  onDecide?: (approve: boolean, keptOptionalScopes: string[]) => void | Promise<void>;
  busy?: boolean;
  error?: string | null;
  preview?: boolean;
}

/** The consent screen: what an application asks to do on the user's behalf. */
export function ConsentScreen({ clientName, clientDescription, organisationName, scopes, onDecide, busy, error, preview }: Props) {
  const ordered = orderConsentScopes(scopes);
  const [kept, setKept] = useState<Set<string>>(() => new Set(scopes.filter((s) => !s.required).map((s) => s.name)));
  const decide = (approve: boolean) => {
    if (!onDecide) return;
    const optional = ordered.filter((s) => !s.required && kept.has(s.name)).map((s) => s.name);
    void onDecide(approve, approve ? optional : []);
  };
  return (
    <Paper withBorder shadow="sm" p="xl" radius="md" maw={560} w="100%" component="section" aria-labelledby="consent-title">
      <Stack>
        {preview && (
          <Alert color="blue" variant="light" title="Preview">
            This is what people see when {clientName} asks for access. Nothing is sent from here.
          </Alert>
        )}
        <div>
          <Title order={1} size="h3" id="consent-title">
            {clientName} wants to access your account
          </Title>
          {organisationName && (
            <Text size="sm" c="dimmed">
              at {organisationName}
            </Text>
          )}
          {clientDescription && (
            <Text size="sm" mt="xs">
              {clientDescription}
            </Text>
          )}
        </div>
        <Text size="sm">It asks for permission to:</Text>
        {ordered.length === 0 && (
          <Text size="sm" c="dimmed">
            No scopes.
          </Text>
        )}
        <Stack gap="xs" role="list" aria-label="Requested scopes">
          {ordered.map((s) => (
            <Paper
              key={s.name}
              role="listitem"
              p="sm"
              withBorder
              bg={s.emphasize ? 'yellow.0' : undefined}
              style={s.emphasize ? { borderColor: 'var(--mantine-color-yellow-6)', borderLeftWidth: 4 } : undefined}
              data-emphasized={s.emphasize || undefined}
            >
              <Checkbox
                checked={s.required || kept.has(s.name)}
                disabled={s.required || busy}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setKept((k) => {
                    const n = new Set(k);
                    if (on) n.add(s.name);
                    else n.delete(s.name);
                    return n;
                  });
                }}
                aria-label={s.displayName || s.name}
                styles={s.required ? { label: { color: 'var(--mantine-color-text)', cursor: 'default' }, description: { color: 'var(--mantine-color-dimmed)' } } : undefined}
                label={
                  <Group gap={6}>
                    <Text fw={s.emphasize ? 700 : 500} size="sm">
                      {s.displayName || s.name}
                    </Text>
                    {s.emphasize && (
                      <Badge size="xs" color="yellow" variant="filled">
                        Important
                      </Badge>
                    )}
                    {s.required && (
                      <Badge size="xs" color="gray" variant="light">
                        Required
                      </Badge>
                    )}
                    {s.alreadyGranted && (
                      <Badge size="xs" color="teal" variant="light">
                        Previously allowed
                      </Badge>
                    )}
                  </Group>
                }
                description={
                  <>
                    {s.description}
                    {s.description ? ' ' : ''}
                    <Text span size="xs" c="dimmed" ff="monospace">
                      ({s.name})
                    </Text>
                  </>
                }
              />
            </Paper>
          ))}
        </Stack>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => decide(false)} disabled={preview} loading={busy}>
            Deny
          </Button>
          <Button onClick={() => decide(true)} disabled={preview} loading={busy}>
            Allow
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

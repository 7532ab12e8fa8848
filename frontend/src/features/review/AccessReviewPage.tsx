import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Group, NumberInput, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import type { ScopeReviewFieldsFragment } from '../../gql/graphql';
import { ConfirmDialog, Muted } from '../../components/common';
import { ListTable, PageHeader, QueryStates, useConfirmAction } from '../../components/listing';
import { useDebounced } from '../../lib/useDebounced';
import { canManage, manageReason } from '../../lib/roles';
import { useViewer } from '../auth/viewer';
import { EmptyState } from '../layout/states';
import { formatTime, relativeTime } from '../audit/events';
import { AccessReviewDocument, RemoveUnusedScopesDocument } from './operations';
import { listNames, maxDays, minDays, parseDays, plural, removalPlan } from './review';

const ctx = { additionalTypenames: ['Client', 'Scope', 'APIKey'] };

interface Removal {
  clientID: string;
  clientName: string;
  keepIDs: string[];
  removeNames: string[];
}

export function AccessReviewPage() {
  const { user } = useViewer();
  const manage = canManage(user.role);
  const [input, setInput] = useState<string | number>(30);
  const typed = parseDays(input);
  const days = useDebounced(typed, 300);
  const variables = useMemo(() => ({ days: days ?? 30 }), [days]);
  const [result, refetch] = useQuery({ query: AccessReviewDocument, variables, context: ctx, pause: days === null });
  const review = result.data?.accessReview;
  const [removing, remove] = useMutation(RemoveUnusedScopesDocument);
  const confirm = useConfirmAction<Removal>();

  return (
    <>
      <PageHeader
        title="Access review"
        description="When each API client and API key was last issued and last used each of its scopes. A scope is unused when no access check or forward auth allowed a request by it within the window."
      />
      <Paper withBorder p="md" mb="md">
        <Group align="flex-end">
          <NumberInput
            label="Window (days)"
            description={`Look back this many days (${minDays} to ${maxDays}).`}
            value={input}
            onChange={setInput}
            min={minDays}
            max={maxDays}
            allowDecimal={false}
            allowNegative={false}
            w={220}
            error={typed === null ? `Enter whole days from ${minDays} to ${maxDays}, e.g. 30.` : undefined}
          />
          {review && (
            <Text size="sm" c="dimmed" pb={6}>
              Unused means not used since {formatTime(review.since)}.
            </Text>
          )}
        </Group>
      </Paper>
      <QueryStates
        result={result}
        refetch={refetch}
        loadingLabel="Loading the access review"
        isEmpty={Boolean(review) && review!.clients.length === 0 && review!.apiKeys.length === 0}
        empty={<EmptyState title="Nothing to review">No API client or API key holds a scope yet.</EmptyState>}
      />
      {review && (
        <Stack gap="lg">
          <section aria-labelledby="review-clients">
            <Title order={2} size="h3" id="review-clients" mb="xs">
              API clients
            </Title>
            {review.clients.length === 0 && <Muted>No API clients.</Muted>}
            <Stack>
              {review.clients.map(({ client, scopes }) => {
                const plan = removalPlan(scopes);
                return (
                  <Paper withBorder p="md" key={client.id} data-review-client={client.name}>
                    <Group justify="space-between" mb="xs">
                      <Title order={3} size="h4">
                        <Anchor component={Link} to={`/clients/${client.id}`}>
                          {client.name}
                        </Anchor>
                      </Title>
                      {plan.removeNames.length > 0 && (
                        <Button
                          variant="light"
                          color="red"
                          disabled={!manage}
                          title={manage ? undefined : manageReason(user.role)}
                          onClick={() => confirm.open({ clientID: client.id, clientName: client.name, ...plan })}
                          aria-label={`Remove unused scopes of ${client.name}`}
                        >
                          Remove unused ({plan.removeNames.length})
                        </Button>
                      )}
                    </Group>
                    <ScopeTable label={`Scopes of the client ${client.name}`} scopes={scopes} granted />
                  </Paper>
                );
              })}
            </Stack>
          </section>
          <section aria-labelledby="review-keys">
            <Title order={2} size="h3" id="review-keys" mb="xs">
              API keys
            </Title>
            {review.apiKeys.length === 0 && <Muted>No API keys.</Muted>}
            <Stack>
              {review.apiKeys.map(({ apiKey, scopes }) => (
                <Paper withBorder p="md" key={apiKey.id} data-review-key={apiKey.name}>
                  <Group gap="xs" mb="xs">
                    <Title order={3} size="h4">
                      {apiKey.name}
                    </Title>
                    <Muted>
                      {apiKey.prefix}… of {apiKey.owner.email}
                    </Muted>
                  </Group>
                  <ScopeTable label={`Scopes of the API key ${apiKey.name}`} scopes={scopes} granted={false} />
                </Paper>
              ))}
            </Stack>
          </section>
        </Stack>
      )}
      <ConfirmDialog
        opened={confirm.opened}
        title="Remove unused scopes"
        confirmLabel={`Remove ${plural(confirm.value?.removeNames.length ?? 0, 'scope')}`}
        busy={removing.fetching}
        error={confirm.error}
        onClose={confirm.close}
        onConfirm={async () => {
          const r = confirm.value!;
          const res = await remove({ clientID: r.clientID, scopeIDs: r.keepIDs }, ctx);
          confirm.settle(res, `Removed ${plural(r.removeNames.length, 'unused scope')} from ${r.clientName}`);
        }}
      >
        {confirm.value && (
          <Text>
            Remove {listNames(confirm.value.removeNames)} from the client <b>{confirm.value.clientName}</b>? Its tokens stop granting{' '}
            {confirm.value.removeNames.length === 1 ? 'it' : 'them'} at once. It keeps {plural(confirm.value.keepIDs.length, 'scope')}.
          </Text>
        )}
      </ConfirmDialog>
    </>
  );
}

function When({ at }: { at: string | null | undefined }) {
  if (!at) return <Muted>Never</Muted>;
  return (
    <Text component="time" dateTime={at} title={formatTime(at)} size="sm">
      {relativeTime(at)}
    </Text>
  );
}

function ScopeTable({ label, scopes, granted }: { label: string; scopes: ScopeReviewFieldsFragment[]; granted: boolean }) {
  if (scopes.length === 0) return <Muted>Holds no scope.</Muted>;
  return (
    <ListTable label={label} columns={['Scope', granted && 'Last granted', 'Last used', 'Status']}>
      {scopes.map((s) => (
        <Table.Tr key={s.scope.id} data-scope={s.scope.name}>
          <Table.Td>
            <Text size="sm" ff="monospace">
              {s.scope.name}
            </Text>
          </Table.Td>
          {granted && (
            <Table.Td>
              <When at={s.lastGrantedAt} />
            </Table.Td>
          )}
          <Table.Td>
            <When at={s.lastUsedAt} />
          </Table.Td>
          <Table.Td>
            {s.unused ? (
              <Badge color="orange" variant="light">
                Unused
              </Badge>
            ) : (
              <Badge color="teal" variant="light">
                Used
              </Badge>
            )}
          </Table.Td>
        </Table.Tr>
      ))}
    </ListTable>
  );
}

import { useEffect, useMemo, useRef, useState } from 'react';
import { ActionIcon, Alert, Anchor, Badge, Breadcrumbs, Button, Center, Group, Paper, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ClientDocument, PickerScopesDocument, RotateClientSecretDocument, SetClientScopesDocument } from './operations';
import { AssignScopeDialog, LimitCounter } from './AssignScopeDialog';
import { AddScopeDialog } from './AddScopeDialog';
import { ClientDialog, type ClientFormValue } from './ClientDialog';
import { DeleteClientDialog, toFormValue } from './clientActions';
import { kindLabel } from './ClientsPage';
import { countTowardsLimit, describeChange, nothingStaged, stagedAgainst, type PickerScope, type Staged } from './picker';
import { ConsentScreen } from '../consent/ConsentScreen';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { ConfirmDialog, CopyValue, ReadOnlyNotice, SecretDialog, useDialog } from '../../components/common';
import { useLeaveGuard } from '../../components/discard';
import { EmptyState, ErrorState, Loading } from '../layout/states';
import { errorMessage } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';
import type { ClientFieldsFragment } from '../../gql/graphql';
import { ScopeName } from '../scopes/ScopeName';

const tabs = ['scope', 'details', 'consent'];

export function ClientPage() {
  const { clientId = '', tab = 'scope' } = useParams();
  const navigate = useNavigate();
  const { user } = useViewer();
  const manage = canManage(user.role);
  const [{ data, fetching, error }, refetch] = useQuery({ query: ClientDocument, variables: { id: clientId }, context: useMemo(() => ({ additionalTypenames: ['Client'] }), []) });
  const edit = useDialog<ClientFormValue>();
  const [deleting, setDeleting] = useState(false);
  // The Scope tab's staged changes live here, so switching to another tab and back keeps them;
  // leaving the client (or the browser tab) with changes not saved asks first.
  const [staged, setStaged] = useState<Staged>(nothingStaged);
  useEffect(() => setStaged(nothingStaged), [clientId]);
  const node = data?.node?.__typename === 'Client' ? data.node : null;
  const pending = useMemo(() => stagedAgainst(node?.scopes ?? [], staged), [node?.scopes, staged]);
  // A deleted (or vanished) client's staged changes have nothing left to be saved to: leave
  // without asking.
  const [deleted, setDeleted] = useState(false);
  const leaveGuard = useLeaveGuard(
    pending.changed && node !== null && !deleted,
    <>The scope changes for {node?.name} are not saved yet: {describeChange(node?.scopes ?? [], pending.next)}.</>,
    (path) => path === `/clients/${clientId}` || path.startsWith(`/clients/${clientId}/`),
  );
  // After the guard's own effect has taken "deleted" in: effects run in the order they are declared.
  useEffect(() => {
    if (deleted) navigate('/clients');
  }, [deleted, navigate]);

  if (error && !data) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return fetching ? <Loading label="Loading client" /> : null;
  const client = data.node && data.node.__typename === 'Client' ? data.node : null;
  if (!client) {
    return (
      <Stack>
        <Title order={1} size="h2">
          Client not found
        </Title>
        <Anchor component={Link} to="/clients">
          Back to API clients
        </Anchor>
      </Stack>
    );
  }
  const current = tabs.includes(tab) ? tab : 'scope';
  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/clients" size="sm">
          API clients
        </Anchor>
        <Text size="sm">{client.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" mb="md" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={1} size="h2">
              {client.name}
            </Title>
            <Badge variant="light">{kindLabel[client.kind] ?? client.kind}</Badge>
            {!client.enabled && (
              <Badge variant="light" color="gray">
                Disabled
              </Badge>
            )}
          </Group>
          <Text size="sm" c="dimmed" ff="monospace">
            {client.clientId}
          </Text>
        </div>
        {manage && (
          <Group>
            <Button variant="default" onClick={() => edit.open(toFormValue(client))}>
              Edit
            </Button>
            <Button variant="light" color="red" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          </Group>
        )}
      </Group>
      {!manage && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Tabs value={current} onChange={(v) => v && navigate(`/clients/${client.id}/${v}`)} keepMounted={false}>
        {pending.changed && current !== 'scope' && (
          <Alert color="yellow" mb="sm" title="Not saved yet">
            The Scope tab has changes not saved yet: {describeChange(client.scopes ?? [], pending.next)}.
          </Alert>
        )}
        <Tabs.List mb="md">
          <Tabs.Tab value="scope">Scope</Tabs.Tab>
          <Tabs.Tab value="details">Details</Tabs.Tab>
          <Tabs.Tab value="consent">Consent preview</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="scope">
          <ClientScopesTab client={client} manage={manage} staged={staged} setStaged={setStaged} />
        </Tabs.Panel>
        <Tabs.Panel value="details">
          <ClientDetails client={client} manage={manage} />
        </Tabs.Panel>
        <Tabs.Panel value="consent">
          <ConsentPreview client={client} />
        </Tabs.Panel>
      </Tabs>
      <ClientDialog opened={edit.opened} initial={edit.value} onClose={edit.close} />
      <DeleteClientDialog client={deleting ? client : null} onClose={() => setDeleting(false)} onDeleted={() => setDeleted(true)} />
      {leaveGuard}
    </>
  );
}

/**
 * The client's assigned scopes, with one model for changing them: ✖ on a row stages its removal (the
 * row stays, marked, and its button undoes it), "Add Scope" creates a scope and stages its addition,
 * and one Save applies what is staged. "Assign scope" starts from the staged set and its Save applies it.
 */
function ClientScopesTab({ client, manage, staged, setStaged }: { client: ClientFieldsFragment; manage: boolean; staged: Staged; setStaged: (s: Staged | ((prev: Staged) => Staged)) => void }) {
  const { organisation } = useViewer();
  const [assigning, setAssigning] = useState(false);
  const [adding, setAdding] = useState(false);
  const [state, setScopes] = useMutation(SetClientScopesDocument);
  const [error, setError] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const assignButton = useRef<HTMLButtonElement>(null);
  const table = useRef<HTMLTableElement>(null);
  const scopes = useMemo(() => [...(client.scopes ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [client.scopes]);
  const { added, removed, next, changed } = useMemo(() => stagedAgainst(scopes, staged), [scopes, staged]);
  const change = describeChange(scopes, next);

  function toggleRemoval(id: string) {
    setStaged((prev) => {
      const removed = new Set(prev.removed);
      if (!removed.delete(id)) removed.add(id);
      return { ...prev, removed };
    });
  }

  // Un-staging an addition takes its row away: focus goes to the row now in its place (or Add Scope).
  function unstageAddition(s: PickerScope) {
    setStaged((prev) => {
      const next = new Map(prev.added);
      next.delete(s.id);
      return { ...prev, added: next };
    });
    requestAnimationFrame(() => {
      const rows = table.current?.querySelectorAll<HTMLButtonElement>('tbody button') ?? [];
      (rows[rows.length - 1] ?? addButton.current)?.focus();
    });
  }

  function stageAddition(s: PickerScope) {
    setStaged((prev) => ({ ...prev, added: new Map(prev.added).set(s.id, s) }));
  }

  async function save() {
    setError(null);
    const res = await setScopes({ clientID: client.id, scopeIDs: next.map((s) => s.id) }, { additionalTypenames: ['Client', 'Scope'] });
    if (res.error) {
      setError(errorMessage(res.error));
      return;
    }
    setStaged(nothingStaged);
    notifyDone(`Scopes of ${client.name} saved: ${change}`);
    assignButton.current?.focus();
  }

  const stagedClient = useMemo(() => ({ ...client, scopes: next }), [client, next]);
  const rows = [...scopes.map((s) => ({ s, isNew: false })), ...added.map((s) => ({ s, isNew: true }))];
  return (
    <Paper withBorder p="md">
      <Group justify="space-between" mb="sm">
        <Group gap="xs">
          <LimitCounter count={countTowardsLimit(next)} limit={organisation.maxScopesPerClient} />
          <Text size="sm" c="dimmed">
            scopes assigned (required scopes don&apos;t count)
          </Text>
        </Group>
        {manage && (
          <Group gap="xs">
            <Button ref={addButton} variant="default" onClick={() => setAdding(true)}>
              Add Scope
            </Button>
            <Button ref={assignButton} onClick={() => setAssigning(true)}>
              Assign scope
            </Button>
          </Group>
        )}
      </Group>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      {changed && (
        <Alert color="yellow" mb="sm" title="Not saved yet" data-testid="staged-changes">
          <Stack gap="xs">
            {added.length > 0 && (
              <Text size="sm">
                Save assigns {added.length === 1 ? '1 scope' : `${added.length} scopes`}: {added.map((s) => s.name).join(', ')}.
              </Text>
            )}
            {removed.length > 0 && (
              <Text size="sm">
                Save removes {removed.length === 1 ? '1 scope' : `${removed.length} scopes`}: {removed.map((s) => s.name).join(', ')}.
              </Text>
            )}
            <Group gap="xs">
              <Button size="xs" onClick={() => void save()} loading={state.fetching}>
                Save
              </Button>
              <Button size="xs" variant="default" onClick={() => setStaged(nothingStaged)}>
                Discard changes
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {rows.length === 0 ? (
        <EmptyState title="No scopes assigned">A client with no scopes cannot get a token.{manage ? ' Use “Assign scope” to choose them.' : ''}</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Assigned scopes" ref={table}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Display Name</Table.Th>
                <Table.Th>API</Table.Th>
                <Table.Th>Required</Table.Th>
                {manage && <Table.Th>Remove</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map(({ s, isNew }) => {
                const out = !isNew && staged.removed.has(s.id);
                return (
                  <Table.Tr key={s.id} data-staged={out ? 'removed' : isNew ? 'added' : undefined} style={out ? { textDecoration: 'line-through' } : undefined}>
                    <Table.Td>
                      <Group gap={6}>
                        <ScopeName name={s.name} deprecated={s.deprecated} replacedBy={s.replacedBy} sunsetAt={s.sunsetAt} />
                        {isNew && (
                          <Badge size="sm" variant="light" color="teal" style={{ flexShrink: 0 }}>
                            Not saved
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>{s.displayName}</Table.Td>
                    <Table.Td>{s.api.displayName || s.api.name}</Table.Td>
                    <Table.Td>{s.required ? 'Yes' : 'No'}</Table.Td>
                    {manage && (
                      <Table.Td>
                        {isNew ? (
                          <ActionIcon variant="subtle" color="red" aria-label={`Remove ${s.name}`} title={`Remove ${s.name}`} onClick={() => unstageAddition(s)} disabled={state.fetching}>
                            <span aria-hidden>✖</span>
                          </ActionIcon>
                        ) : (
                          // One button for both states, so focus stays on it.
                          <ActionIcon
                            variant="subtle"
                            color={out ? 'gray' : 'red'}
                            aria-label={out ? `Keep ${s.name}` : `Remove ${s.name}`}
                            title={out ? `Keep ${s.name}` : `Remove ${s.name}`}
                            onClick={() => toggleRemoval(s.id)}
                            disabled={state.fetching}
                          >
                            <span aria-hidden>{out ? '↶' : '✖'}</span>
                          </ActionIcon>
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <AssignScopeDialog opened={assigning} client={assigning ? stagedClient : null} saved={scopes} onClose={() => setAssigning(false)} onSaved={() => setStaged(nothingStaged)} />
      <AddScopeDialog opened={adding} client={client} onClose={() => setAdding(false)} onCreated={stageAddition} />
    </Paper>
  );
}

function ClientDetails({ client, manage }: { client: ClientFieldsFragment; manage: boolean }) {
  const [confirm, setConfirm] = useState(false);
  const [state, rotate] = useMutation(RotateClientSecretDocument);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Row label="Client ID">
          <Group gap="xs">
            <Text ff="monospace" size="sm">
              {client.clientId}
            </Text>
            <CopyValue value={client.clientId} label="client ID" />
          </Group>
        </Row>
        <Row label="Kind">{kindLabel[client.kind] ?? client.kind}</Row>
        <Row label="Grant types">{client.grantTypes.join(', ') || '—'}</Row>
        <Row label="Description">{client.description || '—'}</Row>
        <Row label="Redirect URIs">
          {(client.redirectURIs ?? []).length ? (
            <Stack gap={2}>
              {(client.redirectURIs ?? []).map((u) => (
                <Text key={u} ff="monospace" size="sm">
                  {u}
                </Text>
              ))}
            </Stack>
          ) : (
            '—'
          )}
        </Row>
        {client.kind !== 'SERVICE' && (
          <>
            <Row label="Sign-out return URIs">
              {(client.postLogoutRedirectURIs ?? []).length ? (
                <Stack gap={2}>
                  {(client.postLogoutRedirectURIs ?? []).map((u) => (
                    <Text key={u} ff="monospace" size="sm">
                      {u}
                    </Text>
                  ))}
                </Stack>
              ) : (
                '—'
              )}
            </Row>
            <Row label="PKCE">{client.kind === 'BROWSER' || client.requirePKCE ? 'Required' : 'Optional (verified when sent)'}</Row>
            <Row label="Refresh tokens">{client.refreshTokens ? 'Issued' : 'Not issued'}</Row>
          </>
        )}
        <Row label="Uncategorized">
          {[client.allowUncategorizedRead && 'read allowed', client.allowUncategorizedModify && 'modify allowed'].filter(Boolean).join(', ') || 'not allowed'}
        </Row>
        <Row label="Status">{client.enabled ? 'Enabled' : 'Disabled'}</Row>
        <Row label="Created">{new Date(client.createdAt).toLocaleString()}</Row>
        {client.kind !== 'BROWSER' && (
          <Row label="Client secret">
            <Stack gap={4} align="flex-start">
              <Text size="sm" c="dimmed">
                Shown only when created or rotated.
              </Text>
              {manage && (
                <Button size="xs" variant="light" color="orange" onClick={() => setConfirm(true)}>
                  Rotate secret
                </Button>
              )}
            </Stack>
          </Row>
        )}
      </Stack>
      <ConfirmDialog
        opened={confirm}
        title="Rotate client secret"
        confirmLabel="Rotate secret"
        color="orange"
        busy={state.fetching}
        error={error}
        onClose={() => setConfirm(false)}
        onConfirm={async () => {
          setError(null);
          const res = await rotate({ id: client.id }, { additionalTypenames: ['Client'] });
          if (res.error || !res.data) setError(errorMessage(res.error));
          else {
            setConfirm(false);
            setSecret(res.data.rotateClientSecret.clientSecret ?? '');
          }
        }}
      >
        <Text>The current secret of {client.name} stops working at once. The new one is shown only once.</Text>
      </ConfirmDialog>
      {secret !== null && <SecretDialog opened title="New client secret" label="client secret" secret={secret} onClose={() => setSecret(null)} />}
    </Paper>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group align="flex-start" wrap="nowrap" gap="md">
      <Text w={150} size="sm" c="dimmed" style={{ flexShrink: 0 }}>
        {label}
      </Text>
      <div style={{ fontSize: 'var(--mantine-font-size-sm)' }}>{children}</div>
    </Group>
  );
}

/** The consent screen as people would see it for this client's scopes (plus the required scopes of their APIs). */
function ConsentPreview({ client }: { client: ClientFieldsFragment }) {
  const { organisation } = useViewer();
  const scopes = client.scopes ?? [];
  const apiIds = [...new Set(scopes.map((s) => s.api.id))];
  const [{ data }] = useQuery({
    query: PickerScopesDocument,
    variables: { first: 50, where: { required: true, apiIDIn: apiIds, deprecated: false } },
    pause: apiIds.length === 0,
  });
  const required = data?.scopes.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
  const byName = new Map<string, (typeof scopes)[number]>();
  for (const s of [...scopes, ...required]) byName.set(s.name, s);
  if (scopes.length === 0) return <EmptyState title="No scopes assigned">Assign scopes to see what people will be asked.</EmptyState>;
  return (
    <Center>
      <ConsentScreen preview clientName={client.name} clientDescription={client.description} organisationName={organisation.name} scopes={[...byName.values()]} />
    </Center>
  );
}

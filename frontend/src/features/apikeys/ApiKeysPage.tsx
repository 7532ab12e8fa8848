import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Badge, Button, Checkbox, Group, Paper, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { graphql } from '../../gql';
import { useViewer } from '../auth/viewer';
import { canCreateKeys, canManage, manageReason } from '../../lib/roles';
import { ConnectionPager, useCursorPager } from '../../lib/paging';
import { ConfirmDialog, ReadOnlyNotice, SecretDialog } from '../../components/common';
import { FormDialog } from '../../components/forms';
import { ListTable, PageHeader, QueryStates, connectionNodes, useConfirmAction } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { ScopeMultiSelect, type ScopeRef } from '../scopes/ScopeMultiSelect';
import { formatSunset } from '../deprecation/lifecycle';
import { splitFieldErrors } from '../../lib/errors';

export const ApiKeysDocument = graphql(`
  query ApiKeys($first: Int, $after: Cursor, $where: APIKeyWhereInput) {
    apiKeys(first: $first, after: $after, where: $where, orderBy: { field: CREATED_AT, direction: DESC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          prefix
          createdAt
          lastUsedAt
          expiresAt
          revokedAt
          allowUncategorizedRead
          allowUncategorizedModify
          owner {
            id
            email
          }
          scopes {
            id
            name
            deprecated
            sunsetAt
            replacedBy {
              id
              name
            }
          }
        }
      }
    }
  }
`);

const CreateApiKeyDocument = graphql(`
  mutation CreateApiKey($input: CreateAPIKeyInput!) {
    createAPIKey(input: $input) {
      key
      apiKey {
        id
        name
        prefix
      }
    }
  }
`);

const RevokeApiKeyDocument = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeAPIKey(id: $id) {
      id
      revokedAt
    }
  }
`);

const ctx = { additionalTypenames: ['APIKey'] };
const fmt = (t?: string | null) => (t ? new Date(t).toLocaleString() : '—');

export function ApiKeysPage() {
  const { user } = useViewer();
  const allKeys = canManage(user.role) || user.role === 'VIEWER';
  const mayCreate = canCreateKeys(user.role);
  const [showRevoked, setShowRevoked] = useState(false);
  const pager = useCursorPager(25);
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: showRevoked ? undefined : { revokedAtIsNil: true } }),
    [pager.first, pager.after, showRevoked],
  );
  const [result, refetch] = useQuery({ query: ApiKeysDocument, variables, context: ctx });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const revoke = useConfirmAction<{ id: string; name: string }>();
  const [revokeState, doRevoke] = useMutation(RevokeApiKeyDocument);
  const { data } = result;
  const keys = connectionNodes(data?.apiKeys);
  const mayRevoke = (ownerId: string) => canManage(user.role) || (user.role !== 'VIEWER' && ownerId === user.id);

  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            {allKeys ? 'Every API key of the organisation.' : 'Your API keys.'} Send a key as <code>Authorization: Bearer &lt;key&gt;</code>.
          </>
        }
        action={mayCreate && <Button onClick={() => setCreating(true)}>Create API key</Button>}
      />
      {!mayCreate && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Paper withBorder p="md">
        <Checkbox
          label="Show revoked keys"
          checked={showRevoked}
          onChange={(e) => {
            setShowRevoked(e.currentTarget.checked);
            pager.reset();
          }}
          mb="sm"
        />
        <QueryStates
          result={result}
          refetch={refetch}
          loadingLabel="Loading API keys"
          isEmpty={keys.length === 0}
          empty={<EmptyState title="No API keys">{mayCreate ? 'Create a key to call the GraphQL API or your services from scripts.' : undefined}</EmptyState>}
        />
        {keys.length > 0 && (
          <ListTable label="API keys" columns={['Name', 'Prefix', 'Owner', 'Scopes', 'Created', 'Last used', 'Expires', 'Actions']} minWidth={900}>
            {keys.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>
                  <Group gap={6}>
                    {k.name}
                    {k.revokedAt && (
                      <Badge size="xs" color="red" variant="light">
                        Revoked
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {k.prefix}…
                  </Text>
                </Table.Td>
                <Table.Td>{k.owner.email}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {(k.scopes ?? []).map((s) => (
                      <Badge
                        key={s.id}
                        tt="none"
                        variant="outline"
                        size="sm"
                        td={s.deprecated ? 'line-through' : undefined}
                        title={s.deprecated ? deprecationNote(s) : undefined}
                      >
                        {s.name}
                      </Badge>
                    ))}
                    {(k.scopes ?? []).length === 0 && (
                      <Text size="xs" c="dimmed">
                        none
                      </Text>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{fmt(k.createdAt)}</Table.Td>
                <Table.Td>{fmt(k.lastUsedAt)}</Table.Td>
                <Table.Td>{fmt(k.expiresAt)}</Table.Td>
                <Table.Td>
                  {!k.revokedAt && mayRevoke(k.owner.id) && (
                    <Button size="xs" variant="light" color="red" aria-label={`Revoke ${k.name}`} onClick={() => revoke.open(k)}>
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
        {data && (
          <ConnectionPager pager={pager} connection={data.apiKeys} shown={keys.length} noun="keys" />
        )}
      </Paper>
      <CreateApiKeyDialog opened={creating} onClose={() => setCreating(false)} onCreated={setCreated} />
      {created && <SecretDialog opened title={`API key ${created.name} created`} label="API key" secret={created.key} onClose={() => setCreated(null)} />}
      <ConfirmDialog
        opened={revoke.opened}
        title="Revoke API key"
        confirmLabel={`Revoke ${revoke.value?.name ?? ''}`}
        busy={revokeState.fetching}
        error={revoke.error}
        onClose={revoke.close}
        onConfirm={async () => revoke.settle(await doRevoke({ id: revoke.value!.id }, ctx), `API key ${revoke.value!.name} revoked`)}
      >
        <Text>
          Revoke <b>{revoke.value?.name}</b>? Requests with it are refused at once. This cannot be undone.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function CreateApiKeyDialog({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (v: { name: string; key: string }) => void }) {
  const { organisation } = useViewer();
  // A deprecated scope is not newly assigned (rule 7), to keys either.
  const allowed: ScopeRef[] = (organisation.apiKeyAllowedScopes ?? []).filter((s) => !s.deprecated).map((s) => ({ id: s.id, name: s.name }));
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ScopeRef[]>([]);
  const [read, setRead] = useState(false);
  const [modify, setModify] = useState(false);
  const [expires, setExpires] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<CombinedError | null>(null);
  const [state, create] = useMutation(CreateApiKeyDocument);

  useEffect(() => {
    if (opened) {
      setName('');
      setScopes([]);
      setRead(false);
      setModify(false);
      setExpires('');
      setFormError(null);
      setServerError(null);
    }
  }, [opened]);

  const { fields: errs, general } = splitFieldErrors(serverError, ['name', 'scopeIDs', 'expiresAt']);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    if (!name.trim()) {
      setFormError('Enter a name for the key.');
      return;
    }
    let expiresAt: string | undefined;
    if (expires) {
      const d = new Date(`${expires}T23:59:59`);
      if (Number.isNaN(d.getTime()) || d.getTime() < Date.now()) {
        setFormError('The expiry date must be in the future.');
        return;
      }
      expiresAt = d.toISOString();
    }
    setFormError(null);
    const res = await create({ input: { name: name.trim(), scopeIDs: scopes.map((s) => s.id), allowUncategorizedRead: read, allowUncategorizedModify: modify, expiresAt } }, ctx);
    if (res.error || !res.data) {
      setServerError(res.error ?? null);
      return;
    }
    onClose();
    onCreated({ name: res.data.createAPIKey.apiKey.name, key: res.data.createAPIKey.key });
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="Create API key" dirty={Boolean(name || scopes.length || read || modify || expires)} size="lg" onSubmit={submit} busy={state.fetching} error={formError || general}>
      <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={errs.name} description="What the key is for, e.g. Nightly export." data-autofocus />
      <ScopeMultiSelect
        label="Scopes"
        description={allowed.length ? 'Only the scopes the organisation allows for API keys.' : 'The organisation allows no scope for API keys yet (an owner sets them in Organisation settings).'}
        value={scopes}
        onChange={setScopes}
        options={allowed}
        error={errs.scopeIDs}
        disabled={allowed.length === 0}
      />
      <Checkbox label="Allow uncategorized read endpoints" checked={read} onChange={(e) => setRead(e.currentTarget.checked)} />
      <Checkbox label="Allow uncategorized modify endpoints" checked={modify} onChange={(e) => setModify(e.currentTarget.checked)} />
      <TextInput label="Expires on" type="date" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} error={errs.expiresAt} description="Optional; leave empty for a key that does not expire." />
    </FormDialog>
  );
}

/** "Deprecated · replaced by x · sunset 30 Jun 2027, 12:00" for a key's deprecated scope. */
function deprecationNote(s: { replacedBy?: { name: string } | null; sunsetAt?: string | null }): string {
  return ['Deprecated', s.replacedBy && `replaced by ${s.replacedBy.name}`, s.sunsetAt && `sunset ${formatSunset(s.sunsetAt)}`].filter(Boolean).join(' · ');
}

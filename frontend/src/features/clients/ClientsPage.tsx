import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Group, Modal, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useQuery } from 'urql';
import { ClientsDocument } from './operations';
import { ClientDialog, emptyClient } from './ClientDialog';
import { AssignScopeDialog } from './AssignScopeDialog';
import { DeleteClientDialog, toFormValue } from './clientActions';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { PagerControls, useCursorPager } from '../../lib/paging';
import { useDebounced } from '../../lib/useDebounced';
import { ReadOnlyNotice, SecretDialog, useDialog } from '../../components/common';
import { EmptyState, ErrorState, Loading } from '../layout/states';
import type { ClientFieldsFragment, ClientOrderField, OrderDirection } from '../../gql/graphql';
import type { ClientFormValue } from './ClientDialog';
import { countTowardsLimit } from './picker';

const sortOptions = [
  { value: 'NAME:ASC', label: 'Name (A–Z)' },
  { value: 'NAME:DESC', label: 'Name (Z–A)' },
  { value: 'CREATED_AT:DESC', label: 'Newest first' },
  { value: 'CREATED_AT:ASC', label: 'Oldest first' },
];

export const kindLabel: Record<string, string> = { SERVICE: 'Service', WEB: 'Web app', BROWSER: 'Browser app' };

export function ClientsPage() {
  const { user, organisation } = useViewer();
  const manage = canManage(user.role);
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search);
  const [sort, setSort] = useState('NAME:ASC');
  const pager = useCursorPager(25);
  const [field, direction] = sort.split(':') as [ClientOrderField, OrderDirection];
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: debounced ? { nameContainsFold: debounced } : undefined, orderBy: { field, direction } }),
    [pager.first, pager.after, debounced, field, direction],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: ClientsDocument, variables, context: useMemo(() => ({ additionalTypenames: ['Client'] }), []) });
  const edit = useDialog<ClientFormValue>();
  const assign = useDialog<ClientFieldsFragment>();
  const del = useDialog<{ id: string; name: string }>();
  const [created, setCreated] = useState<{ id: string; name: string; clientId: string; secret: string | null } | null>(null);
  const openCreated = () => {
    const id = created?.id;
    setCreated(null);
    if (id) navigate(`/clients/${id}/scope`);
  };
  const clients = data?.clients.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={1} size="h2">
          API clients
        </Title>
        {manage && <Button onClick={() => edit.open(emptyClient)}>Create client</Button>}
      </Group>
      {!manage && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Paper withBorder p="md">
        <Group mb="sm" align="flex-end">
          <TextInput
            label="Search clients"
            placeholder="Name contains…"
            value={search}
            onChange={(e) => {
              setSearch(e.currentTarget.value);
              pager.reset();
            }}
            w={280}
          />
          <Select label="Sort by" data={sortOptions} value={sort} onChange={(v) => v && (setSort(v), pager.reset())} allowDeselect={false} w={200} />
        </Group>
        {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {!data && fetching && <Loading label="Loading clients" />}
        {data && clients.length === 0 && (
          <EmptyState title={debounced ? 'No client matches your search' : 'No clients yet'}>
            {!debounced && manage ? 'Create a client for each application that requests tokens.' : undefined}
          </EmptyState>
        )}
        {clients.length > 0 && (
          <Table.ScrollContainer minWidth={800}>
            <Table striped highlightOnHover aria-label="API clients">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Client ID</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {clients.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/clients/${c.id}/scope`} fw={500}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {c.clientId}
                      </Text>
                    </Table.Td>
                    <Table.Td>{kindLabel[c.kind] ?? c.kind}</Table.Td>
                    <Table.Td>
                      {countTowardsLimit(c.scopes ?? [])} of {organisation.maxScopesPerClient}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={c.enabled ? 'teal' : 'gray'}>
                        {c.enabled ? 'Enabled' : 'Disabled'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        {manage ? (
                          <>
                            <Button size="xs" variant="default" aria-label={`Edit ${c.name}`} onClick={() => edit.open(toFormValue(c))}>
                              Edit
                            </Button>
                            <Button size="xs" variant="light" aria-label={`Assign scope to ${c.name}`} onClick={() => assign.open(c)}>
                              Assign scope
                            </Button>
                            <Button size="xs" variant="light" color="red" aria-label={`Delete ${c.name}`} onClick={() => del.open(c)}>
                              Delete
                            </Button>
                          </>
                        ) : (
                          <Button size="xs" variant="light" component={Link} to={`/clients/${c.id}/scope`} aria-label={`Open ${c.name}`}>
                            Open
                          </Button>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {data && (
          <PagerControls pager={pager} totalCount={data.clients.totalCount} shown={clients.length} hasNextPage={data.clients.pageInfo.hasNextPage} endCursor={data.clients.pageInfo.endCursor} noun="clients" />
        )}
      </Paper>
      <ClientDialog opened={edit.opened} initial={edit.value} onClose={edit.close} onCreated={setCreated} />
      <AssignScopeDialog opened={assign.opened} client={assign.value} onClose={assign.close} />
      <DeleteClientDialog client={del.value} onClose={del.close} />
      {created && created.secret && (
        <SecretDialog opened title={`Client ${created.name} created`} label="client secret" secret={created.secret} onClose={() => openCreated()}>
          <Text size="sm">
            Client ID: <code>{created.clientId}</code>
          </Text>
        </SecretDialog>
      )}
      {created && !created.secret && (
        <Modal opened title={`Client ${created.name} created`} onClose={() => openCreated()}>
          <Stack>
            <Text size="sm">
              Client ID: <code>{created.clientId}</code>
            </Text>
            <Text size="sm">Browser clients are public: they have no secret. Next, assign the scopes it may request.</Text>
            <Group justify="flex-end">
              <Button onClick={() => openCreated()}>Done</Button>
            </Group>
          </Stack>
        </Modal>
      )}
    </>
  );
}

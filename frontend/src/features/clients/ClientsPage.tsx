import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Group, Modal, Paper, Stack, Table, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useQuery } from 'urql';
import { ClientsDocument } from './operations';
import { ClientDialog, emptyClient } from './ClientDialog';
import { AssignScopeDialog } from './AssignScopeDialog';
import { DeleteClientDialog, toFormValue } from './clientActions';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { ConnectionPager } from '../../lib/paging';
import { ReadOnlyNotice, SecretDialog, useDialog } from '../../components/common';
import { ListTable, PageHeader, QueryStates, SearchInput, SortSelect, connectionNodes, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';
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
  const { search, debounced, setSearch, sort, setSort, pager } = useListControls('NAME:ASC');
  const [field, direction] = sort.split(':') as [ClientOrderField, OrderDirection];
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: debounced ? { nameContainsFold: debounced } : undefined, orderBy: { field, direction } }),
    [pager.first, pager.after, debounced, field, direction],
  );
  const [result, refetch] = useQuery({ query: ClientsDocument, variables, context: useMemo(() => ({ additionalTypenames: ['Client'] }), []) });
  const edit = useDialog<ClientFormValue>();
  const assign = useDialog<ClientFieldsFragment>();
  const del = useDialog<{ id: string; name: string }>();
  const [created, setCreated] = useState<{ id: string; name: string; clientId: string; secret: string | null } | null>(null);
  const openCreated = () => {
    const id = created?.id;
    setCreated(null);
    if (id) navigate(`/clients/${id}/scope`);
  };
  const { data } = result;
  const clients = connectionNodes(data?.clients);

  return (
    <>
      <PageHeader title="API clients" action={manage && <Button onClick={() => edit.open(emptyClient)}>Create client</Button>} />
      {!manage && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Paper withBorder p="md">
        <Group mb="sm" align="flex-end">
          <SearchInput label="Search clients" placeholder="Name contains…" value={search} onChange={setSearch} w={280} />
          <SortSelect data={sortOptions} value={sort} onChange={setSort} />
        </Group>
        <QueryStates
          result={result}
          refetch={refetch}
          loadingLabel="Loading clients"
          isEmpty={clients.length === 0}
          empty={
            <EmptyState title={debounced ? 'No client matches your search' : 'No clients yet'}>
              {!debounced && manage ? 'Create a client for each application that requests tokens.' : undefined}
            </EmptyState>
          }
        />
        {clients.length > 0 && (
          <ListTable label="API clients" columns={['Name', 'Client ID', 'Kind', 'Scopes', 'Status', 'Actions']} minWidth={800} highlightOnHover>
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
          </ListTable>
        )}
        {data && (
          <ConnectionPager pager={pager} connection={data.clients} shown={clients.length} noun="clients" />
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

import { useMemo } from 'react';
import { Anchor, Badge, Button, Group, List, Paper, Stack, Table, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ApiDeleteImpactDocument, ApisDocument, DeleteApiDocument } from './operations';
import { ApiDialog, type ApiFormValue } from './ApiDialog';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { ConnectionPager } from '../../lib/paging';
import { ConfirmDialog, ReadOnlyNotice, useDialog } from '../../components/common';
import { ListTable, PageHeader, QueryStates, SearchInput, SortSelect, connectionNodes, useConfirmAction, useListControls } from '../../components/listing';
import { EmptyState, Loading } from '../layout/states';
import { errorMessage } from '../../lib/errors';
import type { ApiOrderField, OrderDirection } from '../../gql/graphql';

const sortOptions = [
  { value: 'NAME:ASC', label: 'Name (A–Z)' },
  { value: 'NAME:DESC', label: 'Name (Z–A)' },
  { value: 'CREATED_AT:DESC', label: 'Newest first' },
  { value: 'CREATED_AT:ASC', label: 'Oldest first' },
];

export function ApisPage() {
  const { user } = useViewer();
  const manage = canManage(user.role);
  const navigate = useNavigate();
  const { search, debounced, setSearch, sort, setSort, pager } = useListControls('NAME:ASC');
  const [field, direction] = sort.split(':') as [ApiOrderField, OrderDirection];
  const variables = useMemo(
    () => ({
      first: pager.first,
      after: pager.after,
      where: debounced ? { nameContainsFold: debounced } : undefined,
      orderBy: { field, direction },
    }),
    [pager.first, pager.after, debounced, field, direction],
  );
  const [result, refetch] = useQuery({ query: ApisDocument, variables, context: useMemo(() => ({ additionalTypenames: ['API'] }), []) });
  const edit = useDialog<ApiFormValue>();
  const del = useConfirmAction<{ id: string; name: string }>();
  const [delState, deleteApi] = useMutation(DeleteApiDocument);
  const { data } = result;
  const apis = connectionNodes(data?.apis);

  return (
    <>
      <PageHeader title="APIs" action={manage && <Button onClick={() => edit.open({ name: '', displayName: '', description: '', basePath: '' })}>Create API</Button>} />
      {!manage && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Paper withBorder p="md">
        <Group mb="sm" align="flex-end">
          <SearchInput label="Search APIs" placeholder="Name contains…" value={search} onChange={setSearch} w={280} />
          <SortSelect data={sortOptions} value={sort} onChange={setSort} />
        </Group>
        <QueryStates
          result={result}
          refetch={refetch}
          loadingLabel="Loading APIs"
          isEmpty={apis.length === 0}
          empty={
            <EmptyState title={debounced ? 'No API matches your search' : 'No APIs yet'}>
              {debounced ? 'Try another name.' : manage ? 'Create an API to start defining its scopes and endpoints.' : undefined}
            </EmptyState>
          }
        />
        {apis.length > 0 && (
          <ListTable label="APIs" columns={['Name', 'Display Name', 'Base path', 'Scopes', 'Actions']} minWidth={700} highlightOnHover>
            {apis.map((api) => (
              <Table.Tr key={api.id}>
                <Table.Td>
                  <Group gap="xs">
                    <Anchor component={Link} to={`/apis/${api.id}/scopes`} fw={500}>
                      {api.name}
                    </Anchor>
                    {api.builtIn && (
                      <Badge size="xs" variant="light" color="gray">
                        Built-in
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{api.displayName}</Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {api.basePath || '—'}
                  </Text>
                </Table.Td>
                <Table.Td>{api.scopes.totalCount}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    {/* As the documentation has it: Edit opens the API on its Scopes tab (its own details are edited there). */}
                    <Button size="xs" variant="light" component={Link} to={`/apis/${api.id}/scopes`} aria-label={`${manage && !api.builtIn ? 'Edit' : 'Open'} ${api.name}`}>
                      {manage && !api.builtIn ? 'Edit' : 'Open'}
                    </Button>
                    {manage && !api.builtIn && (
                      <>
                        <Button size="xs" variant="light" color="red" onClick={() => del.open(api)} aria-label={`Delete ${api.name}`}>
                          Delete
                        </Button>
                      </>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
        {data && <ConnectionPager pager={pager} connection={data.apis} shown={apis.length} noun="APIs" />}
      </Paper>
      <ApiDialog opened={edit.opened} initial={edit.value} onClose={edit.close} onSaved={(id) => !edit.value?.id && navigate(`/apis/${id}/scopes`)} />
      <ConfirmDialog
        opened={del.opened}
        title="Delete API"
        confirmLabel={`Delete ${del.value?.name ?? ''}`}
        busy={delState.fetching}
        error={del.error}
        onClose={del.close}
        onConfirm={async () => del.settle(await deleteApi({ id: del.value!.id }, { additionalTypenames: ['API', 'Scope'] }), `API ${del.value!.name} deleted`)}
      >
        <Text>
          Delete the API <b>{del.value?.name}</b> with its scopes and endpoints? This cannot be undone.
        </Text>
        {del.value && <DeleteApiImpact apiID={del.value.id} />}
      </ConfirmDialog>
    </>
  );
}

/** Before deleting an API: how many scopes go with it, and which clients lose the ones assigned to them. */
function DeleteApiImpact({ apiID }: { apiID: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ApiDeleteImpactDocument, variables: { apiID }, requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading label="Checking what uses this API" />;
  if (error && !data) return <Text c="red" size="sm">Could not check what uses this API: {errorMessage(error)}</Text>;
  if (!data) return null;
  const inUse = connectionNodes(data.inUse);
  return (
    <Stack gap={4} mt="sm" data-testid="api-impact">
      <Text size="sm">
        {data.all.totalCount === 1 ? '1 scope' : `${data.all.totalCount} scopes`} will be deleted
        {data.inUse.totalCount > 0 ? `; ${data.inUse.totalCount} of them ${data.inUse.totalCount === 1 ? 'is' : 'are'} assigned to clients, which lose them:` : '; none is assigned to a client.'}
      </Text>
      {inUse.length > 0 && (
        <List size="sm" aria-label="Scopes in use">
          {inUse.map((s) => {
            const clients = connectionNodes(s.clients);
            const more = s.clients.totalCount - clients.length;
            return (
              <List.Item key={s.id}>
                <Text span ff="monospace" size="sm">
                  {s.name}
                </Text>{' '}
                — {clients.map((c) => c.name).join(', ')}
                {more > 0 ? ` and ${more} more` : ''}
              </List.Item>
            );
          })}
        </List>
      )}
    </Stack>
  );
}

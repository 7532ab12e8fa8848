import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Group, Paper, Select, Table, Text, TextInput, Title } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ApisDocument, DeleteApiDocument } from './operations';
import { ApiDialog, type ApiFormValue } from './ApiDialog';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { PagerControls, useCursorPager } from '../../lib/paging';
import { useDebounced } from '../../lib/useDebounced';
import { ConfirmDialog, ReadOnlyNotice, useDialog } from '../../components/common';
import { EmptyState, ErrorState, Loading } from '../layout/states';
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
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search);
  const [sort, setSort] = useState('NAME:ASC');
  const pager = useCursorPager(25);
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
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApisDocument, variables, context: useMemo(() => ({ additionalTypenames: ['API'] }), []) });
  const edit = useDialog<ApiFormValue>();
  const del = useDialog<{ id: string; name: string }>();
  const [delState, deleteApi] = useMutation(DeleteApiDocument);
  const [delError, setDelError] = useState<string | null>(null);

  const apis = data?.apis.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={1} size="h2">
          APIs
        </Title>
        {manage && (
          <Button onClick={() => edit.open({ name: '', displayName: '', description: '', basePath: '' })}>Create API</Button>
        )}
      </Group>
      {!manage && <ReadOnlyNotice reason={manageReason(user.role)} />}
      <Paper withBorder p="md">
        <Group mb="sm" align="flex-end">
          <TextInput
            label="Search APIs"
            placeholder="Name contains…"
            value={search}
            onChange={(e) => {
              setSearch(e.currentTarget.value);
              pager.reset();
            }}
            w={280}
          />
          <Select
            label="Sort by"
            data={sortOptions}
            value={sort}
            onChange={(v) => {
              if (v) {
                setSort(v);
                pager.reset();
              }
            }}
            allowDeselect={false}
            w={200}
          />
        </Group>
        {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {!data && fetching && <Loading label="Loading APIs" />}
        {data && apis.length === 0 && (
          <EmptyState title={debounced ? 'No API matches your search' : 'No APIs yet'}>
            {debounced ? 'Try another name.' : manage ? 'Create an API to start defining its scopes and endpoints.' : undefined}
          </EmptyState>
        )}
        {apis.length > 0 && (
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover aria-label="APIs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Display Name</Table.Th>
                  <Table.Th>Base path</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
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
                        <Button size="xs" variant="light" component={Link} to={`/apis/${api.id}/scopes`} aria-label={`Open ${api.name}`}>
                          Open
                        </Button>
                        {manage && !api.builtIn && (
                          <>
                            <Button size="xs" variant="default" onClick={() => edit.open(api)} aria-label={`Edit ${api.name}`}>
                              Edit
                            </Button>
                            <Button size="xs" variant="light" color="red" onClick={() => { setDelError(null); del.open(api); }} aria-label={`Delete ${api.name}`}>
                              Delete
                            </Button>
                          </>
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
          <PagerControls
            pager={pager}
            totalCount={data.apis.totalCount}
            shown={apis.length}
            hasNextPage={data.apis.pageInfo.hasNextPage}
            endCursor={data.apis.pageInfo.endCursor}
            noun="APIs"
          />
        )}
      </Paper>
      <ApiDialog opened={edit.opened} initial={edit.value} onClose={edit.close} onSaved={(id) => !edit.value?.id && navigate(`/apis/${id}/scopes`)} />
      <ConfirmDialog
        opened={del.opened}
        title="Delete API"
        confirmLabel="Delete"
        busy={delState.fetching}
        error={delError}
        onClose={del.close}
        onConfirm={async () => {
          const res = await deleteApi({ id: del.value!.id }, { additionalTypenames: ['API', 'Scope'] });
          if (res.error) setDelError(errorMessage(res.error));
          else del.close();
        }}
      >
        <Text>
          Delete the API <b>{del.value?.name}</b> with its scopes and endpoints? This cannot be undone.
        </Text>
      </ConfirmDialog>
    </>
  );
}

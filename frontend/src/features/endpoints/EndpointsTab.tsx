import { useMemo, useState } from 'react';
import { Badge, Button, Group, Paper, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { DeleteEndpointDocument, EndpointsDocument } from './operations';
import { EndpointDialog, type EndpointFormValue } from './EndpointDialog';
import { PagerControls, useCursorPager } from '../../lib/paging';
import { useDebounced } from '../../lib/useDebounced';
import { ConfirmDialog, useDialog } from '../../components/common';
import { EmptyState, ErrorState, Loading } from '../layout/states';
import { errorMessage } from '../../lib/errors';

const ctx = { additionalTypenames: ['Endpoint'] };

export function EndpointsTab({ api, manage }: { api: { id: string; basePath: string; name: string }; manage: boolean }) {
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search);
  const pager = useCursorPager(25);
  const variables = useMemo(
    () => ({
      first: pager.first,
      after: pager.after,
      where: { apiID: api.id, ...(debounced ? { pathContainsFold: debounced } : {}) },
      orderBy: { field: 'PATH' as const, direction: 'ASC' as const },
    }),
    [api.id, pager.first, pager.after, debounced],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: EndpointsDocument, variables, context: ctx });
  const edit = useDialog<EndpointFormValue>();
  const del = useDialog<{ id: string; label: string }>();
  const [delState, deleteEndpoint] = useMutation(DeleteEndpointDocument);
  const [delError, setDelError] = useState<string | null>(null);
  const endpoints = data?.endpoints.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];

  return (
    <Paper withBorder p="md">
      <Group mb="sm" align="flex-end" justify="space-between">
        <TextInput
          label="Search endpoints"
          placeholder="Path contains…"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            pager.reset();
          }}
          w={260}
        />
        {manage && <Button onClick={() => edit.open({ method: 'GET', path: api.basePath ? `${api.basePath.replace(/\/$/, '')}/` : '/', scopes: [] })}>Add endpoint</Button>}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        The service URLs of this API and the scopes that reach them. Paths start with the base path {api.basePath ? <code>{api.basePath}</code> : '(none set)'}.
      </Text>
      {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label="Loading endpoints" />}
      {data && endpoints.length === 0 && (
        <EmptyState title={debounced ? 'No endpoint matches your search' : 'No endpoints yet'}>
          {!debounced && 'Endpoints link service URLs (method and path) to the scopes that may call them.'}
        </EmptyState>
      )}
      {endpoints.length > 0 && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped aria-label="Endpoints">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Method</Table.Th>
                <Table.Th>Path</Table.Th>
                <Table.Th>Scopes</Table.Th>
                {manage && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {endpoints.map((ep) => {
                const label = `${ep.method} ${ep.path}`;
                return (
                  <Table.Tr key={ep.id}>
                    <Table.Td>
                      <Badge variant="light" color={ep.method === 'GET' || ep.method === 'HEAD' ? 'blue' : 'grape'}>
                        {ep.method}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {ep.path}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {(ep.scopes ?? []).length === 0 ? (
                          <Text size="xs" c="dimmed">
                            Uncategorized
                          </Text>
                        ) : (
                          (ep.scopes ?? []).map((s) => (
                            <Badge key={s.id} variant="outline" tt="none">
                              {s.name}
                            </Badge>
                          ))
                        )}
                      </Group>
                    </Table.Td>
                    {manage && (
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Button size="xs" variant="default" aria-label={`Edit ${label}`} onClick={() => edit.open({ id: ep.id, method: ep.method, path: ep.path, scopes: ep.scopes ?? [] })}>
                            Edit
                          </Button>
                          <Button size="xs" variant="light" color="red" aria-label={`Delete ${label}`} onClick={() => { setDelError(null); del.open({ id: ep.id, label }); }}>
                            Delete
                          </Button>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {data && (
        <PagerControls pager={pager} totalCount={data.endpoints.totalCount} shown={endpoints.length} hasNextPage={data.endpoints.pageInfo.hasNextPage} endCursor={data.endpoints.pageInfo.endCursor} noun="endpoints" />
      )}
      <EndpointDialog opened={edit.opened} api={api} initial={edit.value} onClose={edit.close} />
      <ConfirmDialog
        opened={del.opened}
        title="Delete endpoint"
        confirmLabel="Delete"
        busy={delState.fetching}
        error={delError}
        onClose={del.close}
        onConfirm={async () => {
          const res = await deleteEndpoint({ id: del.value!.id }, { additionalTypenames: ['Endpoint', 'Scope'] });
          if (res.error) setDelError(errorMessage(res.error));
          else del.close();
        }}
      >
        <Text>
          Delete the endpoint <b>{del.value?.label}</b>? Calls to it will be denied as an unknown path.
        </Text>
      </ConfirmDialog>
    </Paper>
  );
}

import { useMemo, useState } from 'react';
import { Badge, Button, Group, Paper, Table, Text } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { DeleteEndpointDocument, EndpointsDocument } from './operations';
import { EndpointDialog, type EndpointFormValue } from './EndpointDialog';
import { OpenApiImportDialog } from './OpenApiImportDialog';
import { ConnectionPager } from '../../lib/paging';
import { ConfirmDialog, useDialog } from '../../components/common';
import { ListTable, QueryStates, SearchInput, connectionNodes, useConfirmAction, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';

const ctx = { additionalTypenames: ['Endpoint'] };

export function EndpointsTab({ api, manage }: { api: { id: string; basePath: string; name: string }; manage: boolean }) {
  const { search, debounced, setSearch, pager } = useListControls();
  const variables = useMemo(
    () => ({
      first: pager.first,
      after: pager.after,
      where: { apiID: api.id, ...(debounced ? { pathContainsFold: debounced } : {}) },
      orderBy: { field: 'PATH' as const, direction: 'ASC' as const },
    }),
    [api.id, pager.first, pager.after, debounced],
  );
  const [result, refetch] = useQuery({ query: EndpointsDocument, variables, context: ctx });
  const edit = useDialog<EndpointFormValue>();
  const del = useConfirmAction<{ id: string; label: string }>();
  const [delState, deleteEndpoint] = useMutation(DeleteEndpointDocument);
  const { data } = result;
  const [importing, setImporting] = useState(false);
  const endpoints = connectionNodes(data?.endpoints);

  return (
    <Paper withBorder p="md">
      <Group mb="sm" align="flex-end" justify="space-between">
        <SearchInput label="Search endpoints" placeholder="Path contains…" value={search} onChange={setSearch} w={260} />
        {manage && (
          <Group gap="xs">
            <Button variant="default" onClick={() => setImporting(true)}>
              Import OpenAPI
            </Button>
            <Button onClick={() => edit.open({ method: 'GET', path: api.basePath ? `${api.basePath.replace(/\/$/, '')}/` : '/', scopes: [] })}>Add endpoint</Button>
          </Group>
        )}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        The service URLs of this API and the scopes that reach them. Paths start with the base path {api.basePath ? <code>{api.basePath}</code> : '(none set)'}.
      </Text>
      <QueryStates
        result={result}
        refetch={refetch}
        loadingLabel="Loading endpoints"
        isEmpty={endpoints.length === 0}
        empty={
          <EmptyState title={debounced ? 'No endpoint matches your search' : 'No endpoints yet'}>
            {!debounced && 'Endpoints link service URLs (method and path) to the scopes that may call them.'}
          </EmptyState>
        }
      />
      {endpoints.length > 0 && (
        <ListTable label="Endpoints" columns={['Method', 'Path', 'Scopes', manage && 'Actions']} minWidth={700}>
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
                      <Button size="xs" variant="light" color="red" aria-label={`Delete ${label}`} onClick={() => del.open({ id: ep.id, label })}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            );
          })}
        </ListTable>
      )}
      {data && (
        <ConnectionPager pager={pager} connection={data.endpoints} shown={endpoints.length} noun="endpoints" />
      )}
      <EndpointDialog opened={edit.opened} api={api} initial={edit.value} onClose={edit.close} />
      {manage && <OpenApiImportDialog opened={importing} api={api} onClose={() => setImporting(false)} />}
      <ConfirmDialog
        opened={del.opened}
        title="Delete endpoint"
        confirmLabel={`Delete ${del.value?.label ?? ''}`}
        busy={delState.fetching}
        error={del.error}
        onClose={del.close}
        onConfirm={async () => del.settle(await deleteEndpoint({ id: del.value!.id }, { additionalTypenames: ['Endpoint', 'Scope'] }), `Endpoint ${del.value!.label} deleted`)}
      >
        <Text>
          Delete the endpoint <b>{del.value?.label}</b>? Calls to it will be denied as an unknown path.
        </Text>
      </ConfirmDialog>
    </Paper>
  );
}

import { useMemo, useState } from 'react';
import { Badge, Grid, Group, Paper, Switch, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { ScopesDocument, UpdateScopeDocument } from '../scopes/operations';
import { DiscoveryPreview } from './DiscoveryPreview';
import { PagerControls, useCursorPager } from '../../lib/paging';
import { useDebounced } from '../../lib/useDebounced';
import { EmptyState, ErrorState, Loading } from '../layout/states';
import { errorMessage } from '../../lib/errors';

const ctx = { additionalTypenames: ['Scope'] };

/** The Show-in-discovery toggles of an API's scopes beside a live preview of the document they produce. */
export function ApiDiscoveryTab({ apiId, manage, readOnlyReason }: { apiId: string; manage: boolean; readOnlyReason: string }) {
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search);
  const pager = useCursorPager(25);
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: { apiID: apiId, ...(debounced ? { nameContainsFold: debounced } : {}) }, orderBy: { field: 'NAME' as const, direction: 'ASC' as const } }),
    [apiId, pager.first, pager.after, debounced],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: ScopesDocument, variables, context: ctx });
  const [, update] = useMutation(UpdateScopeDocument);
  const [busy, setBusy] = useState<string | null>(null);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const scopes = data?.scopes.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];

  async function toggle(id: string, name: string, on: boolean) {
    setBusy(id);
    setToggleError(null);
    const res = await update({ id, input: { showInDiscoveryDocument: on } }, ctx);
    setBusy(null);
    if (res.error) setToggleError(`Could not change ${name}: ${errorMessage(res.error)}`);
  }

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 6 }}>
        <Paper withBorder p="md">
          <TextInput
            label="Search scopes"
            placeholder="Name contains…"
            value={search}
            onChange={(e) => {
              setSearch(e.currentTarget.value);
              pager.reset();
            }}
            mb="sm"
          />
          {toggleError && (
            <Text c="red" size="sm" role="alert">
              {toggleError}
            </Text>
          )}
          {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
          {!data && fetching && <Loading label="Loading scopes" />}
          {data && scopes.length === 0 && <EmptyState title="No scopes" />}
          {scopes.length > 0 && (
            <Table aria-label="Scopes in discovery">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Show in discovery</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {scopes.map((s) => {
                  const editable = manage && !s.builtIn && !s.deprecated;
                  return (
                    <Table.Tr key={s.id}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text ff="monospace" size="sm">
                            {s.name}
                          </Text>
                          {s.deprecated && (
                            <Badge size="xs" color="orange" variant="light">
                              Deprecated
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Tooltip label={s.deprecated ? 'Deprecated scopes never appear in discovery' : s.builtIn ? 'Built-in scopes cannot be changed' : !manage ? readOnlyReason : 'Saves at once'}>
                          <span style={{ display: 'inline-block' }}>
                            <Switch
                              aria-label={`Show ${s.name} in discovery`}
                              checked={s.showInDiscoveryDocument}
                              disabled={!editable || busy === s.id}
                              onChange={(e) => void toggle(s.id, s.name, e.currentTarget.checked)}
                            />
                          </span>
                        </Tooltip>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )}
          {data && (
            <PagerControls pager={pager} totalCount={data.scopes.totalCount} shown={scopes.length} hasNextPage={data.scopes.pageInfo.hasNextPage} endCursor={data.scopes.pageInfo.endCursor} noun="scopes" />
          )}
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 6 }}>
        <DiscoveryPreview highlight={scopes.filter((s) => s.showInDiscoveryDocument).map((s) => s.name)} />
      </Grid.Col>
    </Grid>
  );
}

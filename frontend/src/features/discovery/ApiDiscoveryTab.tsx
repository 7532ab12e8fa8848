import { useMemo, useState } from 'react';
import { Grid, Paper, Switch, Table, Text, Tooltip } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { ScopesDocument, UpdateScopeDocument } from '../scopes/operations';
import { DiscoveryPreview } from './DiscoveryPreview';
import { ConnectionPager } from '../../lib/paging';
import { QueryStates, SearchInput, connectionNodes, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { errorMessage } from '../../lib/errors';
import { ScopeName } from '../scopes/ScopeName';
import { notifyDone } from '../../lib/notify';

const ctx = { additionalTypenames: ['Scope'] };

/** The Show-in-discovery toggles of an API's scopes beside a live preview of the document they produce. */
export function ApiDiscoveryTab({ apiId, manage, readOnlyReason }: { apiId: string; manage: boolean; readOnlyReason: string }) {
  const { search, debounced, setSearch, pager } = useListControls();
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: { apiID: apiId, ...(debounced ? { nameContainsFold: debounced } : {}) }, orderBy: { field: 'NAME' as const, direction: 'ASC' as const } }),
    [apiId, pager.first, pager.after, debounced],
  );
  const [result, refetch] = useQuery({ query: ScopesDocument, variables, context: ctx });
  const [, update] = useMutation(UpdateScopeDocument);
  const [busy, setBusy] = useState<string | null>(null);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const { data } = result;
  const scopes = connectionNodes(data?.scopes);

  async function toggle(id: string, name: string, on: boolean) {
    setBusy(id);
    setToggleError(null);
    const res = await update({ id, input: { showInDiscoveryDocument: on } }, ctx);
    setBusy(null);
    if (res.error) setToggleError(`Could not change ${name}: ${errorMessage(res.error)}`);
    else notifyDone(on ? `${name} shown in the discovery document` : `${name} hidden from the discovery document`);
  }

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 6 }}>
        <Paper withBorder p="md">
          <SearchInput label="Search scopes" placeholder="Name contains…" value={search} onChange={setSearch} mb="sm" />
          {toggleError && (
            <Text c="red" size="sm" role="alert">
              {toggleError}
            </Text>
          )}
          <QueryStates result={result} refetch={refetch} loadingLabel="Loading scopes" isEmpty={scopes.length === 0} empty={<EmptyState title="No scopes" />} />
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
                        <ScopeName name={s.name} deprecated={s.deprecated} replacedBy={s.replacedBy} sunsetAt={s.sunsetAt} />
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
            <ConnectionPager pager={pager} connection={data.scopes} shown={scopes.length} noun="scopes" />
          )}
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 6 }}>
        <DiscoveryPreview highlight={scopes.filter((s) => s.showInDiscoveryDocument).map((s) => s.name)} />
      </Grid.Col>
    </Grid>
  );
}

import { useMemo, useState } from 'react';
import { Button, Group, Paper, Switch, Table, Text, Tooltip } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { ScopesDocument, UpdateScopeDocument } from './operations';
import { ScopeDialog, type ScopeFormValue } from './ScopeDialog';
import { DeleteScopeDialog } from './DeleteScopeDialog';
import { ConnectionPager } from '../../lib/paging';
import { useDialog } from '../../components/common';
import { ListTable, QueryStates, SearchInput, SortSelect, connectionNodes, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { errorMessage } from '../../lib/errors';
import type { OrderDirection, ScopeFieldsFragment, ScopeOrderField } from '../../gql/graphql';
import { ScopeName } from './ScopeName';
import { notifyDone } from '../../lib/notify';
import { MoveHoldersDialog } from '../deprecation/MoveHoldersDialog';

const sortOptions = [
  { value: 'NAME:ASC', label: 'Name (A–Z)' },
  { value: 'NAME:DESC', label: 'Name (Z–A)' },
  { value: 'DISPLAY_NAME:ASC', label: 'Display name (A–Z)' },
  { value: 'CREATED_AT:DESC', label: 'Newest first' },
  { value: 'UPDATED_AT:DESC', label: 'Recently changed' },
];

const scopeContext = { additionalTypenames: ['Scope'] };

export function ScopesTab({ apiId, manage, readOnlyReason, builtInApi }: { apiId: string; manage: boolean; readOnlyReason: string; builtInApi: boolean }) {
  const { search, debounced, setSearch, sort, setSort, pager } = useListControls('NAME:ASC');
  const [field, direction] = sort.split(':') as [ScopeOrderField, OrderDirection];
  const variables = useMemo(
    () => ({
      first: pager.first,
      after: pager.after,
      where: { apiID: apiId, ...(debounced ? { nameContainsFold: debounced } : {}) },
      orderBy: { field, direction },
    }),
    [apiId, pager.first, pager.after, debounced, field, direction],
  );
  const [result, refetch] = useQuery({ query: ScopesDocument, variables, context: scopeContext });
  const edit = useDialog<ScopeFormValue>();
  const [toDelete, setToDelete] = useState<ScopeFieldsFragment | null>(null);
  const [toMove, setToMove] = useState<ScopeFieldsFragment | null>(null);
  const [, updateScope] = useMutation(UpdateScopeDocument);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const [pending, setPending] = useState<Record<string, boolean>>({});

  const { data } = result;
  const scopes = connectionNodes(data?.scopes);
  const canEdit = (s: ScopeFieldsFragment) => manage && !s.builtIn;

  async function toggleDiscovery(s: ScopeFieldsFragment, on: boolean) {
    setToggleError(null);
    setPending((p) => ({ ...p, [s.id]: on }));
    const res = await updateScope({ id: s.id, input: { showInDiscoveryDocument: on } }, scopeContext);
    setPending((p) => {
      const { [s.id]: _, ...rest } = p;
      void _;
      return rest;
    });
    if (res.error) setToggleError(`Could not change ${s.name}: ${errorMessage(res.error)}`);
    else notifyDone(on ? `${s.name} shown in the discovery document` : `${s.name} hidden from the discovery document`);
  }

  return (
    <Paper withBorder p="md">
      <Group mb="sm" align="flex-end" justify="space-between">
        <Group align="flex-end">
          <SearchInput label="Search scopes" placeholder="Name contains…" value={search} onChange={setSearch} w={260} />
          <SortSelect data={sortOptions} value={sort} onChange={setSort} />
        </Group>
      </Group>
      {toggleError && (
        <Text c="red" size="sm" role="alert" mb="xs">
          {toggleError}
        </Text>
      )}
      <QueryStates
        result={result}
        refetch={refetch}
        loadingLabel="Loading scopes"
        isEmpty={scopes.length === 0}
        empty={
          <EmptyState title={debounced ? 'No scope matches your search' : 'No scopes yet'}>
            {debounced ? 'Try another name.' : manage && !builtInApi ? 'Add a scope to control what clients of this API may reach.' : undefined}
          </EmptyState>
        }
      />
      {scopes.length > 0 && (
        <ListTable label="Scopes" columns={['Name', 'Display Name', 'Description', 'Required', 'Emphasize', 'Show in discovery', 'Actions']} minWidth={900} highlightOnHover verticalSpacing="xs">
          {scopes.map((s) => (
            <Table.Tr key={s.id} data-scope={s.name}>
              <Table.Td>
                <ScopeName name={s.name} deprecated={s.deprecated} replacedBy={s.replacedBy} sunsetAt={s.sunsetAt} builtIn={s.builtIn} wrap="nowrap" />
              </Table.Td>
              <Table.Td>{s.displayName}</Table.Td>
              <Table.Td maw={320}>
                <Text size="sm" lineClamp={2}>
                  {s.description}
                </Text>
              </Table.Td>
              <Table.Td>{s.required ? 'Yes' : 'No'}</Table.Td>
              <Table.Td>{s.emphasize ? 'Yes' : 'No'}</Table.Td>
              <Table.Td>
                <Tooltip label={s.deprecated ? 'Deprecated scopes never appear in discovery' : !canEdit(s) ? (s.builtIn ? 'Built-in scopes cannot be changed' : readOnlyReason) : 'Saves at once'} withArrow>
                  <span style={{ display: 'inline-block' }}>
                    <Switch
                      aria-label={`Show ${s.name} in discovery`}
                      checked={pending[s.id] ?? s.showInDiscoveryDocument}
                      disabled={!canEdit(s) || s.id in pending}
                      onChange={(e) => void toggleDiscovery(s, e.currentTarget.checked)}
                    />
                  </span>
                </Tooltip>
              </Table.Td>
              <Table.Td>
                {canEdit(s) ? (
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => edit.open({ ...s })} aria-label={`Edit ${s.name}`}>
                      Edit
                    </Button>
                    <Button size="xs" variant="light" color="red" onClick={() => setToDelete(s)} aria-label={`Delete ${s.name}`}>
                      Delete
                    </Button>
                    {s.deprecated && s.replacedBy && (
                      <Button size="xs" variant="light" onClick={() => setToMove(s)} aria-label={`Move holders to ${s.replacedBy.name} from ${s.name}`}>
                        Move holders to {s.replacedBy.name}
                      </Button>
                    )}
                  </Group>
                ) : (
                  <Text size="xs" c="dimmed">
                    {s.builtIn ? 'Built-in' : 'Read-only'}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </ListTable>
      )}
      {data && (
        <ConnectionPager pager={pager} connection={data.scopes} shown={scopes.length} noun="scopes" />
      )}
      {manage && !builtInApi && (
        <Group justify="flex-end" mt="md">
          <Button onClick={() => edit.open({ name: '', displayName: '', description: '', required: false, emphasize: false, showInDiscoveryDocument: true })}>Add Scope</Button>
        </Group>
      )}
      <ScopeDialog opened={edit.opened} apiId={apiId} initial={edit.value} onClose={edit.close} />
      <DeleteScopeDialog scope={toDelete} onClose={() => setToDelete(null)} />
      <MoveHoldersDialog scope={toMove} onClose={() => setToMove(null)} />
    </Paper>
  );
}

import { useMemo, useState } from 'react';
import { Select, type ComboboxItem } from '@mantine/core';
import { useQuery } from 'urql';
import { ScopesDocument } from '../scopes/operations';
import { useDebounced } from '../../lib/useDebounced';

export interface ScopeRef {
  id: string;
  name: string;
}

interface Props {
  /** The deprecated scope itself, which cannot be its own replacement. */
  scopeId: string;
  value: ScopeRef | null;
  onChange: (v: ScopeRef | null) => void;
  error?: string;
}

/** Picks the scope that replaces a deprecated one: a current scope of the organisation, searched on
 * the server as the user types. */
export function ReplacementSelect({ scopeId, value, onChange, error }: Props) {
  const [search, setSearch] = useState(value?.name ?? '');
  const debounced = useDebounced(search, 200);
  const typed = debounced && debounced !== value?.name ? debounced : '';
  const variables = useMemo(
    () => ({
      first: 50,
      where: { deprecated: false, idNEQ: scopeId, ...(typed ? { nameContainsFold: typed } : {}) },
      orderBy: { field: 'NAME' as const, direction: 'ASC' as const },
    }),
    [scopeId, typed],
  );
  const [{ data, fetching }] = useQuery({ query: ScopesDocument, variables });
  const byId = new Map<string, ScopeRef>();
  if (value) byId.set(value.id, value);
  for (const e of data?.scopes.edges ?? []) if (e?.node) byId.set(e.node.id, { id: e.node.id, name: e.node.name });
  const items: ComboboxItem[] = [...byId.values()].map((s) => ({ value: s.id, label: s.name }));
  return (
    <Select
      label="Replaced by"
      description="The scope that takes its place; “Move holders to …” moves clients and API keys to it."
      placeholder="Search scopes…"
      data={items}
      value={value?.id ?? null}
      onChange={(id) => onChange(id ? (byId.get(id) ?? null) : null)}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options }) => options}
      nothingFoundMessage={fetching ? 'Searching…' : 'No current scope matches'}
      clearable
      error={error}
      maxDropdownHeight={260}
      comboboxProps={{ withinPortal: true }}
    />
  );
}

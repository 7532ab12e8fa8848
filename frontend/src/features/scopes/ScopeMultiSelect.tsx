import { useMemo, useState } from 'react';
import { MultiSelect, type ComboboxItem } from '@mantine/core';
import { useQuery } from 'urql';
import { ScopesDocument } from './operations';
import { useDebounced } from '../../lib/useDebounced';
import type { ScopeWhereInput } from '../../gql/graphql';

export interface ScopeRef {
  id: string;
  name: string;
}

interface Props {
  label: string;
  description?: string;
  value: ScopeRef[];
  onChange: (v: ScopeRef[]) => void;
  where?: ScopeWhereInput;
  /** Restricts the options to these scopes (searched locally), e.g. the organisation's API-key scopes. */
  options?: ScopeRef[];
  error?: string;
  disabled?: boolean;
}

/** Picks scopes by name, searching the server as the user types (never loads every scope). */
export function ScopeMultiSelect({ label, description, value, onChange, where, options, error, disabled }: Props) {
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search, 200);
  const variables = useMemo(
    () => ({ first: 50, where: { ...where, ...(debounced ? { nameContainsFold: debounced } : {}) }, orderBy: { field: 'NAME' as const, direction: 'ASC' as const } }),
    [where, debounced],
  );
  const [{ data, fetching }] = useQuery({ query: ScopesDocument, variables, pause: Boolean(options) || disabled });
  const found: ScopeRef[] = options
    ? options.filter((o) => o.name.toLowerCase().includes(search.toLowerCase()))
    : (data?.scopes.edges?.flatMap((e) => (e?.node ? [{ id: e.node.id, name: e.node.name }] : [])) ?? []);
  const byId = new Map<string, ScopeRef>();
  for (const s of [...value, ...found]) byId.set(s.id, s);
  const items: ComboboxItem[] = [...byId.values()].map((s) => ({ value: s.id, label: s.name }));
  return (
    <MultiSelect
      label={label}
      description={description}
      data={items}
      value={value.map((s) => s.id)}
      onChange={(ids) => onChange(ids.map((id) => byId.get(id)!).filter(Boolean))}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: opts }) => opts}
      nothingFoundMessage={fetching ? 'Searching…' : 'No scope matches'}
      clearable
      error={error}
      disabled={disabled}
      maxDropdownHeight={260}
      comboboxProps={{ withinPortal: true }}
    />
  );
}

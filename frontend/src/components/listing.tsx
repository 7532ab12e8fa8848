import { useCallback, useState, type ReactNode } from 'react';
import { Group, Select, Table, Text, TextInput, Title, type TableProps, type TextInputProps } from '@mantine/core';
import type { CombinedError, OperationContext } from 'urql';
import { useCursorPager } from '../lib/paging';
import { useDebounced } from '../lib/useDebounced';
import { errorMessage } from '../lib/errors';
import { ErrorState, Loading } from '../features/layout/states';
import { useDialog } from './common';
import { notifyDone } from '../lib/notify';

/**
 * The controls of a server-side list: search text (debounced for the query), sort and cursor paging.
 * Changing the search or the sort goes back to the first page.
 */
export function useListControls(initialSort = '', pageSize = 25) {
  const [search, setSearchText] = useState('');
  const debounced = useDebounced(search);
  const [sort, setSortValue] = useState(initialSort);
  const pager = useCursorPager(pageSize);
  const { reset } = pager;
  const setSearch = useCallback(
    (v: string) => {
      setSearchText(v);
      reset();
    },
    [reset],
  );
  const setSort = useCallback(
    (v: string) => {
      setSortValue(v);
      reset();
    },
    [reset],
  );
  return { search, debounced, setSearch, sort, setSort, pager };
}

/** The nodes of a Relay connection, skipping empty edges. */
export function connectionNodes<N>(connection: { edges?: ({ node?: N | null } | null)[] | null } | null | undefined): N[] {
  return connection?.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
}

/** A text field for a list's search; `onChange` gets the text. */
export function SearchInput({ onChange, ...props }: Omit<TextInputProps, 'onChange'> & { value: string; onChange: (value: string) => void }) {
  return <TextInput {...props} onChange={(e) => onChange(e.currentTarget.value)} />;
}

/** "Sort by" for a list; the options' values are FIELD:DIRECTION. */
export function SortSelect({ data, value, onChange }: { data: { value: string; label: string }[]; value: string; onChange: (value: string) => void }) {
  return <Select label="Sort by" data={data} value={value} onChange={(v) => v && onChange(v)} allowDeselect={false} w={200} />;
}

interface QueryStatesProps {
  result: { data?: unknown; fetching: boolean; error?: CombinedError };
  refetch: (opts?: Partial<OperationContext>) => void;
  loadingLabel: string;
  /** Whether the query answered with no rows. */
  isEmpty: boolean;
  /** What to show then. */
  empty?: ReactNode;
}

/** A list query's error (with "Try again"), loading and empty states. */
export function QueryStates({ result: { data, fetching, error }, refetch, loadingLabel, isEmpty, empty }: QueryStatesProps) {
  return (
    <>
      {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!data && fetching && <Loading label={loadingLabel} />}
      {Boolean(data) && isEmpty && empty}
    </>
  );
}

/**
 * A confirmation dialog's payload and error: `open` clears the last error, `settle` closes the dialog
 * when the mutation succeeded and otherwise shows its error.
 */
export function useConfirmAction<T>() {
  const dialog = useDialog<T>();
  const [error, setError] = useState<string | null>(null);
  return {
    ...dialog,
    error,
    setError,
    open: (v: T) => {
      setError(null);
      dialog.open(v);
    },
    /** Closes the dialog and announces `done` when the mutation succeeded; otherwise shows its error. */
    settle: (res: { error?: CombinedError }, done?: string) => {
      if (res.error) setError(errorMessage(res.error));
      else {
        dialog.close();
        if (done) notifyDone(done);
      }
    },
  };
}

/** A page's heading (an h1) with an optional line below it and an action (e.g. a Create button) on the right. */
export function PageHeader({ title, description, action }: { title: ReactNode; description?: ReactNode; action?: ReactNode }) {
  const heading = (
    <Title order={1} size="h2">
      {title}
    </Title>
  );
  return (
    <Group justify="space-between" mb="md">
      {description ? (
        <div>
          {heading}
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        </div>
      ) : (
        heading
      )}
      {action}
    </Group>
  );
}

interface ListTableProps extends Pick<TableProps, 'highlightOnHover' | 'verticalSpacing' | 'striped'> {
  /** The table's accessible name. */
  label: string;
  /** The column headings; a `false` one is left out. */
  columns: (string | false)[];
  /** Scrolls sideways below this width; without it the table does not scroll. */
  minWidth?: number;
  /** The rows. */
  children: ReactNode;
}

/** A table of a list page's rows, striped unless `striped={false}` (e.g. when rows unfold into detail rows). */
export function ListTable({ label, columns, minWidth, highlightOnHover, verticalSpacing, striped = true, children }: ListTableProps) {
  const table = (
    <Table striped={striped} highlightOnHover={highlightOnHover} aria-label={label} verticalSpacing={verticalSpacing}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c) => c !== false && <Table.Th key={c}>{c}</Table.Th>)}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>{children}</Table.Tbody>
    </Table>
  );
  return minWidth === undefined ? table : <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer>;
}

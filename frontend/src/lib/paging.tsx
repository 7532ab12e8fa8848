import { useCallback, useState } from 'react';
import { Button, Group, Select, Text } from '@mantine/core';

export interface CursorPager {
  first: number;
  after: string | null;
  pageIndex: number;
  next: (endCursor: string | null | undefined) => void;
  prev: () => void;
  reset: () => void;
  setPageSize: (n: number) => void;
}

/** Forward cursor pagination that remembers the cursors of earlier pages for "Previous". */
export function useCursorPager(initialSize = 25): CursorPager {
  const [first, setFirst] = useState(initialSize);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const next = useCallback((endCursor: string | null | undefined) => {
    if (endCursor) setCursors((c) => [...c, endCursor]);
  }, []);
  const prev = useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []);
  const reset = useCallback(() => setCursors([null]), []);
  const setPageSize = useCallback((n: number) => {
    setFirst(n);
    setCursors([null]);
  }, []);
  return { first, after: cursors[cursors.length - 1], pageIndex: cursors.length - 1, next, prev, reset, setPageSize };
}

interface PagerProps {
  pager: CursorPager;
  totalCount: number;
  shown: number;
  hasNextPage: boolean;
  endCursor: string | null | undefined;
  noun: string;
}

export function PagerControls({ pager, totalCount, shown, hasNextPage, endCursor, noun }: PagerProps) {
  const start = totalCount === 0 ? 0 : pager.pageIndex * pager.first + 1;
  const end = pager.pageIndex * pager.first + shown;
  return (
    <Group justify="space-between" mt="sm" wrap="wrap">
      <Text size="sm" c="dimmed" aria-live="polite">
        {totalCount === 0 ? `No ${noun}` : `${start}–${end} of ${totalCount.toLocaleString('en')} ${noun}`}
      </Text>
      <Group gap="xs">
        <Select
          aria-label="Rows per page"
          size="xs"
          w={90}
          data={['10', '25', '50', '100']}
          value={String(pager.first)}
          onChange={(v) => v && pager.setPageSize(Number(v))}
          allowDeselect={false}
        />
        <Button size="xs" variant="default" onClick={pager.prev} disabled={pager.pageIndex === 0}>
          Previous
        </Button>
        <Button size="xs" variant="default" onClick={() => pager.next(endCursor)} disabled={!hasNextPage || !endCursor}>
          Next
        </Button>
      </Group>
    </Group>
  );
}

/** PagerControls for a Relay connection (totalCount and pageInfo). */
export function ConnectionPager({ pager, connection, shown, noun }: { pager: CursorPager; connection: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor?: string | null } }; shown: number; noun: string }) {
  return <PagerControls pager={pager} totalCount={connection.totalCount} shown={shown} hasNextPage={connection.pageInfo.hasNextPage} endCursor={connection.pageInfo.endCursor} noun={noun} />;
}

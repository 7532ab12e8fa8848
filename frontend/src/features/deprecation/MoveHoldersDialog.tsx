import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Stack, Table, Text } from '@mantine/core';
import { useMutation } from 'urql';
import { MigrateScopeHoldersDocument } from './operations';
import { errorMessage } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';
import type { MigrateScopeHoldersMutation } from '../../gql/graphql';

type Plan = MigrateScopeHoldersMutation['migrateScopeHolders'];

interface Props {
  /** The deprecated scope whose holders move, with its replacement; null when closed. */
  scope: { id: string; name: string; replacedBy?: { id: string; name: string } | null } | null;
  onClose: () => void;
}

const kindLabels: Record<string, string> = { Client: 'Client', APIKey: 'API key' };

/** "Move holders to …": shows the plan of a dry run first, then applies it, all or nothing. */
export function MoveHoldersDialog({ scope, onClose }: Props) {
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, migrate] = useMutation(MigrateScopeHoldersDocument);
  const to = scope?.replacedBy;

  useEffect(() => {
    setPlan(null);
    setError(null);
    if (!scope || !to) return;
    let current = true;
    void migrate({ from: scope.id, to: to.id, dryRun: true }).then((res) => {
      if (!current) return;
      if (res.error) setError(errorMessage(res.error));
      else setPlan(res.data?.migrateScopeHolders ?? null);
    });
    return () => {
      current = false;
    };
  }, [scope, to, migrate]);

  async function apply() {
    if (!scope || !to) return;
    setError(null);
    const res = await migrate({ from: scope.id, to: to.id, dryRun: false }, { additionalTypenames: ['Scope', 'Client', 'APIKey'] });
    if (res.error) {
      setError(errorMessage(res.error));
      return;
    }
    const n = res.data?.migrateScopeHolders.steps.length ?? 0;
    notifyDone(`Holders of ${scope.name} moved to ${to.name} (${n} ${n === 1 ? 'holder' : 'holders'})`);
    onClose();
  }

  const title = to ? `Move holders to ${to.name}` : 'Move holders';
  return (
    <Modal opened={scope !== null} onClose={onClose} title={title} size="xl">
      <Stack>
        {error && (
          <Alert color="red" role="alert" title="Nothing was moved">
            {error}
          </Alert>
        )}
        {scope && to && (
          <Text size="sm">
            Every client and API key holding <code>{scope.name}</code> gets <code>{to.name}</code> instead, all or nothing. Tokens already issued keep{' '}
            <code>{scope.name}</code> only as long as it is deprecated and before its sunset.
          </Text>
        )}
        {!plan && !error && <Text size="sm">Planning…</Text>}
        {plan && plan.steps.length === 0 && <Text size="sm">No client or API key holds {scope?.name}: there is nothing to move.</Text>}
        {plan && plan.steps.length > 0 && (
          <Table aria-label="Migration plan" withTableBorder verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Holder</Table.Th>
                <Table.Th>What happens</Table.Th>
                <Table.Th>Scopes after</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plan.steps.map((s) => (
                <Table.Tr key={`${s.kind}:${s.id}`} data-holder={s.name}>
                  <Table.Td>
                    {kindLabels[s.kind] ?? s.kind} <strong>{s.name}</strong>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={s.action === 'MOVE' ? 'blue' : 'gray'}>
                      {s.action === 'MOVE' ? `Moves to ${plan.to.name}` : `Drops ${plan.from.name}`}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {s.scopesAfter.join(' ')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button onClick={() => void apply()} loading={fetching && plan !== null} disabled={!plan || plan.steps.length === 0 || Boolean(error)}>
            Apply
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

import { useState } from 'react';
import { Alert, Button, Group, List, Loader, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { DeleteScopeDocument, ScopeImpactDocument, UpdateScopeDocument } from './operations';
import { errorMessage, hasCode, usedBy } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';

interface Props {
  scope: { id: string; name: string; deprecated: boolean } | null;
  onClose: () => void;
}

/** Asks before deleting; when the scope is in use, says by whom instead of failing silently. */
export function DeleteScopeDialog({ scope, onClose }: Props) {
  const opened = scope !== null;
  return (
    <Modal opened={opened} onClose={onClose} title={scope ? `Delete scope ${scope.name}` : 'Delete scope'}>
      {scope && <DeleteScopeBody key={scope.id} scope={scope} onClose={onClose} />}
    </Modal>
  );
}

function DeleteScopeBody({ scope, onClose }: { scope: NonNullable<Props['scope']>; onClose: () => void }) {
  const [{ data, fetching, error: impactError }] = useQuery({ query: ScopeImpactDocument, variables: { id: scope.id }, requestPolicy: 'network-only' });
  const [delState, del] = useMutation(DeleteScopeDocument);
  const [depState, deprecate] = useMutation(UpdateScopeDocument);
  const [error, setError] = useState<CombinedError | null>(null);

  const impact = data?.scopeImpact;
  const users = error && hasCode(error, 'SCOPE_IN_USE') ? usedBy(error) : (impact?.usedBy ?? []);
  const blocked = (impact && !impact.canDelete) || (error && hasCode(error, 'SCOPE_IN_USE'));

  async function confirm() {
    setError(null);
    const res = await del({ id: scope.id }, { additionalTypenames: ['Scope', 'API', 'Client'] });
    if (res.error) setError(res.error);
    else {
      notifyDone(`Scope ${scope.name} deleted`);
      onClose();
    }
  }

  async function markDeprecated() {
    const res = await deprecate({ id: scope.id, input: { deprecated: true } }, { additionalTypenames: ['Scope'] });
    if (res.error) setError(res.error);
    else {
      notifyDone(`Scope ${scope.name} deprecated`);
      onClose();
    }
  }

  return (
    <Stack>
      {fetching && !impact && (
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm">Checking who uses this scope…</Text>
        </Group>
      )}
      {impactError && !impact && <Alert color="yellow">Could not check who uses this scope: {errorMessage(impactError)}</Alert>}
      {blocked ? (
        <Alert color="red" role="alert" title={`${scope.name} is in use and cannot be deleted`} data-testid="scope-in-use">
          <Stack gap="xs">
            <Text size="sm">{impact?.reason ?? (error ? errorMessage(error) : 'The scope is in use.')}</Text>
            {users.length > 0 && (
              <>
                <Text size="sm">Used by:</Text>
                <List size="sm" aria-label="Used by">
                  {users.map((u) => (
                    <List.Item key={u}>{u}</List.Item>
                  ))}
                </List>
              </>
            )}
            <Text size="sm">Remove it from these first, or deprecate it: a deprecated scope keeps working where it is assigned but cannot be newly assigned.</Text>
          </Stack>
        </Alert>
      ) : (
        <>
          {error && (
            <Alert color="red" role="alert">
              {errorMessage(error)}
            </Alert>
          )}
          <Text>
            Delete the scope <b>{scope.name}</b>? Clients can no longer request it. This cannot be undone.
          </Text>
        </>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} data-autofocus>
          Cancel
        </Button>
        {blocked && !scope.deprecated && (
          <Button variant="light" onClick={markDeprecated} loading={depState.fetching}>
            Deprecate instead
          </Button>
        )}
        <Button color="red" onClick={confirm} loading={delState.fetching} disabled={Boolean(blocked) || (fetching && !impact)}>
          Delete {scope.name}
        </Button>
      </Group>
    </Stack>
  );
}

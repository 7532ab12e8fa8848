import { useState } from 'react';
import { Text } from '@mantine/core';
import { useMutation } from 'urql';
import { DeleteClientDocument } from './operations';
import { ConfirmDialog } from '../../components/common';
import { errorMessage } from '../../lib/errors';
import type { ClientFieldsFragment } from '../../gql/graphql';
import type { ClientFormValue } from './ClientDialog';
import { notifyDone } from '../../lib/notify';

export function toFormValue(c: ClientFieldsFragment): ClientFormValue {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    kind: c.kind,
    redirectURIs: (c.redirectURIs ?? []).join('\n'),
    postLogoutRedirectURIs: (c.postLogoutRedirectURIs ?? []).join('\n'),
    requirePKCE: c.requirePKCE,
    refreshTokens: c.refreshTokens,
    allowUncategorizedRead: c.allowUncategorizedRead,
    allowUncategorizedModify: c.allowUncategorizedModify,
    enabled: c.enabled,
  };
}

export function DeleteClientDialog({ client, onClose, onDeleted }: { client: { id: string; name: string } | null; onClose: () => void; onDeleted?: () => void }) {
  const [state, del] = useMutation(DeleteClientDocument);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConfirmDialog
      opened={client !== null}
      title="Delete client"
      confirmLabel={`Delete ${client?.name ?? ''}`}
      busy={state.fetching}
      error={error}
      onClose={() => {
        setError(null);
        onClose();
      }}
      onConfirm={async () => {
        const res = await del({ id: client!.id }, { additionalTypenames: ['Client'] });
        if (res.error) setError(errorMessage(res.error));
        else {
          notifyDone(`Client ${client!.name} deleted`);
          onClose();
          onDeleted?.();
        }
      }}
    >
      <Text>
        Delete the client <b>{client?.name}</b>? Its tokens stop working and it can no longer sign in. This cannot be undone.
      </Text>
    </ConfirmDialog>
  );
}

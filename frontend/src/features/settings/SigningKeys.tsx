import { useState } from 'react';
import { Anchor, Badge, Button, Code, Group, Paper, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../../gql';
import { ConfirmDialog } from '../../components/common';
import { ListTable, QueryStates, useConfirmAction } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { errorMessage } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';

const SigningKeysDocument = graphql(`
  query SigningKeys {
    signingKeys {
      id
      kid
      algorithm
      createdAt
      retiredAt
      current
    }
  }
`);

const RotateSigningKeyDocument = graphql(`
  mutation RotateSigningKey {
    rotateSigningKey {
      id
      kid
    }
  }
`);

const RetireSigningKeyDocument = graphql(`
  mutation RetireSigningKey($id: ID!) {
    retireSigningKey(id: $id) {
      id
      retiredAt
      current
    }
  }
`);

const ctx = { additionalTypenames: ['SigningKey'] };
const fmt = (t: string) => new Date(t).toLocaleString();

/** The organisation's ID-token signing keys; owners rotate them and retire earlier ones. */
export function SigningKeys({ issuer, owner }: { issuer: string; owner: boolean }) {
  const [result, refetch] = useQuery({ query: SigningKeysDocument, context: ctx });
  const [rotating, setRotating] = useState(false);
  const [rotateError, setRotateError] = useState<string | null>(null);
  const [rotateState, rotate] = useMutation(RotateSigningKeyDocument);
  const retire = useConfirmAction<{ id: string; kid: string }>();
  const [retireState, doRetire] = useMutation(RetireSigningKeyDocument);
  const keys = result.data?.signingKeys ?? [];
  const jwks = `${issuer}/oauth/jwks`;

  return (
    <Paper withBorder p="md" maw={720} mt="lg" component="section" aria-labelledby="signing-keys-title">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="signing-keys-title">
          ID-token signing keys
        </Title>
        {owner && (
          <Button
            variant="light"
            onClick={() => {
              setRotateError(null);
              setRotating(true);
            }}
          >
            Rotate key
          </Button>
        )}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        The current key signs new ID tokens. Earlier keys stay published at{' '}
        <Anchor href={jwks} target="_blank" rel="noreferrer">
          {jwks}
        </Anchor>{' '}
        so the tokens they signed keep verifying, until you retire them.
      </Text>
      <QueryStates
        result={result}
        refetch={refetch}
        loadingLabel="Loading signing keys"
        isEmpty={keys.length === 0}
        empty={<EmptyState title="No signing key yet">One is made when the first ID token is issued{owner ? ', or when you rotate' : ''}.</EmptyState>}
      />
      {keys.length > 0 && (
        <ListTable label="Signing keys" columns={['Key ID', 'Algorithm', 'Created', 'Status', owner && 'Actions']}>
          {keys.map((k) => (
            <Table.Tr key={k.id}>
              <Table.Td>
                <Code>{k.kid}</Code>
              </Table.Td>
              <Table.Td>{k.algorithm}</Table.Td>
              <Table.Td>{fmt(k.createdAt)}</Table.Td>
              <Table.Td>
                {k.current ? (
                  <Badge color="teal">Current</Badge>
                ) : k.retiredAt ? (
                  <Badge color="gray" title={`Retired ${fmt(k.retiredAt)}`}>
                    Retired
                  </Badge>
                ) : (
                  <Badge variant="light">Published</Badge>
                )}
              </Table.Td>
              {owner && (
                <Table.Td>
                  {!k.current && !k.retiredAt && (
                    <Button size="xs" variant="light" color="red" aria-label={`Retire key ${k.kid}`} onClick={() => retire.open(k)}>
                      Retire
                    </Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </ListTable>
      )}
      <ConfirmDialog
        opened={rotating}
        title="Rotate the signing key"
        confirmLabel="Rotate key"
        color="blue"
        busy={rotateState.fetching}
        error={rotateError}
        onClose={() => setRotating(false)}
        onConfirm={async () => {
          const res = await rotate({}, ctx);
          if (res.error) setRotateError(errorMessage(res.error));
          else {
            setRotating(false);
            notifyDone('Signing key rotated');
          }
        }}
      >
        <Text>A new key signs ID tokens from now on. The current key stays published until you retire it, so tokens it signed keep verifying.</Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={retire.opened}
        title="Retire signing key"
        confirmLabel={`Retire ${retire.value?.kid ?? ''}`}
        busy={retireState.fetching}
        error={retire.error}
        onClose={retire.close}
        onConfirm={async () => retire.settle(await doRetire({ id: retire.value!.id }, ctx), `Signing key ${retire.value!.kid} retired`)}
      >
        <Text>
          Retire key <Code>{retire.value?.kid}</Code>? It leaves the published key set, and ID tokens it signed no longer verify. This cannot be undone.
        </Text>
      </ConfirmDialog>
    </Paper>
  );
}

import { useState } from 'react';
import { Alert, Center, Stack, Text } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../../gql';
import { ConsentScreen } from './ConsentScreen';
import { useViewer } from '../auth/viewer';
import { ErrorState, Loading } from '../layout/states';
import { errorMessage, hasCode } from '../../lib/errors';

export const ConsentRequestDocument = graphql(`
  query ConsentRequest($id: ID!) {
    consentRequest(id: $id) {
      id
      client {
        name
        description
      }
      scopes {
        name
        displayName
        description
        emphasize
        required
        alreadyGranted
      }
    }
  }
`);

export const DecideConsentDocument = graphql(`
  mutation DecideConsent($id: ID!, $approve: Boolean!, $scopes: [String!]) {
    decideConsent(id: $id, approve: $approve, scopes: $scopes) {
      redirectTo
    }
  }
`);

export function ConsentPage() {
  const [params] = useSearchParams();
  const id = params.get('request') ?? '';
  const { organisation, user } = useViewer();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ConsentRequestDocument, variables: { id }, pause: !id, requestPolicy: 'network-only' });
  const [state, decide] = useMutation(DecideConsentDocument);
  const [decideError, setDecideError] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);

  let body;
  if (!id) {
    body = (
      <Alert color="red" title="No consent request">
        This page needs a request. Start again from the application that sent you here.
      </Alert>
    );
  } else if (error && !data) {
    const gone = hasCode(error, 'NOT_FOUND');
    body = <ErrorState error={error} title="This consent request cannot be shown" onRetry={gone ? undefined : () => refetch({ requestPolicy: 'network-only' })} />;
  } else if (!data) {
    body = fetching ? <Loading label="Loading the request" /> : null;
  } else {
    const req = data.consentRequest;
    body = (
      <ConsentScreen
        clientName={req.client.name}
        clientDescription={req.client.description}
        organisationName={organisation.name}
        scopes={req.scopes}
        busy={state.fetching || leaving}
        error={decideError}
        onDecide={async (approve, kept) => {
          setDecideError(null);
          const res = await decide({ id: req.id, approve, scopes: kept });
          if (res.error || !res.data) {
            setDecideError(errorMessage(res.error) || 'The answer could not be sent.');
            return;
          }
          setLeaving(true);
          window.location.assign(res.data.decideConsent.redirectTo);
        }}
      />
    );
  }
  return (
    <Center mih="100vh" bg="gray.0" p="md" component="main">
      <Stack align="center" w="100%" maw={560}>
        {body}
        <Text size="xs" c="dimmed">
          Signed in as {user.email}
        </Text>
      </Stack>
    </Center>
  );
}

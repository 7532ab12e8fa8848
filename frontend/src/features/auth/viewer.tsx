import { createContext, useContext, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Navigate, useLocation } from 'react-router';
import { graphql } from '../../gql';
import type { ViewerQuery } from '../../gql/graphql';
import { errorMessage, isUnauthenticated } from '../../lib/errors';

export const ViewerDocument = graphql(`
  query Viewer {
    viewer {
      user {
        id
        email
        displayName
        role
      }
      organisation {
        id
        name
        slug
        issuer
        forwardAuthURL
        namingPolicy
        namingGuideline
        namingExample
        maxScopesPerClient
        refreshTokenLifetime
        apiKeyAllowedScopes {
          id
          name
          displayName
          description
          deprecated
        }
      }
    }
  }
`);

export type Viewer = ViewerQuery['viewer'];

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ value, children }: { value: Viewer; children: ReactNode }) {
  return <ViewerContext.Provider value={value}>{children}</ViewerContext.Provider>;
}

export function useViewer(): Viewer {
  const v = useContext(ViewerContext);
  if (!v) throw new Error('useViewer outside RequireViewer');
  return v;
}

/** Loads the viewer; sends people who are not signed in to /login?next=…. */
export function RequireViewer({ children }: { children: ReactNode }) {
  const location = useLocation();
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: ViewerDocument,
    requestPolicy: 'cache-and-network',
    context: ViewerContextOptions,
  });
  if (error && isUnauthenticated(error)) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (!data) {
    if (fetching || !error) {
      return (
        <Center h="100vh">
          <Loader aria-label="Loading" />
        </Center>
      );
    }
    return (
      <Center h="100vh">
        <Stack maw={480}>
          <Alert color="red" title="The console could not load">
            {errorMessage(error)}
          </Alert>
          <Button onClick={() => reexecute({ requestPolicy: 'network-only' })}>Try again</Button>
        </Stack>
      </Center>
    );
  }
  return <ViewerProvider value={data.viewer}>{children}</ViewerProvider>;
}

const ViewerContextOptions = { additionalTypenames: ['Organisation', 'User'] };

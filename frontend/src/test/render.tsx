import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { Provider, type Client } from 'urql';
import { fromValue, never } from 'wonka';
import { theme } from '../AppProviders';
import { ViewerProvider, type Viewer } from '../features/auth/viewer';

export const testViewer: Viewer = {
  user: { id: 'u1', email: 'owner@acme.test', displayName: 'Owner', role: 'OWNER' },
  organisation: {
    id: 'o1',
    name: 'Acme',
    slug: 'acme',
    issuer: 'http://127.0.0.1:8080/o/acme',
    forwardAuthURL: 'http://127.0.0.1:8080/o/acme/v1/forward-auth',
    namingPolicy: 'SNAKE_CASE',
    namingGuideline: 'Use lowercase letters, digits and underscores.',
    namingExample: 'read_user_data',
    maxScopesPerClient: 10,
    refreshTokenLifetime: 2592000,
    apiKeyAllowedScopes: [],
  },
};

/** A urql client that answers every operation with `respond(operationName, variables)`. */
export function mockClient(respond: (name: string, variables: Record<string, unknown>) => unknown = () => undefined): Client {
  const exec = (op: { query: { definitions: { name?: { value: string } }[] }; variables: Record<string, unknown> }) => {
    const name = op.query.definitions.find((d) => d.name)?.name?.value ?? '';
    const data = respond(name, op.variables ?? {});
    return data === undefined ? never : fromValue({ operation: op, data, stale: false, hasNext: false });
  };
  return { executeQuery: exec, executeMutation: exec, executeSubscription: exec, query: () => ({ toPromise: async () => ({}) }) } as unknown as Client;
}

export function renderUI(ui: ReactElement, { client = mockClient(), viewer = testViewer }: { client?: Client; viewer?: Viewer } = {}) {
  return render(
    <MantineProvider theme={theme} env="test">
      <Provider value={client}>
        <RouterProvider router={createMemoryRouter([{ path: '*', element: <ViewerProvider value={viewer}>{ui}</ViewerProvider> }])} />
      </Provider>
    </MantineProvider>,
  );
}

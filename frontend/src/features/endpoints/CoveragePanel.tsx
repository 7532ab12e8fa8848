import { Code, List, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from 'urql';
import { graphql } from '../../gql';
import { QueryStates } from '../../components/listing';

const EndpointCoverageDocument = graphql(`
  query EndpointCoverage($apiID: ID!) {
    endpointCoverage(apiID: $apiID) {
      uncategorized {
        id
        method
        path
      }
      unusedScopes {
        id
        name
      }
      unreachable {
        id
        method
        path
      }
    }
  }
`);

const ctx = { additionalTypenames: ['Endpoint', 'Scope', 'Client', 'APIKey'] };

/** How the API's scopes cover its endpoints, so gaps are seen before a client hits them. */
export function CoveragePanel({ apiId }: { apiId: string }) {
  const [result, refetch] = useQuery({ query: EndpointCoverageDocument, variables: { apiID: apiId }, context: ctx });
  const c = result.data?.endpointCoverage;
  const route = (e: { method: string; path: string }) => `${e.method} ${e.path}`;
  const groups = c
    ? [
        { title: 'Uncategorized endpoints', help: 'No scope guards them: only clients and keys that allow uncategorized calls reach them.', items: c.uncategorized.map((e) => ({ id: e.id, label: route(e) })) },
        { title: 'Scopes that guard nothing', help: 'Linked to no endpoint: holding them opens nothing.', items: c.unusedScopes.map((s) => ({ id: s.id, label: s.name })) },
        { title: 'Endpoints nobody can reach', help: 'No enabled client and no live API key holds a scope that opens them.', items: c.unreachable.map((e) => ({ id: e.id, label: route(e) })) },
      ]
    : [];
  return (
    <Paper withBorder p="md" mt="md" component="section" aria-labelledby="coverage-title">
      <Title order={2} size="h4" id="coverage-title" mb="xs">
        Coverage
      </Title>
      <QueryStates result={result} refetch={refetch} loadingLabel="Loading coverage" isEmpty={false} empty={null} />
      {c && groups.every((g) => g.items.length === 0) && <Text size="sm">Every endpoint is guarded and reachable, and every scope guards an endpoint.</Text>}
      <Stack gap="sm">
        {groups
          .filter((g) => g.items.length > 0)
          .map((g) => (
            <div key={g.title}>
              <Title order={3} size="h6">
                {g.title} ({g.items.length})
              </Title>
              <Text size="sm" c="dimmed">
                {g.help}
              </Text>
              <List size="sm" aria-label={g.title}>
                {g.items.map((i) => (
                  <List.Item key={i.id}>
                    <Code>{i.label}</Code>
                  </List.Item>
                ))}
              </List>
            </div>
          ))}
      </Stack>
    </Paper>
  );
}

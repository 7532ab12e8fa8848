import { Anchor, Badge, Code, Group, Paper, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useQuery } from 'urql';
import { graphql } from '../../gql';
import { useViewer } from '../auth/viewer';
import { CopyValue } from '../../components/common';
import { ErrorState, Loading } from '../layout/states';

export const DiscoveryDocumentQuery = graphql(`
  query DiscoveryDocument {
    discoveryDocument
  }
`);

const badgeLimit = 80;
const ctx = { additionalTypenames: ['Scope', 'API', 'Organisation'] };

export function discoveryUrl(issuer: string) {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** A live preview of the discovery document, refreshed whenever scopes change. */
export function DiscoveryPreview({ highlight, height = 480 }: { highlight?: string[]; height?: number }) {
  const { organisation } = useViewer();
  const [{ data, fetching, error }, refetch] = useQuery({ query: DiscoveryDocumentQuery, requestPolicy: 'cache-and-network', context: ctx });
  const url = discoveryUrl(organisation.issuer);
  const doc = data?.discoveryDocument;
  const supported = Array.isArray(doc?.scopes_supported) ? (doc.scopes_supported as string[]) : [];
  return (
    <Paper withBorder p="md" aria-label="Discovery document preview" component="section">
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Title order={2} size="h4">
            Discovery document
          </Title>
          {fetching && data && (
            <Text size="xs" c="dimmed" role="status">
              Updating…
            </Text>
          )}
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Anchor href={url} target="_blank" rel="noreferrer" size="sm" ff="monospace" style={{ wordBreak: 'break-all' }} data-testid="discovery-url">
            {url}
          </Anchor>
          <CopyValue value={url} label="discovery URL" />
        </Group>
        {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {!data && fetching && <Loading label="Loading the discovery document" />}
        {doc && (
          <>
            <div>
              <Text size="sm" fw={500} mb={4}>
                scopes_supported ({supported.length})
              </Text>
              <Group gap={4} data-testid="scopes-supported">
                {supported.length === 0 && (
                  <Text size="sm" c="dimmed">
                    No scope is shown in discovery.
                  </Text>
                )}
                {supported.slice(0, badgeLimit).map((s) => (
                  <Badge key={s} tt="none" variant={highlight?.includes(s) ? 'filled' : 'light'}>
                    {s}
                  </Badge>
                ))}
                {supported.length > badgeLimit && (
                  <Text size="xs" c="dimmed">
                    and {supported.length - badgeLimit} more (see the document below)
                  </Text>
                )}
              </Group>
            </div>
            {/* Focusable, so the document can be scrolled from the keyboard. */}
            <ScrollArea h={height} type="auto" viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Discovery document' }}>
              <Code block data-testid="discovery-json" aria-label="Discovery document JSON" style={{ overflow: 'visible' }}>
                {JSON.stringify(doc, null, 2)}
              </Code>
            </ScrollArea>
          </>
        )}
      </Stack>
    </Paper>
  );
}

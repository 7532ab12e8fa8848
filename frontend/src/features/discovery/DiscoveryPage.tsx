import { Text, Title } from '@mantine/core';
import { DiscoveryPreview } from './DiscoveryPreview';

export function DiscoveryPage() {
  return (
    <>
      <Title order={1} size="h2" mb="xs">
        Discovery
      </Title>
      <Text c="dimmed" mb="md">
        What clients see at the organisation's OpenID configuration. Scopes appear in <code>scopes_supported</code> when &quot;Show in discovery document&quot; is on and they are not deprecated; change that on an API's Scopes or Discovery tab.
      </Text>
      <DiscoveryPreview height={600} />
    </>
  );
}

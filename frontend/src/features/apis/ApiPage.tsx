import { Anchor, Badge, Breadcrumbs, Button, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from 'urql';
import { ApiDocument } from './operations';
import { ApiDialog, type ApiFormValue } from './ApiDialog';
import { ScopesTab } from '../scopes/ScopesTab';
import { EndpointsTab } from '../endpoints/EndpointsTab';
import { CoveragePanel } from '../endpoints/CoveragePanel';
import { ApiDiscoveryTab } from '../discovery/ApiDiscoveryTab';
import { useViewer } from '../auth/viewer';
import { canManage, manageReason } from '../../lib/roles';
import { ReadOnlyNotice, useDialog } from '../../components/common';
import { ErrorState, Loading } from '../layout/states';

const apiContext = { additionalTypenames: ['API'] };
const tabs = ['scopes', 'endpoints', 'discovery', 'details'] as const;

export function ApiPage() {
  const { apiId = '', tab = 'scopes' } = useParams();
  const navigate = useNavigate();
  const { user } = useViewer();
  const manage = canManage(user.role);
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiDocument, variables: { id: apiId }, context: apiContext });
  const edit = useDialog<ApiFormValue>();

  if (error && !data) return <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return fetching ? <Loading label="Loading API" /> : null;
  const api = data.node && data.node.__typename === 'API' ? data.node : null;
  if (!api) {
    return (
      <Stack>
        <Title order={1} size="h2">
          API not found
        </Title>
        <Text c="dimmed">It may have been deleted.</Text>
        <Anchor component={Link} to="/apis">
          Back to APIs
        </Anchor>
      </Stack>
    );
  }
  const current = (tabs as readonly string[]).includes(tab) ? tab : 'scopes';
  const readOnly = !manage || api.builtIn;
  const reason = api.builtIn ? 'This is the built-in API of Scopekeeper: its scopes cannot be changed or deleted.' : manageReason(user.role);

  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/apis" size="sm">
          APIs
        </Anchor>
        <Text size="sm">{api.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" mb="md" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={1} size="h2">
              {api.displayName || api.name}
            </Title>
            {api.builtIn && (
              <Badge variant="light" color="gray">
                Built-in
              </Badge>
            )}
          </Group>
          <Text c="dimmed" size="sm">
            <Text span ff="monospace">
              {api.name}
            </Text>
            {api.basePath && (
              <>
                {' · base path '}
                <Text span ff="monospace">
                  {api.basePath}
                </Text>
              </>
            )}
          </Text>
        </div>
        {!readOnly && (
          <Button variant="default" onClick={() => edit.open(api)}>
            Edit API
          </Button>
        )}
      </Group>
      {readOnly && <ReadOnlyNotice reason={reason} />}
      <Tabs value={current} onChange={(v) => v && navigate(`/apis/${api.id}/${v}`)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="scopes">Scopes</Tabs.Tab>
          <Tabs.Tab value="endpoints">Endpoints</Tabs.Tab>
          <Tabs.Tab value="discovery">Discovery</Tabs.Tab>
          <Tabs.Tab value="details">Details</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="scopes">
          <ScopesTab apiId={api.id} manage={manage} builtInApi={api.builtIn} readOnlyReason={reason} />
        </Tabs.Panel>
        <Tabs.Panel value="endpoints">
          <EndpointsTab api={api} manage={manage && !api.builtIn} />
          {!api.builtIn && <CoveragePanel apiId={api.id} />}
        </Tabs.Panel>
        <Tabs.Panel value="discovery">
          <ApiDiscoveryTab apiId={api.id} manage={manage} readOnlyReason={reason} />
        </Tabs.Panel>
        <Tabs.Panel value="details">
          <Paper withBorder p="md">
            <Stack gap="xs">
              <Detail label="Name" value={api.name} mono />
              <Detail label="Display Name" value={api.displayName} />
              <Detail label="Description" value={api.description} />
              <Detail label="Base path" value={api.basePath} mono />
              <Detail label="Resource identifier" value={api.resourceIdentifier} mono />
              <Detail label="Access token format" value={api.accessTokenFormat === 'JWT' ? `JWT, ${api.jwtLifetime} s` : 'Opaque'} />
              <Detail label="Resource metadata" value={api.resourceMetadataURL} mono />
              <Detail label="Created" value={new Date(api.createdAt).toLocaleString()} />
              <Detail label="Updated" value={new Date(api.updatedAt).toLocaleString()} />
            </Stack>
          </Paper>
        </Tabs.Panel>
      </Tabs>
      <ApiDialog opened={edit.opened} initial={edit.value} onClose={edit.close} />
    </>
  );
}

function Detail({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <Group gap="md" align="flex-start" wrap="nowrap">
      <Text w={140} c="dimmed" size="sm">
        {label}
      </Text>
      <Text size="sm" ff={mono ? 'monospace' : undefined} style={{ overflowWrap: 'anywhere' }}>
        {value || '—'}
      </Text>
    </Group>
  );
}

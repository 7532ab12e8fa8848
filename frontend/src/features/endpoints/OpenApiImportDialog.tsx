import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, List, Modal, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, type CombinedError } from 'urql';
import { ImportOpenApiDocument } from './operations';
import type { ImportOpenApiMutation } from '../../gql/graphql';
import { errorMessage } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';

type Plan = ImportOpenApiMutation['importOpenAPI'];
type PlanEndpoint = Plan['endpoints'][number];

function count(n: number, noun: string) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** What applying the plan would change: new endpoints and scopes, and scopes linked to kept endpoints. */
export function planSummary(plan: Plan) {
  const endpoints = plan.endpoints.filter((e) => e.action === 'ADD').length;
  const scopes = plan.scopes.filter((s) => s.action === 'ADD').length;
  const links = plan.endpoints.filter((e) => e.action === 'KEEP').reduce((n, e) => n + e.addScopes.length, 0);
  const parts = [endpoints && count(endpoints, 'endpoint'), scopes && count(scopes, 'scope'), links && count(links, 'scope link')].filter(Boolean);
  return { changes: endpoints + scopes + links, text: parts.length ? parts.join(', ') : 'nothing' };
}

function EndpointList({ label, items, showAdded }: { label: string; items: PlanEndpoint[]; showAdded?: boolean }) {
  if (items.length === 0) return null;
  return (
    <section aria-label={label}>
      <Title order={3} size="h6" mb={4}>
        {label} ({items.length})
      </Title>
      <List size="sm" spacing={2} aria-label={label}>
        {items.map((e) => (
          <List.Item key={`${e.method} ${e.path}`}>
            <Text span ff="monospace" size="sm">
              {e.method} {e.path}
            </Text>
            {e.action !== 'REMOVE' && (
              <Text span size="sm" c="dimmed">
                {' — '}
                {e.scopes.length ? e.scopes.join(', ') : 'Uncategorized'}
                {showAdded && e.addScopes.length > 0 && ` (links ${e.addScopes.join(', ')})`}
              </Text>
            )}
          </List.Item>
        ))}
      </List>
    </section>
  );
}

function ScopeList({ label, names }: { label: string; names: { name: string; proposed: boolean }[] }) {
  if (names.length === 0) return null;
  return (
    <section aria-label={label}>
      <Title order={3} size="h6" mb={4}>
        {label} ({names.length})
      </Title>
      <Group gap={4}>
        {names.map((s) => (
          <Badge key={s.name} variant="outline" tt="none" title={s.proposed ? 'Proposed from the path (DOTTED naming policy)' : undefined}>
            {s.name}
            {s.proposed ? ' (proposed)' : ''}
          </Badge>
        ))}
      </Group>
    </section>
  );
}

/**
 * Imports an OpenAPI 3.0/3.1 document into the API: a preview (dry run) lists the endpoints and
 * scopes to add, those kept and those the document lacks (never removed), then Apply makes it so.
 */
export function OpenApiImportDialog({ opened, api, onClose }: { opened: boolean; api: { id: string; name: string; basePath: string }; onClose: () => void }) {
  const [text, setText] = useState('');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [state, run] = useMutation(ImportOpenApiDocument);

  useEffect(() => {
    if (opened) {
      setPlan(null);
      setError(null);
    }
  }, [opened]);

  function edit(value: string) {
    setText(value);
    setPlan(null);
  }

  async function submit(dryRun: boolean) {
    setError(null);
    const res = await run({ apiID: api.id, document: text, dryRun }, { additionalTypenames: ['Endpoint', 'Scope'] });
    if (res.error) return setError(res.error);
    const next = res.data?.importOpenAPI ?? null;
    setPlan(next);
    if (next?.applied) notifyDone(`OpenAPI document imported into ${api.name}: ${planSummary(next).text} added`);
  }

  const summary = plan ? planSummary(plan) : null;
  const by = (action: string) => plan?.endpoints.filter((e) => e.action === action) ?? [];
  const scopes = (action: string) => plan?.scopes.filter((s) => s.action === action) ?? [];
  return (
    <Modal opened={opened} onClose={onClose} title="Import OpenAPI" size="xl">
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          Creates the endpoints of an OpenAPI 3.0 or 3.1 document (JSON or YAML) under the base path {api.basePath}, linked to the scopes
          its OAuth2 security requirements name. Nothing changes until you apply the preview; nothing is ever removed.
        </Text>
        <input
          type="file"
          aria-label="OpenAPI document file"
          accept=".yaml,.yml,.json,application/json,application/yaml"
          onChange={async (e) => {
            const file = e.currentTarget.files?.[0];
            if (file) edit(await file.text());
          }}
        />
        <Textarea
          label="OpenAPI document"
          description="Choose a file above or paste the document."
          autosize
          minRows={4}
          maxRows={12}
          value={text}
          onChange={(e) => edit(e.currentTarget.value)}
          spellCheck={false}
          styles={{ input: { fontFamily: 'monospace' } }}
          data-autofocus
        />
        {error && (
          <Alert color="red" role="alert" title="Nothing was changed">
            {errorMessage(error)}
          </Alert>
        )}
        {plan && summary && (
          <Stack gap="sm">
            <Text size="sm" role="status" fw={500}>
              {plan.applied
                ? `Imported: ${summary.text} added.`
                : summary.changes
                  ? `Preview: ${summary.text} to add. Nothing has changed yet.`
                  : 'Nothing to add: the API already has every endpoint and scope of the document.'}
            </Text>
            {plan.notes.length > 0 && (
              <Alert color="yellow" title="Notes">
                <List size="sm">
                  {plan.notes.map((n) => (
                    <List.Item key={n}>{n}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
            <EndpointList label={plan.applied ? 'Endpoints added' : 'Endpoints to add'} items={by('ADD')} />
            <EndpointList label="Endpoints kept" items={by('KEEP')} showAdded />
            <EndpointList label="Endpoints not in the document (not removed)" items={by('REMOVE')} />
            <ScopeList label={plan.applied ? 'Scopes added' : 'Scopes to add'} names={scopes('ADD')} />
            <ScopeList label="Scopes kept" names={scopes('KEEP')} />
            <ScopeList label="Scopes not in the document (not removed)" names={scopes('REMOVE')} />
          </Stack>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button variant={plan && !plan.applied && summary?.changes ? 'light' : 'filled'} onClick={() => submit(true)} loading={state.fetching && !plan} disabled={!text.trim()}>
            Preview import
          </Button>
          {plan && !plan.applied && summary && summary.changes > 0 && (
            <Button onClick={() => submit(false)} loading={state.fetching}>
              Apply import
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}

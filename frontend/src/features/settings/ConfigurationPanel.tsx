import { useState } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useClient, useMutation, type CombinedError } from 'urql';
import { graphql } from '../../gql';
import type { ConfigurationFormat, ImportConfigurationMutation } from '../../gql/graphql';
import { CopyValue } from '../../components/common';
import { ListTable } from '../../components/listing';
import { errorMessage } from '../../lib/errors';
import { notifyDone } from '../../lib/notify';
import { PLAN_PAGE, actionLabel, planSummary } from './plan';

const ExportConfigurationDocument = graphql(`
  query ExportConfiguration($format: ConfigurationFormat!) {
    exportConfiguration(format: $format)
  }
`);

const ImportConfigurationDocument = graphql(`
  mutation ImportConfiguration($document: String!, $dryRun: Boolean!, $prune: Boolean!) {
    importConfiguration(document: $document, dryRun: $dryRun, prune: $prune) {
      applied
      changes {
        action
        kind
        name
        fields
        usedBy
      }
      clientSecrets {
        client
        clientId
        clientSecret
      }
    }
  }
`);

type Plan = ImportConfigurationMutation['importConfiguration'];

const actionColor = { CREATE: 'teal', UPDATE: 'blue', DELETE: 'red' } as const;

/** Why an import failed, in words: a document over the server's body limit gets the way round it. */
function importError(error: CombinedError, size: number): string {
  if (error.response?.status === 413) {
    const mib = (size / (1 << 20)).toLocaleString('en', { maximumFractionDigits: 1 });
    return `The document (${mib} MiB) is larger than this server accepts in one request (its --max-body, 1 MiB unless configured). Import it with the command line, scopekeeper import --org SLUG FILE, or ask for a larger --max-body.`;
  }
  return errorMessage(error);
}

/** Export of the organisation's configuration as one document, and its import as a plan first. */
export function ConfigurationPanel({ slug, canImport }: { slug: string; canImport: boolean }) {
  const client = useClient();
  const [exportNote, setExportNote] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [prune, setPrune] = useState(false);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [state, run] = useMutation(ImportConfigurationDocument);
  const [shown, setShown] = useState(PLAN_PAGE);

  async function download(format: ConfigurationFormat) {
    setExportNote(null);
    setExportError(null);
    const res = await client.query(ExportConfigurationDocument, { format }, { requestPolicy: 'network-only' }).toPromise();
    if (res.error || !res.data) return setExportError(errorMessage(res.error));
    const name = `${slug}-scopekeeper.${format === 'YAML' ? 'yaml' : 'json'}`;
    const url = URL.createObjectURL(new Blob([res.data.exportConfiguration], { type: format === 'YAML' ? 'application/yaml' : 'application/json' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: name });
    a.click();
    URL.revokeObjectURL(url);
    setExportNote(`Downloaded ${name}.`);
    notifyDone(`Configuration exported as ${name}`);
  }

  async function submit(dryRun: boolean) {
    setError(null);
    if (dryRun) setPlan(null);
    const res = await run({ document: text, dryRun, prune }, { additionalTypenames: ['API', 'Scope', 'Endpoint', 'Client', 'Organisation'] });
    if (res.error) return setError(res.error);
    const plan = res.data?.importConfiguration ?? null;
    setPlan(plan);
    setShown(PLAN_PAGE);
    if (plan?.applied) notifyDone(`Configuration imported: ${plan.changes.length} ${plan.changes.length === 1 ? 'change' : 'changes'} applied`);
  }

  const changes = plan?.changes ?? [];
  return (
    <Paper withBorder p="md" maw={720} mt="lg" component="section" aria-labelledby="configuration-title">
      <Title order={2} size="h4" id="configuration-title" mb="xs">
        Configuration as code
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        The organisation's APIs, scopes, endpoints, clients and settings as one document (scopekeeper/v1), by name and without
        secrets: keep it in version control and import it into another organisation.
      </Text>
      <Group>
        <Button variant="light" onClick={() => download('YAML')}>
          Export YAML
        </Button>
        <Button variant="light" onClick={() => download('JSON')}>
          Export JSON
        </Button>
      </Group>
      {exportNote && (
        <Text size="sm" mt="xs" role="status">
          {exportNote}
        </Text>
      )}
      {exportError && (
        <Alert color="red" mt="xs" role="alert">
          {exportError}
        </Alert>
      )}
      {canImport && (
        <Stack mt="md" gap="sm">
          <Title order={3} size="h5">
            Import
          </Title>
          <input
            type="file"
            aria-label="Document file"
            accept=".yaml,.yml,.json,application/json,application/yaml"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              if (file) {
                setText(await file.text());
                setPlan(null);
              }
            }}
          />
          <Textarea
            label="Document"
            description="Choose a file above or paste a scopekeeper/v1 document (YAML or JSON)."
            autosize
            minRows={4}
            maxRows={14}
            value={text}
            onChange={(e) => {
              setText(e.currentTarget.value);
              setPlan(null);
            }}
            styles={{ input: { fontFamily: 'monospace' } }}
          />
          <Checkbox
            label="Delete what the document leaves out"
            description="Without this, an import only adds and changes."
            checked={prune}
            onChange={(e) => {
              setPrune(e.currentTarget.checked);
              setPlan(null);
            }}
          />
          <Group>
            <Button onClick={() => submit(true)} loading={state.fetching && !plan} disabled={!text.trim()}>
              Preview changes
            </Button>
            {plan && !plan.applied && changes.length > 0 && (
              <Button color={changes.some((c) => c.action === 'DELETE') ? 'red' : undefined} onClick={() => submit(false)} loading={state.fetching}>
                Apply {changes.length} {changes.length === 1 ? 'change' : 'changes'}
              </Button>
            )}
          </Group>
          {error && (
            <Alert color="red" role="alert" title="Nothing was changed">
              {importError(error, new Blob([text]).size)}
            </Alert>
          )}
          {plan && changes.length === 0 && (
            <Text size="sm" role="status">
              No changes: the organisation already matches the document.
            </Text>
          )}
          {plan && changes.length > 0 && (
            <>
              <Text size="sm" role="status">
                {plan.applied ? `Applied ${changes.length} ${changes.length === 1 ? 'change' : 'changes'}.` : 'Preview: nothing has changed yet.'}
              </Text>
              <Text size="sm">{planSummary(changes)}</Text>
              <ListTable label="Import plan" columns={['Action', 'Kind', 'Name', 'Details']}>
                {changes.slice(0, shown).map((c, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>
                      <Badge color={actionColor[c.action]} variant="light">
                        {actionLabel[c.action]}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{c.kind}</Table.Td>
                    <Table.Td>{c.name}</Table.Td>
                    <Table.Td>
                      {c.fields.length > 0 && `Changes ${c.fields.join(', ')}`}
                      {c.usedBy.length > 0 && `Used by ${c.usedBy.join(', ')}`}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </ListTable>
              {changes.length > shown && (
                <Group>
                  <Text size="sm">
                    Showing {shown.toLocaleString('en')} of {changes.length.toLocaleString('en')} changes.
                  </Text>
                  <Button variant="light" size="xs" onClick={() => setShown(shown + PLAN_PAGE * 5)}>
                    Show {Math.min(PLAN_PAGE * 5, changes.length - shown).toLocaleString('en')} more
                  </Button>
                </Group>
              )}
            </>
          )}
          {plan?.applied &&
            plan.clientSecrets
              .filter((s) => s.clientSecret)
              .map((s) => (
                <Alert key={s.clientId} color="yellow" title={`Secret of the new client ${s.client}: shown once`}>
                  <CopyValue label={`Client secret of ${s.client}`} value={s.clientSecret ?? ''} />
                </Alert>
              ))}
        </Stack>
      )}
    </Paper>
  );
}

import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Select, Text } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { connectionNodes } from '../../components/listing';
import { ApisDocument } from '../apis/operations';
import { CreateScopeDocument } from '../scopes/operations';
import { ScopeFormFields, emptyScope, validateScope } from '../scopes/ScopeDialog';
import type { PickerScope } from './picker';
import { useViewer } from '../auth/viewer';
import { notifyDone } from '../../lib/notify';

/**
 * "Add Scope" on a client's Scope tab, as the custom-scopes guide has it: Save creates a scope in a
 * chosen API and stages it on the tab, whose one Save assigns it with the tab's other staged changes.
 */
export function AddScopeDialog({ opened, client, onClose, onCreated }: { opened: boolean; client: { id: string; name: string }; onClose: () => void; onCreated: (scope: PickerScope) => void }) {
  const { organisation } = useViewer();
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, null, emptyScope);
  const [apiID, setApiID] = useState<string | null>(null);
  useEffect(() => {
    if (opened) setApiID(null);
  }, [opened]);
  const [{ data }] = useQuery({ query: ApisDocument, variables: { first: 100, where: { builtIn: false } }, pause: !opened });
  const apiNodes = useMemo(() => connectionNodes(data?.apis), [data]);
  const apis = useMemo(() => apiNodes.map((a) => ({ value: a.id, label: a.displayName || a.name })), [apiNodes]);
  const [createState, create] = useMutation(CreateScopeDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const problem = !apiID ? 'Choose the API the scope belongs to.' : validateScope(value, false);
    setFormError(problem);
    if (problem || !apiID) return;
    const ctx = { additionalTypenames: ['Scope', 'API'] };
    const created = await create(
      {
        input: {
          apiID,
          name: value.name.trim(),
          displayName: value.displayName.trim(),
          description: value.description.trim(),
          required: value.required,
          emphasize: value.emphasize,
          showInDiscoveryDocument: value.showInDiscoveryDocument,
        },
      },
      ctx,
    );
    if (created.error || !created.data) return setServerError(created.error ?? null);
    const scope = created.data.createScope;
    const api = apiNodes.find((a) => a.id === apiID);
    onCreated({ ...scope, api: { id: apiID, name: api?.name ?? '', displayName: api?.displayName ?? '' } });
    notifyDone(`Scope ${scope.name} created; Save on the Scope tab assigns it to ${client.name}`);
    onClose();
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="Add Scope" dirty={dirty || apiID !== null} size="lg" onSubmit={submit} busy={createState.fetching}>
      <Text size="sm" c="dimmed">
        Save creates the scope in the API you choose and lists it on the Scope tab of {client.name}; the tab&apos;s Save assigns it.
      </Text>
      <Select label="API" required data={apis} value={apiID} onChange={setApiID} searchable placeholder="Choose an API" />
      <ScopeFormFields
        editing={false}
        value={value}
        onChange={setValue}
        formError={formError}
        serverError={serverError}
        namingGuideline={organisation.namingGuideline}
        namingExample={organisation.namingExample}
      />
    </FormDialog>
  );
}

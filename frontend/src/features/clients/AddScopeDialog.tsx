import { useMemo, useState, type FormEvent } from 'react';
import { Select } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { connectionNodes } from '../../components/listing';
import { ApisDocument } from '../apis/operations';
import { CreateScopeDocument } from '../scopes/operations';
import { ScopeFormFields, emptyScope, validateScope } from '../scopes/ScopeDialog';
import { SetClientScopesDocument } from './operations';
import { useViewer } from '../auth/viewer';
import { notifyDone } from '../../lib/notify';

/**
 * "Add Scope" on a client's Scope tab, as the custom-scopes guide has it: a new scope in a chosen API,
 * assigned to the client by the same Save.
 */
export function AddScopeDialog({ opened, client, assigned, onClose }: { opened: boolean; client: { id: string; name: string }; assigned: string[]; onClose: () => void }) {
  const { organisation } = useViewer();
  const { value, setValue, formError, setFormError, serverError, setServerError } = useDialogFormState(opened, null, emptyScope);
  const [apiID, setApiID] = useState<string | null>(null);
  const [{ data }] = useQuery({ query: ApisDocument, variables: { first: 100, where: { builtIn: false } }, pause: !opened });
  const apis = useMemo(() => connectionNodes(data?.apis).map((a) => ({ value: a.id, label: a.displayName || a.name })), [data]);
  const [createState, create] = useMutation(CreateScopeDocument);
  const [assignState, assign] = useMutation(SetClientScopesDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const problem = !apiID ? 'Choose the API the scope belongs to.' : validateScope(value, false);
    setFormError(problem);
    if (problem || !apiID) return;
    const ctx = { additionalTypenames: ['Scope', 'API', 'Client'] };
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
    const res = await assign({ clientID: client.id, scopeIDs: [...assigned, created.data.createScope.id] }, ctx);
    if (res.error) {
      setFormError(`Scope ${value.name.trim()} was created but not assigned: use Assign scope to choose it.`);
      return setServerError(res.error);
    }
    notifyDone(`Scope ${value.name.trim()} added and assigned to ${client.name}`);
    onClose();
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="Add Scope" size="lg" onSubmit={submit} busy={createState.fetching || assignState.fetching}>
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

import type { FormEvent } from 'react';
import { TextInput, Textarea } from '@mantine/core';
import { useMutation } from 'urql';
import { CreateApiDocument, UpdateApiDocument } from './operations';
import { splitFieldErrors } from '../../lib/errors';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { notifyDone } from '../../lib/notify';

export interface ApiFormValue {
  id?: string;
  name: string;
  displayName: string;
  description: string;
  basePath: string;
}

const empty: ApiFormValue = { name: '', displayName: '', description: '', basePath: '' };
const fields = ['name', 'displayName', 'description', 'basePath'];

export function ApiDialog({ opened, initial, onClose, onSaved }: { opened: boolean; initial: ApiFormValue | null; onClose: () => void; onSaved?: (id: string) => void }) {
  const editing = Boolean(initial?.id);
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, initial, empty);
  const [createState, create] = useMutation(CreateApiDocument);
  const [updateState, update] = useMutation(UpdateApiDocument);

  const { fields: errs, general } = splitFieldErrors(serverError, fields);
  const set = (k: keyof ApiFormValue) => (e: { currentTarget: { value: string } }) => {
    const v = e.currentTarget.value;
    setValue((s) => ({ ...s, [k]: v }));
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    if (!value.name.trim()) {
      setFormError('Enter a name for the API.');
      return;
    }
    if (value.basePath && !value.basePath.startsWith('/')) {
      setFormError('The base path must start with "/", e.g. /forums.');
      return;
    }
    setFormError(null);
    const input = {
      displayName: value.displayName.trim(),
      description: value.description.trim(),
      // An empty base path is "not set": leave it out rather than send "".
      ...(value.basePath.trim() || editing ? { basePath: value.basePath.trim() } : {}),
    };
    const ctx = { additionalTypenames: ['API'] };
    const res = editing
      ? await update({ id: value.id!, input: { name: value.name.trim(), ...input } }, ctx)
      : await create({ input: { name: value.name.trim(), ...input } }, ctx);
    if (res.error) {
      setServerError(res.error);
      return;
    }
    const id = res.data && ('createAPI' in res.data ? res.data.createAPI.id : 'updateAPI' in res.data ? res.data.updateAPI.id : undefined);
    notifyDone(editing ? `API ${value.name.trim()} saved` : `API ${value.name.trim()} created`);
    onClose();
    if (id) onSaved?.(id);
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title={editing ? 'Edit API' : 'Create API'} dirty={dirty} size="lg" onSubmit={submit} busy={createState.fetching || updateState.fetching} error={formError || general}>
      <TextInput label="Name" required value={value.name} onChange={set('name')} error={errs.name} description="A short identifier, e.g. forums." data-autofocus />
      <TextInput label="Display Name" value={value.displayName} onChange={set('displayName')} error={errs.displayName} description="Shown to people, e.g. Forums API." />
      <Textarea label="Description" value={value.description} onChange={set('description')} error={errs.description} autosize minRows={2} />
      <TextInput label="Base path" value={value.basePath} onChange={set('basePath')} error={errs.basePath} description="Every endpoint of the API starts with it, e.g. /forums." />
    </FormDialog>
  );
}

import type { FormEvent } from 'react';
import { NumberInput, Select, TextInput, Textarea } from '@mantine/core';
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
  /** Resource servers: the RFC 8707 identifier ("" or absent: the default), token format and JWT lifetime. */
  identifier?: string | null;
  resourceIdentifier?: string;
  accessTokenFormat?: AccessTokenFormat;
  jwtLifetime?: number | string;
}

type AccessTokenFormat = 'OPAQUE' | 'JWT';

const empty: ApiFormValue = { name: '', displayName: '', description: '', basePath: '', identifier: '', accessTokenFormat: 'OPAQUE', jwtLifetime: 300 };
const fields = ['name', 'displayName', 'description', 'basePath', 'identifier', 'accessTokenFormat', 'jwtLifetime'];
const formats = [
  { value: 'OPAQUE', label: 'Opaque (checked at Scopekeeper)' },
  { value: 'JWT', label: 'JWT (RFC 9068, verifiable offline)' },
];

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
    const identifier = (value.identifier ?? '').trim();
    if (identifier && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]/.test(identifier)) {
      setFormError('The resource identifier must be an absolute URI, e.g. https://api.example.com/forums, or empty for the default.');
      return;
    }
    const lifetime = Number(value.jwtLifetime ?? 300);
    setFormError(null);
    const input = {
      displayName: value.displayName.trim(),
      description: value.description.trim(),
      // An empty base path is "not set": leave it out rather than send "".
      ...(value.basePath.trim() || editing ? { basePath: value.basePath.trim() } : {}),
      // An empty identifier means the default: cleared when editing, left out when creating.
      ...(identifier ? { identifier } : editing ? { clearIdentifier: true } : {}),
      accessTokenFormat: (value.accessTokenFormat ?? 'OPAQUE') as AccessTokenFormat,
      jwtLifetime: Number.isFinite(lifetime) ? Math.round(lifetime) : 0,
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
      <TextInput
        label="Resource identifier"
        value={value.identifier ?? ''}
        onChange={set('identifier')}
        error={errs.identifier}
        placeholder={value.resourceIdentifier}
        description={`The API's RFC 8707 resource and the audience (aud) of its tokens: an absolute URI, unique in the organisation, e.g. https://api.example.com/forums. Empty: ${value.resourceIdentifier || 'the public URL followed by the base path'}.`}
      />
      <Select
        label="Access token format"
        data={formats}
        value={value.accessTokenFormat ?? 'OPAQUE'}
        onChange={(v) => setValue((s) => ({ ...s, accessTokenFormat: (v ?? 'OPAQUE') as AccessTokenFormat }))}
        error={errs.accessTokenFormat}
        allowDeselect={false}
        description="JWT: tokens for this API alone are signed JWTs its servers can check offline; a token that also covers an opaque API stays opaque."
      />
      {value.accessTokenFormat === 'JWT' && (
        <NumberInput
          label="JWT lifetime (seconds)"
          value={value.jwtLifetime ?? 300}
          onChange={(v) => setValue((s) => ({ ...s, jwtLifetime: v }))}
          error={errs.jwtLifetime}
          min={30}
          max={3600}
          clampBehavior="none"
          description="30 to 3600 seconds, e.g. 300. Short, because a JWT checked offline is not seen revoked until it expires."
        />
      )}
    </FormDialog>
  );
}

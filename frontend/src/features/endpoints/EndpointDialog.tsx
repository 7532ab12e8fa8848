import { useMemo, type FormEvent } from 'react';
import { Select, TextInput } from '@mantine/core';
import { useMutation } from 'urql';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { CreateEndpointDocument, UpdateEndpointDocument } from './operations';
import { ScopeMultiSelect, type ScopeRef } from '../scopes/ScopeMultiSelect';
import { splitFieldErrors } from '../../lib/errors';
import type { HttpMethod } from '../../gql/graphql';
import { notifyDone } from '../../lib/notify';

export const methods: HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface EndpointFormValue {
  id?: string;
  method: HttpMethod;
  path: string;
  scopes: ScopeRef[];
}

export function validateEndpoint(v: EndpointFormValue, basePath: string): string | null {
  const path = v.path.trim();
  if (!path) return 'Enter the path of the endpoint.';
  if (!path.startsWith('/')) return 'The path must start with "/".';
  if (basePath && !(path === basePath || path.startsWith(basePath.endsWith('/') ? basePath : `${basePath}/`))) {
    return `The path must start with the API's base path ${basePath}.`;
  }
  const ro = v.scopes.find((s) => s.name.toLowerCase().endsWith('.readonly'));
  if (ro && v.method !== 'GET' && v.method !== 'HEAD') return `${ro.name} is a readonly scope: it can only be linked to GET or HEAD endpoints.`;
  return null;
}

export function EndpointDialog({ opened, api, initial, onClose }: { opened: boolean; api: { id: string; basePath: string }; initial: EndpointFormValue | null; onClose: () => void }) {
  const editing = Boolean(initial?.id);
  const blank = useMemo<EndpointFormValue>(() => ({ method: 'GET', path: api.basePath ? `${api.basePath.replace(/\/$/, '')}/` : '/', scopes: [] }), [api.basePath]);
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, initial, blank);
  const [cs, create] = useMutation(CreateEndpointDocument);
  const [us, update] = useMutation(UpdateEndpointDocument);
  const where = useMemo(() => ({ apiID: api.id }), [api.id]);

  const { fields: errs, general } = splitFieldErrors(serverError, ['method', 'path', 'scopeIDs', 'addScopeIDs']);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const problem = validateEndpoint(value, api.basePath);
    setFormError(problem);
    if (problem) return;
    const ctx = { additionalTypenames: ['Endpoint', 'Scope'] };
    let res;
    if (editing) {
      const before = new Set(initial!.scopes.map((s) => s.id));
      const after = new Set(value.scopes.map((s) => s.id));
      res = await update(
        {
          id: value.id!,
          input: {
            method: value.method,
            path: value.path.trim(),
            addScopeIDs: [...after].filter((id) => !before.has(id)),
            removeScopeIDs: [...before].filter((id) => !after.has(id)),
          },
        },
        ctx,
      );
    } else {
      res = await create({ input: { apiID: api.id, method: value.method, path: value.path.trim(), scopeIDs: value.scopes.map((s) => s.id) } }, ctx);
    }
    if (res.error) setServerError(res.error);
    else {
      notifyDone(editing ? `Endpoint ${value.method} ${value.path.trim()} saved` : `Endpoint ${value.method} ${value.path.trim()} added`);
      onClose();
    }
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title={editing ? 'Edit endpoint' : 'Add endpoint'} dirty={dirty} size="lg" onSubmit={submit} busy={cs.fetching || us.fetching} error={formError || general}>
      <Select label="Method" data={methods} value={value.method} onChange={(m) => m && setValue({ ...value, method: m as HttpMethod })} allowDeselect={false} error={errs.method} />
      <TextInput
        label="Path"
        required
        value={value.path}
        onChange={(e) => setValue({ ...value, path: e.currentTarget.value })}
        error={errs.path}
        description={`Starts with the API's base path${api.basePath ? ` ${api.basePath}` : ''}; templates such as {id} are allowed, e.g. ${api.basePath || ''}/threads/{id}.`}
        data-autofocus
        spellCheck={false}
      />
      <ScopeMultiSelect
        label="Scopes"
        description="A caller may reach this endpoint with any of these scopes. With none, it is uncategorized."
        value={value.scopes}
        onChange={(scopes) => setValue({ ...value, scopes })}
        where={where}
        error={errs.scopeIDs || errs.addScopeIDs}
      />
    </FormDialog>
  );
}

import type { FormEvent } from 'react';
import { Checkbox, Select, Switch, TextInput, Textarea } from '@mantine/core';
import { useMutation } from 'urql';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { CreateClientDocument, UpdateClientDocument } from './operations';
import { splitFieldErrors } from '../../lib/errors';
import type { ClientKind } from '../../gql/graphql';
import { notifyDone } from '../../lib/notify';

export interface ClientFormValue {
  id?: string;
  name: string;
  description: string;
  kind: ClientKind;
  redirectURIs: string;
  postLogoutRedirectURIs: string;
  requirePKCE: boolean;
  refreshTokens: boolean;
  allowUncategorizedRead: boolean;
  allowUncategorizedModify: boolean;
  enabled: boolean;
}

export const emptyClient: ClientFormValue = {
  name: '',
  description: '',
  kind: 'SERVICE',
  redirectURIs: '',
  postLogoutRedirectURIs: '',
  requirePKCE: true,
  refreshTokens: true,
  allowUncategorizedRead: false,
  allowUncategorizedModify: false,
  enabled: true,
};

export const kindOptions = [
  { value: 'SERVICE', label: 'Service (confidential, client credentials)' },
  { value: 'WEB', label: 'Web app (confidential, authorization code + PKCE)' },
  { value: 'BROWSER', label: 'Browser app (public, authorization code + PKCE, no secret)' },
];

export function parseRedirectURIs(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function validateClient(v: ClientFormValue): string | null {
  if (!v.name.trim()) return 'Enter a name for the client.';
  const uris = parseRedirectURIs(v.redirectURIs);
  if (v.kind !== 'SERVICE' && uris.length === 0) return 'Web and browser clients need at least one redirect URI.';
  for (const u of [...uris, ...parseRedirectURIs(v.postLogoutRedirectURIs)]) {
    try {
      new URL(u);
    } catch {
      return `"${u}" is not an absolute URL.`;
    }
  }
  return null;
}

export function ClientDialog({ opened, initial, onClose, onCreated }: { opened: boolean; initial: ClientFormValue | null; onClose: () => void; onCreated?: (r: { id: string; name: string; clientId: string; secret: string | null }) => void }) {
  const editing = Boolean(initial?.id);
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, initial, emptyClient);
  const [cs, create] = useMutation(CreateClientDocument);
  const [us, update] = useMutation(UpdateClientDocument);

  const { fields: errs, general } = splitFieldErrors(serverError, ['name', 'description', 'kind', 'redirectURIs', 'postLogoutRedirectURIs', 'requirePKCE', 'refreshTokens']);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const problem = validateClient(value);
    setFormError(problem);
    if (problem) return;
    const common = {
      name: value.name.trim(),
      description: value.description.trim(),
      redirectURIs: parseRedirectURIs(value.redirectURIs),
      ...(value.kind === 'SERVICE'
        ? {}
        : {
            postLogoutRedirectURIs: parseRedirectURIs(value.postLogoutRedirectURIs),
            requirePKCE: value.kind === 'BROWSER' ? true : value.requirePKCE,
            refreshTokens: value.refreshTokens,
          }),
      allowUncategorizedRead: value.allowUncategorizedRead,
      allowUncategorizedModify: value.allowUncategorizedModify,
    };
    const ctx = { additionalTypenames: ['Client'] };
    if (editing) {
      const res = await update({ id: value.id!, input: { ...common, enabled: value.enabled } }, ctx);
      if (res.error) setServerError(res.error);
      else {
        notifyDone(`Client ${common.name} saved`);
        onClose();
      }
    } else {
      const res = await create({ input: { ...common, kind: value.kind } }, ctx);
      if (res.error || !res.data) {
        setServerError(res.error ?? null);
        return;
      }
      const { client, clientSecret } = res.data.createClient;
      onClose();
      onCreated?.({ id: client.id, name: client.name, clientId: client.clientId, secret: clientSecret ?? null });
    }
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title={editing ? 'Edit client' : 'Create client'} dirty={dirty} size="lg" onSubmit={submit} busy={cs.fetching || us.fetching} error={formError || general}>
      <TextInput label="Name" required value={value.name} onChange={(e) => setValue({ ...value, name: e.currentTarget.value })} error={errs.name} data-autofocus />
      <Textarea label="Description" value={value.description} onChange={(e) => setValue({ ...value, description: e.currentTarget.value })} error={errs.description} autosize minRows={2} description="Shown on the consent screen." />
      <Select
        label="Kind"
        data={kindOptions}
        value={value.kind}
        onChange={(k) => k && setValue({ ...value, kind: k as ClientKind })}
        disabled={editing}
        description={editing ? 'The kind cannot change after creation.' : 'The grant types follow from the kind.'}
        allowDeselect={false}
        error={errs.kind}
      />
      {value.kind !== 'SERVICE' && (
        <Textarea
          label="Redirect URIs"
          required
          value={value.redirectURIs}
          onChange={(e) => setValue({ ...value, redirectURIs: e.currentTarget.value })}
          error={errs.redirectURIs}
          description="One per line; the exact URIs the authorization server may send people back to."
          autosize
          minRows={2}
          placeholder="https://app.example.com/callback"
        />
      )}
      {value.kind !== 'SERVICE' && (
        <>
          <Textarea
            label="Sign-out return URIs"
            value={value.postLogoutRedirectURIs}
            onChange={(e) => setValue({ ...value, postLogoutRedirectURIs: e.currentTarget.value })}
            error={errs.postLogoutRedirectURIs}
            description="One per line; the exact post_logout_redirect_uri values the application may send people back to after signing them out."
            autosize
            minRows={1}
            placeholder="https://app.example.com/signed-out"
          />
          {value.kind === 'WEB' && (
            <Checkbox
              label="Require PKCE"
              description="Authorization requests must carry a code challenge. Turn off only for applications that cannot send one."
              checked={value.requirePKCE}
              onChange={(e) => setValue({ ...value, requirePKCE: e.currentTarget.checked })}
              error={errs.requirePKCE}
            />
          )}
          <Checkbox
            label="Issue refresh tokens"
            description="Sign-ins also return a refresh token; without offline access it ends when the person signs out."
            checked={value.refreshTokens}
            onChange={(e) => setValue({ ...value, refreshTokens: e.currentTarget.checked })}
            error={errs.refreshTokens}
          />
        </>
      )}
      <Checkbox
        label="Allow uncategorized read endpoints"
        description="GET and HEAD endpoints that have no scope."
        checked={value.allowUncategorizedRead}
        onChange={(e) => setValue({ ...value, allowUncategorizedRead: e.currentTarget.checked })}
      />
      <Checkbox
        label="Allow uncategorized modify endpoints"
        description="Endpoints with other methods that have no scope."
        checked={value.allowUncategorizedModify}
        onChange={(e) => setValue({ ...value, allowUncategorizedModify: e.currentTarget.checked })}
      />
      {editing && <Switch label="Enabled" checked={value.enabled} onChange={(e) => setValue({ ...value, enabled: e.currentTarget.checked })} />}
    </FormDialog>
  );
}

import { useState, type FormEvent } from 'react';
import { useLeaveGuard } from '../../components/discard';
import { Alert, Button, Group, NumberInput, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../../gql';
import { useViewer } from '../auth/viewer';
import { canManage, isOwner, namingHelp, ownerReason } from '../../lib/roles';
import { CopyValue, ReadOnlyNotice } from '../../components/common';
import { ScopeMultiSelect, type ScopeRef } from '../scopes/ScopeMultiSelect';
import { splitFieldErrors } from '../../lib/errors';
import type { NamingPolicy } from '../../gql/graphql';
import { discoveryUrl } from '../discovery/DiscoveryPreview';
import { SigningKeys } from './SigningKeys';
import { ConfigurationPanel } from './ConfigurationPanel';

const UpdateOrganisationDocument = graphql(`
  mutation UpdateOrganisation($input: UpdateOrganisationInput!) {
    updateOrganisation(input: $input) {
      id
      name
      maxScopesPerClient
      refreshTokenLifetime
      namingPolicy
      namingGuideline
      namingExample
      apiKeyAllowedScopes {
        id
        name
        displayName
        description
      }
    }
  }
`);

export const policyOptions = [
  { value: 'FREE', label: 'Free: any valid scope token without spaces' },
  { value: 'SNAKE_CASE', label: 'snake_case: lowercase letters, digits and underscores (read_user_data)' },
  { value: 'DOTTED', label: 'Dotted: group.entity.readonly or .modify (forums.threads.readonly)' },
];

export function SettingsPage() {
  const { user, organisation } = useViewer();
  const owner = isOwner(user.role);
  const [name, setName] = useState(organisation.name);
  const [max, setMax] = useState<number | string>(organisation.maxScopesPerClient);
  const [refreshDays, setRefreshDays] = useState<number | string>(organisation.refreshTokenLifetime / 86400);
  const [policy, setPolicy] = useState<NamingPolicy>(organisation.namingPolicy);
  const [keyScopes, setKeyScopes] = useState<ScopeRef[]>((organisation.apiKeyAllowedScopes ?? []).map((s) => ({ id: s.id, name: s.name })));
  const [formError, setFormError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<CombinedError | null>(null);
  const [saved, setSaved] = useState(false);
  const [state, update] = useMutation(UpdateOrganisationDocument);
  const { fields: errs, general } = splitFieldErrors(serverError, ['name', 'maxScopesPerClient', 'refreshTokenLifetime', 'namingPolicy', 'apiKeyAllowedScopeIDs']);
  // What the form showed when loaded or last saved: leaving with other values asks first.
  const current = JSON.stringify([name, String(max), String(refreshDays), policy, keyScopes.map((s) => s.id)]);
  const [baseline, setBaseline] = useState(current);
  const leaveGuard = useLeaveGuard(owner && current !== baseline, 'The organisation settings you changed are not saved yet.');

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    setServerError(null);
    const n = Number(max);
    if (!name.trim()) return setFormError('Enter the organisation name.');
    if (!Number.isInteger(n) || n < 1) return setFormError('Scopes per client must be a whole number of at least 1.');
    const lifetime = Math.round(Number(refreshDays) * 86400);
    if (!Number.isFinite(lifetime) || lifetime < 300) return setFormError('Refresh token lifetime must be a number of days, e.g. 30.');
    setFormError(null);
    const res = await update({ input: { name: name.trim(), maxScopesPerClient: n, refreshTokenLifetime: lifetime, namingPolicy: policy, apiKeyAllowedScopeIDs: keyScopes.map((s) => s.id) } }, { additionalTypenames: ['Organisation'] });
    if (res.error) setServerError(res.error);
    else {
      setSaved(true);
      setBaseline(current);
    }
  }

  return (
    <>
      {leaveGuard}
      <Title order={1} size="h2" mb="md">
        Organisation settings
      </Title>
      {!owner && <ReadOnlyNotice reason={ownerReason} />}
      <Paper withBorder p="md" maw={720}>
        <form onSubmit={submit} noValidate aria-label="Organisation settings">
          <Stack>
            {(formError || general) && (
              <Alert color="red" role="alert">
                {formError || general}
              </Alert>
            )}
            {saved && (
              <Alert color="teal" role="status">
                Settings saved.
              </Alert>
            )}
            <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={!owner} error={errs.name} required />
            <TextInput label="Slug" value={organisation.slug} readOnly variant="filled" description="Part of the issuer URL; it cannot change." />
            <TextInput
              label="Issuer"
              value={organisation.issuer}
              readOnly
              variant="filled"
              description={`Discovery: ${discoveryUrl(organisation.issuer)}`}
              rightSection={<CopyValue value={organisation.issuer} label="issuer" />}
              rightSectionWidth={80}
            />
            <TextInput
              label="Forward auth URL"
              value={organisation.forwardAuthURL}
              readOnly
              variant="filled"
              description="For gateways (NGINX auth_request, Traefik ForwardAuth, Caddy forward_auth, Envoy ext_authz): it answers 200 only for requests the credential may make."
              rightSection={<CopyValue value={organisation.forwardAuthURL} label="forward auth URL" />}
              rightSectionWidth={80}
            />
            <Select
              label="Scope naming policy"
              data={policyOptions}
              value={policy}
              onChange={(v) => v && setPolicy(v as NamingPolicy)}
              disabled={!owner}
              allowDeselect={false}
              error={errs.namingPolicy}
              description={`Applies to new scope names. Now: ${namingHelp(organisation.namingGuideline, organisation.namingExample)}`}
            />
            <NumberInput
              label="Scopes per client"
              value={max}
              onChange={setMax}
              min={1}
              max={1000}
              allowDecimal={false}
              clampBehavior="none"
              disabled={!owner}
              error={errs.maxScopesPerClient}
              description="The most scopes a client may hold; required scopes don't count."
            />
            <NumberInput
              label="Refresh token lifetime (days)"
              value={refreshDays}
              onChange={setRefreshDays}
              min={0.01}
              max={366}
              decimalScale={3}
              clampBehavior="none"
              disabled={!owner}
              error={errs.refreshTokenLifetime}
              description="How long a refresh token lasts after it is issued; each use issues a new one. 30 days by default."
            />
            <ScopeMultiSelect
              label="Scopes API keys may hold"
              description="Narrowing this takes effect at once for every key."
              value={keyScopes}
              onChange={setKeyScopes}
              disabled={!owner}
              error={errs.apiKeyAllowedScopeIDs}
            />
            {owner && (
              <Group justify="flex-end">
                <Button type="submit" loading={state.fetching}>
                  Save
                </Button>
              </Group>
            )}
            {!owner && (
              <Text size="sm" c="dimmed">
                {ownerReason}
              </Text>
            )}
          </Stack>
        </form>
      </Paper>
      <SigningKeys issuer={organisation.issuer} owner={owner} />
      <ConfigurationPanel slug={organisation.slug} canImport={canManage(user.role)} />
    </>
  );
}

import type { FormEvent } from 'react';
import { Alert, Checkbox, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation, type CombinedError } from 'urql';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { CreateScopeDocument, UpdateScopeDocument } from './operations';
import { splitFieldErrors } from '../../lib/errors';
import { useViewer } from '../auth/viewer';
import { namingHelp } from '../../lib/roles';
import { notifyDone } from '../../lib/notify';
import { ReplacementSelect, type ScopeRef } from '../deprecation/ReplacementSelect';
import { fromLocalInput, toLocalInput } from '../deprecation/lifecycle';

export interface ScopeFormValue {
  id?: string;
  name: string;
  displayName: string;
  description: string;
  required: boolean;
  emphasize: boolean;
  showInDiscoveryDocument: boolean;
  deprecated?: boolean;
  /** Deprecation lifecycle: the replacement and the sunset (RFC 3339), only while deprecated. */
  replacedBy?: ScopeRef | null;
  sunsetAt?: string | null;
}

export const emptyScope: ScopeFormValue = {
  name: '',
  displayName: '',
  description: '',
  required: false,
  emphasize: false,
  showInDiscoveryDocument: true,
};

const formFields = ['name', 'displayName', 'description', 'required', 'emphasize', 'showInDiscoveryDocument', 'deprecated', 'replacedByID', 'sunsetAt'];

export interface ScopeFormProps {
  editing: boolean;
  value: ScopeFormValue;
  onChange: (v: ScopeFormValue) => void;
  formError: string | null;
  serverError: CombinedError | null;
  namingGuideline: string;
  namingExample: string;
}

/** The fields of the "API Scope" dialog; presentational so it can be unit-tested. */
export function ScopeFormFields({ editing, value, onChange, formError, serverError, namingGuideline, namingExample }: ScopeFormProps) {
  const { fields: errs, general } = splitFieldErrors(serverError, formFields);
  const setText = (k: 'name' | 'displayName' | 'description') => (e: { currentTarget: { value: string } }) => onChange({ ...value, [k]: e.currentTarget.value });
  const setBool = (k: 'required' | 'emphasize' | 'showInDiscoveryDocument' | 'deprecated') => (e: { currentTarget: { checked: boolean } }) =>
    onChange({ ...value, [k]: e.currentTarget.checked });
  const topError = formError || general;
  return (
    <Stack>
      {topError && (
        <Alert color="red" role="alert" title="The scope was not saved" data-testid="scope-form-error">
          {topError}
        </Alert>
      )}
      <TextInput
        label="Name"
        required={!editing}
        readOnly={editing}
        value={value.name}
        onChange={setText('name')}
        error={errs.name}
        description={editing ? 'A scope name never changes after creation.' : namingHelp(namingGuideline, namingExample)}
        placeholder={editing ? undefined : namingExample}
        data-autofocus={editing ? undefined : true}
        autoComplete="off"
        spellCheck={false}
      />
      <TextInput
        label="Display Name"
        value={value.displayName}
        onChange={setText('displayName')}
        error={errs.displayName}
        description="Clear and concise, with proper capitalisation, e.g. Read User Data."
        data-autofocus={editing ? true : undefined}
      />
      <Textarea
        label="Description"
        value={value.description}
        onChange={setText('description')}
        error={errs.description}
        description="What access the scope grants, e.g. Allows reading basic user information."
        autosize
        minRows={2}
      />
      <Checkbox label="Required" description="Granted with every token for another scope of this API; cannot be removed on the consent screen." checked={value.required} onChange={setBool('required')} error={errs.required} />
      <Checkbox label="Emphasize" description="Highlight this scope on consent screens." checked={value.emphasize} onChange={setBool('emphasize')} error={errs.emphasize} />
      <Checkbox
        label="Show in discovery document"
        description="List it in scopes_supported of the discovery document."
        checked={value.showInDiscoveryDocument}
        onChange={setBool('showInDiscoveryDocument')}
        error={errs.showInDiscoveryDocument}
      />
      {editing && (
        <Checkbox
          label="Deprecated"
          description="Keeps working where it is assigned, cannot be newly assigned, and leaves the discovery document."
          checked={Boolean(value.deprecated)}
          onChange={setBool('deprecated')}
          error={errs.deprecated}
        />
      )}
      {editing && value.deprecated && (
        <>
          <ReplacementSelect scopeId={value.id!} value={value.replacedBy ?? null} onChange={(r) => onChange({ ...value, replacedBy: r })} error={errs.replacedByID} />
          <TextInput
            type="datetime-local"
            label="Sunset"
            description="From this time on the scope is granted nowhere: not in new tokens, not at introspection, not at the access check. Leave empty to keep it working where assigned."
            value={toLocalInput(value.sunsetAt)}
            onChange={(e) => onChange({ ...value, sunsetAt: fromLocalInput(e.currentTarget.value) })}
            error={errs.sunsetAt}
          />
        </>
      )}
    </Stack>
  );
}

/** The replacement and sunset of a deprecated scope as updateScope takes them: set, or cleared. */
export function lifecycleInput(value: ScopeFormValue) {
  return {
    ...(value.replacedBy ? { replacedByID: value.replacedBy.id } : { clearReplacedBy: true }),
    ...(value.sunsetAt ? { sunsetAt: value.sunsetAt } : { clearSunsetAt: true }),
  };
}

export function validateScope(value: ScopeFormValue, editing: boolean): string | null {
  if (!editing && !value.name.trim()) return 'Name is required. Enter a unique name for the scope.';
  if (!editing && /\s/.test(value.name.trim())) return 'A scope name cannot contain spaces.';
  return null;
}

export function ScopeDialog({ opened, apiId, initial, onClose }: { opened: boolean; apiId: string; initial: ScopeFormValue | null; onClose: () => void }) {
  const { organisation } = useViewer();
  const editing = Boolean(initial?.id);
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, initial, emptyScope);
  const [createState, create] = useMutation(CreateScopeDocument);
  const [updateState, update] = useMutation(UpdateScopeDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const problem = validateScope(value, editing);
    setFormError(problem);
    if (problem) return;
    const common = {
      displayName: value.displayName.trim(),
      description: value.description.trim(),
      required: value.required,
      emphasize: value.emphasize,
      showInDiscoveryDocument: value.showInDiscoveryDocument,
    };
    const ctx = { additionalTypenames: ['Scope', 'API'] };
    const res = editing
      ? await update({ id: value.id!, input: { ...common, deprecated: Boolean(value.deprecated), ...(value.deprecated ? lifecycleInput(value) : {}) } }, ctx)
      : await create({ input: { ...common, name: value.name.trim(), apiID: apiId } }, ctx);
    if (res.error) {
      setServerError(res.error);
      return;
    }
    notifyDone(editing ? `Scope ${value.name} saved` : `Scope ${value.name.trim()} added`);
    onClose();
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="API Scope" dirty={dirty} size="lg" onSubmit={submit} busy={createState.fetching || updateState.fetching}>
      <ScopeFormFields
        editing={editing}
        value={value}
        onChange={setValue}
        formError={formError}
        serverError={serverError}
        namingGuideline={organisation.namingGuideline}
        namingExample={organisation.namingExample}
      />
      {!editing && (
        <Text size="xs" c="dimmed">
          Naming policy: {organisation.namingPolicy.replace('_', ' ').toLowerCase()}.
        </Text>
      )}
    </FormDialog>
  );
}

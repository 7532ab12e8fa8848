import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Paper, PasswordInput, Select, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { graphql } from '../../gql';
import { useViewer } from '../auth/viewer';
import { isOwner, ownerReason, roleLabels } from '../../lib/roles';
import { ConnectionPager } from '../../lib/paging';
import { ConfirmDialog, ReadOnlyNotice } from '../../components/common';
import { FormDialog, useDialogFormState } from '../../components/forms';
import { ListTable, PageHeader, QueryStates, SearchInput, connectionNodes, useConfirmAction, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { errorMessage, splitFieldErrors } from '../../lib/errors';
import type { Role } from '../../gql/graphql';
import { notifyDone } from '../../lib/notify';

const UsersDocument = graphql(`
  query Users($first: Int, $after: Cursor, $where: UserWhereInput) {
    users(first: $first, after: $after, where: $where, orderBy: { field: EMAIL, direction: ASC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          email
          displayName
          preferredUsername
          emailVerified
          role
          createdAt
        }
      }
    }
  }
`);

const CreateUserDocument = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      email
      displayName
      role
    }
  }
`);

const UpdateUserRoleDocument = graphql(`
  mutation UpdateUserRole($id: ID!, $role: Role!) {
    updateUser(id: $id, input: { role: $role }) {
      id
      role
    }
  }
`);

const SetEmailVerifiedDocument = graphql(`
  mutation SetEmailVerified($id: ID!, $verified: Boolean!) {
    updateUser(id: $id, input: { emailVerified: $verified }) {
      id
      emailVerified
    }
  }
`);

const SetPreferredUsernameDocument = graphql(`
  mutation SetPreferredUsername($id: ID!, $username: String!) {
    updateUser(id: $id, input: { preferredUsername: $username }) {
      id
      preferredUsername
    }
  }
`);

const SetUserPasswordDocument = graphql(`
  mutation SetUserPassword($id: ID!, $password: String!) {
    setUserPassword(id: $id, password: $password) {
      id
    }
  }
`);

const DeleteUserDocument = graphql(`
  mutation DeleteUser($id: ID!) {
    deleteUser(id: $id)
  }
`);

const ctx = { additionalTypenames: ['User'] };
export const roleOptions = (Object.keys(roleLabels) as Role[]).map((r) => ({ value: r, label: roleLabels[r] }));

export function UsersPage() {
  const { user } = useViewer();
  const owner = isOwner(user.role);
  const { search, debounced, setSearch, pager } = useListControls();
  const variables = useMemo(() => ({ first: pager.first, after: pager.after, where: debounced ? { emailContainsFold: debounced } : undefined }), [pager.first, pager.after, debounced]);
  const [result, refetch] = useQuery({ query: UsersDocument, variables, context: ctx });
  const [creating, setCreating] = useState(false);
  const [settingPassword, setSettingPassword] = useState<{ id: string; email: string } | null>(null);
  const [passwordSetFor, setPasswordSetFor] = useState<string | null>(null);
  const [roleState, updateRole] = useMutation(UpdateUserRoleDocument);
  // A role change takes effect at once, so it is confirmed in a dialog rather than saved by the select.
  const roleChange = useConfirmAction<{ id: string; email: string; from: Role; to: Role }>();
  const [, setVerified] = useMutation(SetEmailVerifiedDocument);
  const [, setUsername] = useMutation(SetPreferredUsernameDocument);
  const [delState, deleteUser] = useMutation(DeleteUserDocument);
  // The deletion's error: shown above the table and in the dialog.
  const del = useConfirmAction<{ id: string; email: string }>();
  const { error: actionError, setError: setActionError } = del;
  const { data } = result;
  const users = connectionNodes(data?.users);

  return (
    <>
      <PageHeader title="Users" action={owner && <Button onClick={() => setCreating(true)}>Create user</Button>} />
      {!owner && <ReadOnlyNotice reason={ownerReason} />}
      <Paper withBorder p="md">
        <SearchInput label="Search users" placeholder="Email contains…" value={search} onChange={setSearch} w={280} mb="sm" />
        {passwordSetFor && (
          <Alert color="teal" role="status" mb="sm" withCloseButton closeButtonLabel="Dismiss" onClose={() => setPasswordSetFor(null)}>
            Password set for {passwordSetFor}. They were signed out everywhere.
          </Alert>
        )}
        {actionError && (
          <Alert color="red" role="alert" mb="sm">
            {actionError}
          </Alert>
        )}
        <QueryStates result={result} refetch={refetch} loadingLabel="Loading users" isEmpty={users.length === 0} empty={<EmptyState title="No users match" />} />
        {users.length > 0 && (
          <ListTable label="Users" columns={['Email', 'Email verified', 'Display name', 'Username', 'Role', 'Created', owner && 'Actions']}>
            {users.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>
                  {owner ? (
                    <Checkbox
                      aria-label={`Email of ${u.email} verified`}
                      checked={u.emailVerified}
                      onChange={async (e) => {
                        setActionError(null);
                        const verified = e.currentTarget.checked;
                        const res = await setVerified({ id: u.id, verified }, ctx);
                        if (res.error) setActionError(errorMessage(res.error));
                        else notifyDone(`Email of ${u.email} marked ${verified ? 'verified' : 'not verified'}`);
                      }}
                    />
                  ) : u.emailVerified ? (
                    'Yes'
                  ) : (
                    'No'
                  )}
                </Table.Td>
                <Table.Td>{u.displayName || '—'}</Table.Td>
                <Table.Td>
                  {owner ? (
                    <TextInput
                      aria-label={`Username of ${u.email}`}
                      size="xs"
                      w={140}
                      defaultValue={u.preferredUsername}
                      placeholder="the email"
                      onBlur={async (e) => {
                        const v = e.currentTarget.value.trim();
                        if (v === u.preferredUsername) return;
                        setActionError(null);
                        const res = await setUsername({ id: u.id, username: v }, ctx);
                        if (res.error) setActionError(errorMessage(res.error));
                        else notifyDone(`Username of ${u.email} saved`);
                      }}
                    />
                  ) : (
                    u.preferredUsername || '—'
                  )}
                </Table.Td>
                <Table.Td>
                  {owner && u.id !== user.id ? (
                    <Select
                      aria-label={`Role of ${u.email}`}
                      size="xs"
                      w={160}
                      data={roleOptions}
                      value={u.role}
                      allowDeselect={false}
                      onChange={(v) => {
                        if (v && v !== u.role) roleChange.open({ id: u.id, email: u.email, from: u.role, to: v as Role });
                      }}
                    />
                  ) : (
                    <Badge variant="light">{roleLabels[u.role]}</Badge>
                  )}
                </Table.Td>
                <Table.Td>{new Date(u.createdAt).toLocaleString()}</Table.Td>
                {owner && (
                  <Table.Td>
                    {u.id === user.id ? (
                      <Text size="xs" c="dimmed">
                        You
                      </Text>
                    ) : (
                      <Group gap="xs" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="light"
                          aria-label={`Set password for ${u.email}`}
                          onClick={() => {
                            setPasswordSetFor(null);
                            setSettingPassword({ id: u.id, email: u.email });
                          }}
                        >
                          Set password
                        </Button>
                        <Button size="xs" variant="light" color="red" aria-label={`Delete ${u.email}`} onClick={() => del.open(u)}>
                          Delete
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </ListTable>
        )}
        {data && <ConnectionPager pager={pager} connection={data.users} shown={users.length} noun="users" />}
      </Paper>
      <CreateUserDialog opened={creating} onClose={() => setCreating(false)} />
      <SetPasswordDialog user={settingPassword} onClose={() => setSettingPassword(null)} onSaved={(email) => setPasswordSetFor(email)} />
      <ConfirmDialog
        opened={del.opened}
        title="Delete user"
        confirmLabel={`Delete ${del.value?.email ?? ''}`}
        busy={delState.fetching}
        error={actionError}
        onClose={del.close}
        onConfirm={async () => del.settle(await deleteUser({ id: del.value!.id }, ctx), `User ${del.value!.email} deleted`)}
      >
        <Text>
          Delete <b>{del.value?.email}</b>? They can no longer sign in; their API keys stop working.
        </Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={roleChange.opened}
        title="Change role"
        confirmLabel={`Change role of ${roleChange.value?.email ?? ''}`}
        color="indigo"
        busy={roleState.fetching}
        error={roleChange.error}
        onClose={roleChange.close}
        onConfirm={async () => {
          const c = roleChange.value!;
          roleChange.settle(await updateRole({ id: c.id, role: c.to }, ctx), `${c.email} is now ${roleLabels[c.to]}`);
        }}
      >
        {roleChange.value && (
          <Text>
            Change <b>{roleChange.value.email}</b> from {roleLabels[roleChange.value.from]} to <b>{roleLabels[roleChange.value.to]}</b>? It applies at their next request.
          </Text>
        )}
      </ConfirmDialog>
    </>
  );
}

function CreateUserDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [formError, setFormError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<CombinedError | null>(null);
  const [state, create] = useMutation(CreateUserDocument);

  useEffect(() => {
    if (opened) {
      setEmail('');
      setDisplayName('');
      setPassword('');
      setRole('VIEWER');
      setFormError(null);
      setServerError(null);
    }
  }, [opened]);

  const { fields: errs, general } = splitFieldErrors(serverError, ['email', 'displayName', 'password', 'role']);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    if (!email.trim() || !password) return setFormError('Enter an email and a password.');
    if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) return setFormError('Enter a valid email address.');
    setFormError(null);
    const res = await create({ input: { email: email.trim(), displayName: displayName.trim() || undefined, password, role } }, ctx);
    if (res.error) setServerError(res.error);
    else {
      notifyDone(`User ${email.trim()} created`);
      onClose();
    }
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="Create user" dirty={Boolean(email || displayName || password || role !== 'VIEWER')} onSubmit={submit} busy={state.fetching} error={formError || general}>
      <TextInput label="Email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errs.email} data-autofocus />
      <TextInput label="Display name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} error={errs.displayName} />
      <PasswordInput label="Password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errs.password} autoComplete="new-password" />
      <Select label="Role" data={roleOptions} value={role} onChange={(v) => v && setRole(v as Role)} allowDeselect={false} error={errs.role} />
    </FormDialog>
  );
}

const noPassword = { password: '' };

/** An owner sets another user's password; that user's sessions end. */
function SetPasswordDialog({ user, onClose, onSaved }: { user: { id: string; email: string } | null; onClose: () => void; onSaved: (email: string) => void }) {
  const opened = user !== null;
  // Keep the email on screen while the dialog animates closed.
  const last = useRef(user);
  if (user) last.current = user;
  const { value, setValue, formError, setFormError, serverError, setServerError, dirty } = useDialogFormState(opened, null, noPassword);
  const [state, setPassword] = useMutation(SetUserPasswordDocument);
  const { fields: errs, general } = splitFieldErrors(serverError, ['password']);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!user) return;
    setServerError(null);
    if (!value.password) return setFormError('Enter a new password.');
    setFormError(null);
    const res = await setPassword({ id: user.id, password: value.password });
    if (res.error) return setServerError(res.error);
    onClose();
    onSaved(user.email);
  }

  return (
    <FormDialog opened={opened} onClose={onClose} title="Set password" dirty={dirty} onSubmit={submit} busy={state.fetching} error={formError || general}>
      <Text size="sm">
        Set a new password for <b>{last.current?.email}</b>. They are signed out everywhere and sign in again with it.
      </Text>
      <PasswordInput
        label="New password"
        required
        value={value.password}
        onChange={(e) => setValue({ password: e.currentTarget.value })}
        error={errs.password}
        // Mantine's PasswordInput marks errors with data-invalid only; tell assistive tech too.
        aria-invalid={Boolean(errs.password)}
        description="At least 12 characters, hard to guess: e.g. three or four unrelated words."
        autoComplete="new-password"
        data-autofocus
      />
    </FormDialog>
  );
}

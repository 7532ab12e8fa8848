import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Group, Modal, Paper, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { graphql } from '../../gql';
import { useViewer } from '../auth/viewer';
import { isOwner, ownerReason, roleLabels } from '../../lib/roles';
import { PagerControls, useCursorPager } from '../../lib/paging';
import { useDebounced } from '../../lib/useDebounced';
import { ConfirmDialog, ReadOnlyNotice, useDialog } from '../../components/common';
import { EmptyState, ErrorState, Loading } from '../layout/states';
import { errorMessage, splitFieldErrors } from '../../lib/errors';
import type { Role } from '../../gql/graphql';

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
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search);
  const pager = useCursorPager(25);
  const variables = useMemo(() => ({ first: pager.first, after: pager.after, where: debounced ? { emailContainsFold: debounced } : undefined }), [pager.first, pager.after, debounced]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: UsersDocument, variables, context: ctx });
  const [creating, setCreating] = useState(false);
  const [, updateRole] = useMutation(UpdateUserRoleDocument);
  const [delState, deleteUser] = useMutation(DeleteUserDocument);
  const del = useDialog<{ id: string; email: string }>();
  const [actionError, setActionError] = useState<string | null>(null);
  const users = data?.users.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={1} size="h2">
          Users
        </Title>
        {owner && <Button onClick={() => setCreating(true)}>Create user</Button>}
      </Group>
      {!owner && <ReadOnlyNotice reason={ownerReason} />}
      <Paper withBorder p="md">
        <TextInput
          label="Search users"
          placeholder="Email contains…"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            pager.reset();
          }}
          w={280}
          mb="sm"
        />
        {actionError && (
          <Alert color="red" role="alert" mb="sm">
            {actionError}
          </Alert>
        )}
        {error && !data && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
        {!data && fetching && <Loading label="Loading users" />}
        {data && users.length === 0 && <EmptyState title="No users match" />}
        {users.length > 0 && (
          <Table striped aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Display name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Created</Table.Th>
                {owner && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>{u.email}</Table.Td>
                  <Table.Td>{u.displayName || '—'}</Table.Td>
                  <Table.Td>
                    {owner && u.id !== user.id ? (
                      <Select
                        aria-label={`Role of ${u.email}`}
                        size="xs"
                        w={160}
                        data={roleOptions}
                        value={u.role}
                        allowDeselect={false}
                        onChange={async (v) => {
                          if (!v || v === u.role) return;
                          setActionError(null);
                          const res = await updateRole({ id: u.id, role: v as Role }, ctx);
                          if (res.error) setActionError(errorMessage(res.error));
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
                        <Button size="xs" variant="light" color="red" aria-label={`Delete ${u.email}`} onClick={() => { setActionError(null); del.open(u); }}>
                          Delete
                        </Button>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {data && <PagerControls pager={pager} totalCount={data.users.totalCount} shown={users.length} hasNextPage={data.users.pageInfo.hasNextPage} endCursor={data.users.pageInfo.endCursor} noun="users" />}
      </Paper>
      <CreateUserDialog opened={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        opened={del.opened}
        title="Delete user"
        confirmLabel="Delete"
        busy={delState.fetching}
        error={actionError}
        onClose={del.close}
        onConfirm={async () => {
          const res = await deleteUser({ id: del.value!.id }, ctx);
          if (res.error) setActionError(errorMessage(res.error));
          else del.close();
        }}
      >
        <Text>
          Delete <b>{del.value?.email}</b>? They can no longer sign in; their API keys stop working.
        </Text>
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
    else onClose();
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Create user">
      <form onSubmit={submit} noValidate aria-label="Create user">
        <Stack>
          {(formError || general) && (
            <Alert color="red" role="alert">
              {formError || general}
            </Alert>
          )}
          <TextInput label="Email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errs.email} data-autofocus />
          <TextInput label="Display name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} error={errs.displayName} />
          <PasswordInput label="Password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={errs.password} autoComplete="new-password" />
          <Select label="Role" data={roleOptions} value={role} onChange={(v) => v && setRole(v as Role)} allowDeselect={false} error={errs.role} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={state.fetching}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

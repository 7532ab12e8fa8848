import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Button, Checkbox, Divider, Group, Modal, Paper, ScrollArea, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useClient, useMutation, useQuery, type CombinedError } from 'urql';
import { PickerScopesDocument, SetClientScopesDocument } from './operations';
import { countTowardsLimit, describeChange, groupScopes, groupState, toggleGroup, toggleScope, type PickerScope, type Selection } from './picker';
import { ConnectionPager } from '../../lib/paging';
import { RemoveIcon } from '../../components/common';
import { useCloseGuard } from '../../components/discard';
import { QueryStates, SearchInput, connectionNodes, useListControls } from '../../components/listing';
import { errorMessage, hasCode } from '../../lib/errors';
import { useViewer } from '../auth/viewer';
import { notifyDone } from '../../lib/notify';

interface Props {
  opened: boolean;
  /** The client, with the scopes the picker starts from (its Scope tab's staged set). */
  client: { id: string; name: string; scopes?: PickerScope[] | null } | null;
  /** The scopes assigned now, when they differ from client.scopes: Save says what it changes against these. */
  saved?: PickerScope[];
  onClose: () => void;
  onSaved?: () => void;
}

export function AssignScopeDialog({ opened, client, saved, onClose, onSaved }: Props) {
  // Two columns of scopes do not fit a phone: there the dialog takes the whole screen.
  const phone = useMediaQuery('(max-width: 48em)');
  // Escape, ✕, Close and a click outside ask before dropping a selection that was not saved.
  const [dirty, setDirty] = useState(false);
  const close = () => {
    setDirty(false);
    onClose();
  };
  const guard = useCloseGuard(opened, dirty, close, <>The scopes you chose for {client?.name} are not saved yet.</>);
  return (
    <>
      <Modal opened={opened} onClose={guard.requestClose} title={client ? `Assign scope: ${client.name}` : 'Assign scope'} size={1040} fullScreen={phone} closeOnEscape={false}>
        {client && (
          <AssignScopeBody
            key={client.id}
            client={client}
            saved={saved ?? client.scopes ?? []}
            onClose={close}
            onSaved={() => {
              onSaved?.();
              close();
            }}
            onCancel={guard.requestClose}
            onDirtyChange={setDirty}
          />
        )}
      </Modal>
      {guard.dialog}
    </>
  );
}

/** The counter "n of 10", where required scopes don't count. */
export function LimitCounter({ count, limit }: { count: number; limit: number }) {
  return (
    <Badge size="lg" tt="none" variant={count >= limit ? 'filled' : 'light'} color={count > limit ? 'red' : count === limit ? 'orange' : 'indigo'} data-testid="scope-counter" aria-live="polite">
      {count} of {limit}
    </Badge>
  );
}

interface BodyProps {
  client: NonNullable<Props['client']>;
  saved: PickerScope[];
  onClose: () => void;
  onSaved: () => void;
  onCancel: () => void;
  onDirtyChange: (dirty: boolean) => void;
}

function AssignScopeBody({ client, saved, onSaved, onCancel, onDirtyChange }: BodyProps) {
  const { organisation } = useViewer();
  const limit = organisation.maxScopesPerClient;
  const urql = useClient();
  const initial = useMemo(() => new Set((client.scopes ?? []).map((s) => s.id)), [client.scopes]);
  const [selection, setSelection] = useState<Selection>(() => new Map((client.scopes ?? []).map((s) => [s.id, s])));
  // The latest selection, for handlers that finish after an await (quick successive group clicks).
  const latest = useRef(selection);
  const [message, setMessage] = useState<string | null>(null);
  const [serverError, setServerError] = useState<CombinedError | null>(null);
  const { search, debounced, setSearch, pager } = useListControls('', 50);
  const variables = useMemo(
    () => ({ first: pager.first, after: pager.after, where: { deprecated: false, ...(debounced ? { nameContainsFold: debounced } : {}) } }),
    [pager.first, pager.after, debounced],
  );
  const [result, refetch] = useQuery({ query: PickerScopesDocument, variables, requestPolicy: 'cache-and-network' });
  const [saveState, save] = useMutation(SetClientScopesDocument);
  const { data } = result;
  const scopes = connectionNodes(data?.scopes);
  const grouped = groupScopes(scopes);
  const count = countTowardsLimit(selection.values());

  useEffect(() => setMessage(null), [debounced]);
  const dirty = selection.size !== initial.size || [...selection.keys()].some((id) => !initial.has(id));
  useEffect(() => onDirtyChange(dirty), [dirty, onDirtyChange]);

  function apply(res: { selection: Selection; error: string | null }) {
    latest.current = res.selection;
    setSelection(res.selection);
    setMessage(res.error);
  }

  async function onGroup(apiId: string, key: string, visible: PickerScope[]) {
    // The group may continue beyond this page: ask for all of it (a group.entity has few scopes).
    let members = visible;
    const res = await urql.query(PickerScopesDocument, { first: 100, where: { apiID: apiId, nameHasPrefix: `${key}.`, deprecated: false } }).toPromise();
    const all = connectionNodes(res.data?.scopes);
    if (all.length) members = all.filter((s) => s.group && `${s.group}.${s.entity}` === key);
    apply(toggleGroup(latest.current, members, limit, initial));
  }

  // The removed row's button goes away: focus moves to the row that takes its place (or the one
  // before), else to the dialog, so the keyboard (and Escape) keep working.
  const selectedList = useRef<HTMLDivElement>(null);
  const dialogRoot = useRef<HTMLDivElement>(null);
  function removeSelected(s: PickerScope, index: number) {
    apply(toggleScope(latest.current, s, limit, initial));
    requestAnimationFrame(() => {
      const buttons = selectedList.current?.querySelectorAll<HTMLButtonElement>('button') ?? [];
      (buttons[Math.min(index, buttons.length - 1)] ?? dialogRoot.current)?.focus();
    });
  }

  async function submit() {
    setServerError(null);
    setMessage(null);
    if (count > limit) {
      setMessage(`A client can have at most ${limit} scopes (required scopes don't count).`);
      return;
    }
    const res = await save({ clientID: client.id, scopeIDs: [...selection.keys()] }, { additionalTypenames: ['Client', 'Scope'] });
    if (res.error) setServerError(res.error);
    else {
      notifyDone(`Scopes of ${client.name} saved: ${describeChange(saved, [...selection.values()]) || 'no change'}`);
      onSaved();
    }
  }

  const pendingFromTab = describeChange(saved, client.scopes ?? []);
  const serverMessage = serverError
    ? hasCode(serverError, 'SCOPE_LIMIT_EXCEEDED')
      ? `The server refused: ${errorMessage(serverError)}`
      : errorMessage(serverError)
    : null;

  return (
    <Stack ref={dialogRoot} tabIndex={-1} style={{ outline: 'none' }}>
      <Group justify="space-between" align="center">
        <Group gap="xs">
          <LimitCounter count={count} limit={limit} />
          <Text size="sm" c="dimmed">
            scopes assigned (required scopes don&apos;t count)
          </Text>
        </Group>
      </Group>
      {pendingFromTab && (
        <Alert color="yellow" data-testid="assign-includes-staged">
          This starts from the changes not saved on the Scope tab ({pendingFromTab}); Save applies them too.
        </Alert>
      )}
      {(message || serverMessage) && (
        <Alert color="red" role="alert" data-testid="assign-scope-error">
          {message || serverMessage}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 3 }} spacing="md">
        <Stack style={{ gridColumn: 'span 2' }} gap="xs">
          <SearchInput label="Search scopes" placeholder="Name contains…" value={search} onChange={setSearch} data-autofocus />
          <QueryStates
            result={result}
            refetch={refetch}
            loadingLabel="Loading scopes"
            isEmpty={scopes.length === 0}
            empty={
              <Text c="dimmed" size="sm" py="md">
                {debounced ? 'No scope matches your search.' : 'There are no scopes to assign yet.'}
              </Text>
            }
          />
          <ScrollArea h={380} type="auto" aria-label="Scopes to choose from">
            <Stack gap="sm" pr="sm">
              {grouped.map((api) => (
                <div key={api.apiId} role="group" aria-label={`API ${api.apiName}`}>
                  <Title order={3} size="h5" mb={4}>
                    {api.apiName}
                  </Title>
                  <Stack gap={6}>
                    {api.groups.map((g) => {
                      const state = groupState(selection, g.scopes);
                      return (
                        <Paper key={g.key || '-'} withBorder p="xs" role="group" aria-label={g.key ? `Group ${g.key}` : `Other scopes of ${api.apiName}`}>
                          {g.key ? (
                            <Checkbox
                              label={
                                <Text fw={600} size="sm" ff="monospace">
                                  {g.key}
                                </Text>
                              }
                              aria-label={`Select group ${g.key}`}
                              checked={state === 'all'}
                              indeterminate={state === 'some'}
                              onChange={() => void onGroup(api.apiId, g.key, g.scopes)}
                              mb={6}
                            />
                          ) : null}
                          <Stack gap={6} pl={g.key ? 'lg' : 0}>
                            {g.scopes.map((s) => (
                              <Checkbox
                                key={s.id}
                                checked={selection.has(s.id)}
                                onChange={() => apply(toggleScope(latest.current, s, limit, initial))}
                                aria-label={s.name}
                                label={
                                  <Group gap={6}>
                                    <Text size="sm" ff="monospace">
                                      {s.name}
                                    </Text>
                                    {s.required && (
                                      <Badge size="xs" variant="light" color="gray">
                                        Required
                                      </Badge>
                                    )}
                                  </Group>
                                }
                                description={(s.displayName !== s.name && s.displayName) || s.description || undefined}
                              />
                            ))}
                          </Stack>
                        </Paper>
                      );
                    })}
                  </Stack>
                </div>
              ))}
            </Stack>
          </ScrollArea>
          {data && (
            <ConnectionPager pager={pager} connection={data.scopes} shown={scopes.length} noun="scopes" />
          )}
        </Stack>
        <Stack gap="xs">
          {/* The same count as the "n of 10" counter: required scopes are listed but not counted. */}
          <Text fw={600} size="sm" data-testid="selected-heading">
            Selected ({count}){selection.size > count ? ` + ${selection.size - count} required` : ''}
          </Text>
          <Divider />
          {selection.size === 0 && (
            <Text size="sm" c="dimmed">
              No scope selected. A client without scopes cannot get a token.
            </Text>
          )}
          <ScrollArea.Autosize mah={420} type="auto">
            <Stack gap={4} aria-label="Selected scopes" role="list" ref={selectedList}>
              {[...selection.values()].map((s, i) => (
                <Group key={s.id} justify="space-between" wrap="nowrap" gap={4} role="listitem">
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {s.name}
                    </Text>
                    {(s.required || s.deprecated) && (
                      <Group gap={4}>
                        {s.required && (
                          <Badge size="xs" variant="light" color="gray">
                            Required
                          </Badge>
                        )}
                        {s.deprecated && (
                          <Badge size="xs" variant="light" color="orange">
                            Deprecated
                          </Badge>
                        )}
                      </Group>
                    )}
                  </div>
                  <RemoveIcon label={`Remove ${s.name}`} onClick={() => removeSelected(s, i)} />
                </Group>
              ))}
            </Stack>
          </ScrollArea.Autosize>
        </Stack>
      </SimpleGrid>
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Close
        </Button>
        <Button onClick={submit} loading={saveState.fetching}>
          Save
        </Button>
      </Group>
    </Stack>
  );
}

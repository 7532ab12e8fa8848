import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Code, Group, Paper, Select, Stack, Table, Text } from '@mantine/core';
import { useQuery } from 'urql';
import type { AuditEventFieldsFragment, AuditEventWhereInput } from '../../gql/graphql';
import { ConnectionPager } from '../../lib/paging';
import { Muted } from '../../components/common';
import { ListTable, PageHeader, QueryStates, SearchInput, connectionNodes, useListControls } from '../../components/listing';
import { EmptyState } from '../layout/states';
import { diffFields, type FieldChange } from './diffFields';
import { AuditEventsDocument, AuditVocabularyDocument } from './operations';
import { Link, useSearchParams } from 'react-router';
import { actionColors, actionLabels, describeActor, fieldLabel, formatTime, relativeTime, targetLink, targetName, targetTypeLabels, toOptions } from './events';

const ctx = { additionalTypenames: ['AuditEvent'] };

export function AuditLogPage() {
  const { search: actor, debounced, setSearch: setActor, pager } = useListControls();
  const [action, setAction] = useState<string | null>(null);
  const [targetType, setTargetType] = useState<string | null>(null);
  const filter = (set: (v: string | null) => void) => (v: string | null) => {
    set(v);
    pager.reset();
  };
  const actorText = debounced.trim();
  // One object's history: ?object=TYPE:ID (the "History" button of an event sets it).
  const [params, setParams] = useSearchParams();
  const object = parseObject(params.get('object'));
  const showObject = (o: { type: string; id: string } | null) => {
    setParams(o ? { object: `${o.type}:${o.id}` } : {});
    pager.reset();
  };
  const where = useMemo(() => {
    const w: AuditEventWhereInput = {
      ...(action && { action }),
      ...(targetType && { targetType }),
      ...(actorText && { actorContainsFold: actorText }),
      ...(object && { targetType: object.type, targetID: object.id }),
    };
    return Object.keys(w).length > 0 ? w : undefined;
  }, [action, targetType, actorText, object?.type, object?.id]);
  const variables = useMemo(() => ({ first: pager.first, after: pager.after, where }), [pager.first, pager.after, where]);
  const [result, refetch] = useQuery({ query: AuditEventsDocument, variables, context: ctx });
  const [{ data: vocabulary }] = useQuery({ query: AuditVocabularyDocument });
  const actionOptions = toOptions(vocabulary?.auditVocabulary.actions ?? [], actionLabels);
  const targetTypeOptions = toOptions(vocabulary?.auditVocabulary.targetTypes ?? [], targetTypeLabels);
  const { data } = result;
  const events = connectionNodes(data?.auditEvents);
  const filtering = Boolean(action || targetType || actor || object);
  const clearFilters = () => {
    setAction(null);
    setTargetType(null);
    setActor('');
    showObject(null);
  };
  const objectName = object && events.length > 0 ? `${targetTypeLabels[object.type] ?? object.type} ${targetName(events[0])}` : null;

  return (
    <>
      <PageHeader title="Audit log" description="Every change to the organisation's configuration: who made it, when, and what it changed. Newest first." />
      <Paper withBorder p="md">
        <Group mb="sm" align="flex-end">
          <Select label="Action" placeholder="Any action" data={actionOptions} value={action} onChange={filter(setAction)} clearable w={170} />
          {object ? (
            <Stack gap={4} data-testid="audit-object-filter">
              <Text size="sm" fw={500}>
                Object
              </Text>
              <Group gap={6}>
                <Badge variant="light" size="lg" tt="none">
                  {objectName ?? `${targetTypeLabels[object.type] ?? object.type} #${object.id}`}
                </Badge>
                <Button size="compact-sm" variant="subtle" onClick={() => showObject(null)}>
                  Every object
                </Button>
              </Group>
            </Stack>
          ) : (
            <Select label="Target type" placeholder="Any type" data={targetTypeOptions} value={targetType} onChange={filter(setTargetType)} clearable w={190} />
          )}
          <SearchInput label="Actor" placeholder="Email contains…" value={actor} onChange={setActor} w={260} />
          {filtering && (
            <Button variant="subtle" onClick={clearFilters}>
              Clear filters
            </Button>
          )}
        </Group>
        <QueryStates
          result={result}
          refetch={refetch}
          loadingLabel="Loading the audit log"
          isEmpty={events.length === 0}
          empty={
            <EmptyState title={where ? 'No change matches the filters' : 'No changes recorded yet'}>
              {where ? undefined : 'Changes to APIs, scopes, endpoints, clients, API keys, users and settings appear here.'}
            </EmptyState>
          }
        />
        {events.length > 0 && (
          <ListTable label="Audit log" columns={['When', 'Who', 'Action', 'Target', 'Changes']} minWidth={760} striped={false}>
            {events.map((e) => (
              <EventRows key={e.id} event={e} onHistory={object ? undefined : () => showObject({ type: e.targetType, id: e.targetID })} />
            ))}
          </ListTable>
        )}
        {data && <ConnectionPager pager={pager} connection={data.auditEvents} shown={events.length} noun="events" />}
      </Paper>
    </>
  );
}

const describeTarget = (e: AuditEventFieldsFragment) => `${targetTypeLabels[e.targetType] ?? e.targetType} ${targetName(e)}`;

/** An event's row, and below it the row its "Changes" button unfolds. */
function EventRows({ event, onHistory }: { event: AuditEventFieldsFragment; onHistory?: () => void }) {
  const [open, setOpen] = useState(false);
  const detailsId = `audit-changes-${event.id}`;
  const exact = formatTime(event.at);
  const who = describeActor(event.actor);
  const target = describeTarget(event);
  const link = targetLink(event);
  return (
    <>
      <Table.Tr data-event={event.id}>
        <Table.Td>
          <Text component="time" dateTime={event.at} title={`${relativeTime(event.at)} (${event.at})`} size="sm" style={{ whiteSpace: 'nowrap' }}>
            {exact}
          </Text>
        </Table.Td>
        <Table.Td>
          <Group gap={6} wrap="nowrap">
            {who.name}
            {who.via && (
              <Badge size="xs" variant="outline" color="gray">
                {who.via}
              </Badge>
            )}
          </Group>
        </Table.Td>
        <Table.Td>
          <Badge variant="light" color={actionColors[event.action] ?? 'gray'}>
            {actionLabels[event.action] ?? event.action}
          </Badge>
        </Table.Td>
        <Table.Td>
          {targetTypeLabels[event.targetType] ?? event.targetType}{' '}
          {link ? (
            <Anchor component={Link} to={link} ff="monospace" size="sm" title={`#${event.targetID}`}>
              {targetName(event)}
            </Anchor>
          ) : (
            <Text span ff="monospace" size="sm" title={`#${event.targetID}`}>
              {targetName(event)}
            </Text>
          )}
        </Table.Td>
        <Table.Td>
          <Group gap={4} wrap="nowrap">
            <Button
              size="xs"
              variant="subtle"
              aria-expanded={open}
              aria-controls={detailsId}
              aria-label={`Changes to ${target}`}
              onClick={() => setOpen((o) => !o)}
              rightSection={<span aria-hidden>{open ? '▴' : '▾'}</span>}
            >
              Changes
            </Button>
            {onHistory && (
              <Button size="xs" variant="subtle" color="gray" onClick={onHistory} aria-label={`History of ${target}`}>
                History
              </Button>
            )}
          </Group>
        </Table.Td>
      </Table.Tr>
      <Table.Tr id={detailsId} hidden={!open}>
        {open && (
          <Table.Td colSpan={5} bg="gray.0">
            <Changes event={event} target={target} exact={exact} />
          </Table.Td>
        )}
      </Table.Tr>
    </>
  );
}

const kindColors: Record<FieldChange['kind'], string> = { added: 'teal', removed: 'red', changed: 'blue' };

function Value({ value, color }: { value: string | undefined; color: string }) {
  if (value === undefined) return <Muted>—</Muted>;
  return (
    <Code color={color} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {value}
    </Code>
  );
}

/** What an event changed: the fields whose values differ, before and after. */
function Changes({ event, target, exact }: { event: AuditEventFieldsFragment; target: string; exact: string }) {
  const changes = diffFields(event.before, event.after);
  return (
    <Stack gap="xs" py="xs">
      <Text size="sm" c="dimmed">
        {actionLabels[event.action] ?? event.action} of {target} by {event.actor} on {exact}
      </Text>
      {changes.length === 0 ? (
        <Text size="sm">No field changed.</Text>
      ) : (
        <Table aria-label={`Changes to ${target}`} withTableBorder bg="white" layout="fixed" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w="22%">Field</Table.Th>
              <Table.Th w={100}>Change</Table.Th>
              <Table.Th>Before</Table.Th>
              <Table.Th>After</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {changes.map((c) => (
              <Table.Tr key={c.field} data-field={c.field}>
                <Table.Td>
                  <Text size="sm" title={c.field}>
                    {fieldLabel(c.field)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" color={kindColors[c.kind]}>
                    {c.kind}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Value value={c.before} color="red.0" />
                </Table.Td>
                <Table.Td>
                  <Value value={c.after} color="teal.0" />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** Reads ?object=TYPE:ID, the object whose history the page shows. */
export function parseObject(v: string | null): { type: string; id: string } | null {
  const m = v?.match(/^([A-Za-z]+):(\d+)$/);
  return m ? { type: m[1], id: m[2] } : null;
}

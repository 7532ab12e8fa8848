import { Badge, Group, Stack, Text, type GroupProps } from '@mantine/core';
import { formatSunset, sunsetPassed } from '../deprecation/lifecycle';

interface Props {
  name: string;
  deprecated?: boolean | null;
  builtIn?: boolean | null;
  wrap?: GroupProps['wrap'];
  /** The deprecated scope's replacement and sunset, shown under its struck-through name. */
  replacedBy?: { name: string } | null;
  sunsetAt?: string | null;
}

/** A scope's name in monospace with its Deprecated (and Built-in) badges, as in the scope tables; a
 * deprecated scope is struck through, with its replacement and sunset date. */
export function ScopeName({ name, deprecated, builtIn, wrap, replacedBy, sunsetAt }: Props) {
  const lifecycle = deprecated && (replacedBy || sunsetAt);
  return (
    <Stack gap={2}>
      <Group gap={6} wrap={wrap}>
        <Text ff="monospace" size="sm" td={deprecated ? 'line-through' : undefined} c={deprecated ? 'dimmed' : undefined}>
          {name}
        </Text>
        {deprecated && (
          <Badge size="xs" color="orange" variant="light">
            Deprecated
          </Badge>
        )}
        {builtIn && (
          <Badge size="xs" color="gray" variant="light">
            Built-in
          </Badge>
        )}
      </Group>
      {lifecycle && (
        <Text size="xs" c="dimmed" data-testid="scope-lifecycle">
          {replacedBy && (
            <>
              Replaced by{' '}
              <Text span ff="monospace" size="xs">
                {replacedBy.name}
              </Text>
            </>
          )}
          {replacedBy && sunsetAt && ' · '}
          {sunsetAt && (
            <time dateTime={sunsetAt}>
              {sunsetPassed(sunsetAt) ? 'Sunset since' : 'Sunset'} {formatSunset(sunsetAt)}
            </time>
          )}
        </Text>
      )}
    </Stack>
  );
}

import { Badge, Group, Text, type GroupProps } from '@mantine/core';

/** A scope's name in monospace with its Deprecated (and Built-in) badges, as in the scope tables. */
export function ScopeName({ name, deprecated, builtIn, wrap }: { name: string; deprecated?: boolean | null; builtIn?: boolean | null; wrap?: GroupProps['wrap'] }) {
  return (
    <Group gap={6} wrap={wrap}>
      <Text ff="monospace" size="sm">
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
  );
}

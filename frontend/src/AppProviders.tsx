import type { ReactNode } from 'react';
import { MantineProvider, createTheme } from '@mantine/core';
import type { Client } from 'urql';
import { ClientProvider } from './lib/ClientProvider';

export const theme = createTheme({
  primaryColor: 'indigo',
  respectReducedMotion: true,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
});

export function AppProviders({ children, client, env }: { children: ReactNode; client?: Client; env?: 'test' | 'default' }) {
  return (
    <MantineProvider theme={theme} env={env}>
      <ClientProvider client={client}>{children}</ClientProvider>
    </MantineProvider>
  );
}

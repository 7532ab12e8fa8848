import type { ReactNode } from 'react';
import { Anchor, DEFAULT_THEME, MantineProvider, Modal, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import type { Client } from 'urql';
import { ClientProvider } from './lib/ClientProvider';

export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 8 keeps white text on filled buttons, links and badges at WCAG AA contrast (4.5:1);
  // autoContrast puts dark text on the light fills (orange, teal, green) that white fails on.
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.2,
  respectReducedMotion: true,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  components: {
    // Links inside text must not be told apart by colour alone.
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Mantine's ✕ has no accessible name of its own.
    // Mantine's ✕ has no accessible name of its own, and its dialog header is a <header> element, which
    // must not read as a second page banner.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' }, attributes: { header: { role: 'group' } } } }),
  },
});

// Text on light ("light", "subtle", "outline") fills and grey helper text, darkened to 4.5:1 on white and on
// the page's grey background.
const darkText: Record<string, string> = { orange: '#a33a09', yellow: '#7a4f00', teal: '#066649', green: '#1f6e2f', cyan: '#0a5f70', lime: '#4a6b0c' };
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': DEFAULT_THEME.colors.gray[7],
    ...Object.fromEntries(
      Object.keys(DEFAULT_THEME.colors).map((c) => [`--mantine-color-${c}-light-color`, darkText[c] ?? `var(--mantine-color-${c}-9)`]),
    ),
  },
  dark: {},
});

export function AppProviders({ children, client, env }: { children: ReactNode; client?: Client; env?: 'test' | 'default' }) {
  return (
    <MantineProvider theme={theme} env={env} cssVariablesResolver={cssVariablesResolver}>
      <Notifications position="top-right" />
      <ClientProvider client={client}>{children}</ClientProvider>
    </MantineProvider>
  );
}

import { Suspense, useState, type MouseEvent } from 'react';
import { AppShell, Badge, Burger, Button, Divider, Group, NavLink, Stack, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { useViewer } from '../auth/viewer';
import { Loading } from './states';
import { logout } from '../auth/session';
import { ChangePasswordDialog } from '../auth/ChangePasswordDialog';
import { useResetClient } from '../../lib/ClientProvider';
import { canReadAdmin, roleLabels } from '../../lib/roles';

interface NavItem {
  to: string;
  label: string;
  admin: boolean;
}

const nav: NavItem[] = [
  { to: '/apis', label: 'APIs', admin: true },
  { to: '/clients', label: 'API clients', admin: true },
  { to: '/discovery', label: 'Discovery', admin: true },
  { to: '/api-keys', label: 'API keys', admin: false },
  { to: '/settings', label: 'Organisation settings', admin: true },
  { to: '/users', label: 'Users', admin: true },
  { to: '/access-review', label: 'Access review', admin: true },
  { to: '/audit', label: 'Audit log', admin: true },
];

export function Shell() {
  const { user, organisation } = useViewer();
  const [opened, { toggle, close }] = useDisclosure();
  const navigate = useNavigate();
  const location = useLocation();
  const resetClient = useResetClient();
  const [changingPassword, setChangingPassword] = useState(false);

  function skipToMain(e: MouseEvent) {
    e.preventDefault();
    document.getElementById('main')?.focus();
  }

  async function signOut() {
    await logout();
    resetClient();
    navigate('/login', { replace: true });
  }

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding={{ base: 'sm', sm: 'lg' }}>
      <a href="#main" className="skip-link" onClick={skipToMain}>
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" miw={0}>
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? 'Close navigation' : 'Open navigation'}
              aria-expanded={opened}
              aria-controls="main-navigation"
            />
            <Text fw={700} size="lg">
              Scopekeeper
            </Text>
            <Text c="dimmed" aria-hidden visibleFrom="xs">
              /
            </Text>
            <Tooltip label={`Issuer: ${organisation.issuer}`}>
              <Text fw={600} data-testid="organisation-name" truncate visibleFrom="xs">
                {organisation.name}
              </Text>
            </Tooltip>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="sm" data-testid="viewer-email">
              {user.email}
            </Text>
            <Badge variant="light" data-testid="viewer-role" aria-label={`Role: ${roleLabels[user.role]}`}>
              {roleLabels[user.role]}
            </Badge>
            <Group gap="sm" wrap="nowrap" visibleFrom="sm">
              <Button size="xs" variant="default" onClick={() => setChangingPassword(true)}>
                Change password
              </Button>
              <Button size="xs" variant="default" onClick={signOut}>
                Sign out
              </Button>
            </Group>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main" id="main-navigation">
        {nav
          .filter((item) => !item.admin || canReadAdmin(user.role))
          .map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              active={location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)}
              aria-current={location.pathname.startsWith(item.to) ? 'page' : undefined}
              onClick={close}
            />
          ))}
        {/* On a phone the header has no room for the account actions: they are at the foot of the drawer. */}
        <Stack gap="xs" mt="auto" hiddenFrom="sm" aria-label="Account" role="group">
          <Divider />
          <Text size="sm" px="xs" data-testid="viewer-email-menu">
            {user.email}
          </Text>
          <Button
            variant="default"
            onClick={() => {
              close();
              setChangingPassword(true);
            }}
          >
            Change password
          </Button>
          <Button variant="default" onClick={signOut}>
            Sign out
          </Button>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0" id="main" tabIndex={-1}>
        <Suspense fallback={<Loading label="Loading the page" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
      <ChangePasswordDialog opened={changingPassword} onClose={() => setChangingPassword(false)} />
    </AppShell>
  );
}

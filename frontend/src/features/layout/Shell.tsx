import { Suspense, useState } from 'react';
import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Tooltip } from '@mantine/core';
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
  { to: '/audit', label: 'Audit log', admin: true },
];

export function Shell() {
  const { user, organisation } = useViewer();
  const [opened, { toggle }] = useDisclosure();
  const navigate = useNavigate();
  const location = useLocation();
  const resetClient = useResetClient();
  const [changingPassword, setChangingPassword] = useState(false);

  async function signOut() {
    await logout();
    resetClient();
    navigate('/login', { replace: true });
  }

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700} size="lg">
              Scopekeeper
            </Text>
            <Text c="dimmed" aria-hidden>
              /
            </Text>
            <Tooltip label={`Issuer: ${organisation.issuer}`}>
              <Text fw={600} data-testid="organisation-name" truncate>
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
            <Button size="xs" variant="default" onClick={() => setChangingPassword(true)}>
              Change password
            </Button>
            <Button size="xs" variant="default" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
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
              onClick={() => opened && toggle()}
            />
          ))}
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <Suspense fallback={<Loading label="Loading the page" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
      <ChangePasswordDialog opened={changingPassword} onClose={() => setChangingPassword(false)} />
    </AppShell>
  );
}

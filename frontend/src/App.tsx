import { Navigate, Route, Routes } from 'react-router';
import { LoginPage } from './features/auth/LoginPage';
import { RequireViewer, useViewer } from './features/auth/viewer';
import { Shell } from './features/layout/Shell';
import { ApisPage } from './features/apis/ApisPage';
import { ApiPage } from './features/apis/ApiPage';
import { ClientsPage } from './features/clients/ClientsPage';
import { ClientPage } from './features/clients/ClientPage';
import { DiscoveryPage } from './features/discovery/DiscoveryPage';
import { ConsentPage } from './features/consent/ConsentPage';
import { ApiKeysPage } from './features/apikeys/ApiKeysPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { UsersPage } from './features/settings/UsersPage';
import { AuditLogPage } from './features/audit/AuditLogPage';
import { NoAccess, NotFoundPage } from './features/layout/states';
import { canReadAdmin } from './lib/roles';
import type { ReactNode } from 'react';

function Home() {
  const { user } = useViewer();
  return <Navigate to={canReadAdmin(user.role) ? '/apis' : '/api-keys'} replace />;
}

function AdminOnly({ children }: { children: ReactNode }) {
  const { user } = useViewer();
  return canReadAdmin(user.role) ? children : <NoAccess reason="Members can only manage their own API keys." />;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        path="/consent"
        element={
          <RequireViewer>
            <ConsentPage />
          </RequireViewer>
        }
      />
      <Route
        element={
          <RequireViewer>
            <Shell />
          </RequireViewer>
        }
      >
        <Route index element={<Home />} />
        <Route path="apis" element={<AdminOnly><ApisPage /></AdminOnly>} />
        <Route path="apis/:apiId/:tab?" element={<AdminOnly><ApiPage /></AdminOnly>} />
        <Route path="clients" element={<AdminOnly><ClientsPage /></AdminOnly>} />
        <Route path="clients/:clientId/:tab?" element={<AdminOnly><ClientPage /></AdminOnly>} />
        <Route path="discovery" element={<AdminOnly><DiscoveryPage /></AdminOnly>} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="settings" element={<AdminOnly><SettingsPage /></AdminOnly>} />
        <Route path="users" element={<AdminOnly><UsersPage /></AdminOnly>} />
        <Route path="audit" element={<AdminOnly><AuditLogPage /></AdminOnly>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

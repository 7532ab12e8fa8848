import { lazy } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { LoginPage } from './features/auth/LoginPage';
import { RequireViewer, useViewer } from './features/auth/viewer';
import { Shell } from './features/layout/Shell';
import { ConsentPage } from './features/consent/ConsentPage';

// The console's pages load on first visit (the Shell shows a loader meanwhile), so sign-in and
// the consent screen, which end users see, do not download the whole console.
const ApisPage = lazy(() => import('./features/apis/ApisPage').then((m) => ({ default: m.ApisPage })));
const ApiPage = lazy(() => import('./features/apis/ApiPage').then((m) => ({ default: m.ApiPage })));
const ClientsPage = lazy(() => import('./features/clients/ClientsPage').then((m) => ({ default: m.ClientsPage })));
const ClientPage = lazy(() => import('./features/clients/ClientPage').then((m) => ({ default: m.ClientPage })));
const DiscoveryPage = lazy(() => import('./features/discovery/DiscoveryPage').then((m) => ({ default: m.DiscoveryPage })));
const ApiKeysPage = lazy(() => import('./features/apikeys/ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })));
const SettingsPage = lazy(() => import('./features/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const UsersPage = lazy(() => import('./features/settings/UsersPage').then((m) => ({ default: m.UsersPage })));
const AccessReviewPage = lazy(() => import('./features/review/AccessReviewPage').then((m) => ({ default: m.AccessReviewPage })));
const AuditLogPage = lazy(() => import('./features/audit/AuditLogPage').then((m) => ({ default: m.AuditLogPage })));
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
        <Route path="access-review" element={<AdminOnly><AccessReviewPage /></AdminOnly>} />
        <Route path="audit" element={<AdminOnly><AuditLogPage /></AdminOnly>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

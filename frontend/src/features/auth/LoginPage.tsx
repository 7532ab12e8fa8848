import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useNavigate, useSearchParams } from 'react-router';
import { useResetClient } from '../../lib/ClientProvider';
import { LoginError, authorizationOf, login, resolveNext } from './session';

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<{ clientName: string; organisationName: string } | null>(null);
  const authz = authorizationOf(params.get('next'));

  // Signing in for an application: say which, and for which organisation.
  useEffect(() => {
    if (!authz) return;
    const q = new URLSearchParams({ client_id: authz.clientId, redirect_uri: authz.redirectUri });
    let live = true;
    fetch(`/o/${authz.slug}/oauth/client-info?${q}`)
      .then((r) => (r.ok ? r.json() : null))
      .then((info) => live && info && setAsking(info))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [authz?.slug, authz?.clientId, authz?.redirectUri]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!email.trim() || !password) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      const target = resolveNext(params.get('next'));
      if (target.kind === 'page') {
        window.location.assign(target.to);
        return;
      }
      // Drop anything cached for a previous session.
      resetClient();
      navigate(target.to, { replace: true });
    } catch (err) {
      setError(err instanceof LoginError ? err.message : 'Sign-in failed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={400} component="main">
        <form onSubmit={submit} aria-labelledby="login-title" noValidate>
          <Stack>
            <div>
              <Title order={1} size="h2" id="login-title">
                {asking ? `Sign in to continue to ${asking.clientName}` : 'Sign in to Scopekeeper'}
              </Title>
              <Text c="dimmed" size="sm">
                {asking ? `${asking.clientName} asks you to sign in with your ${asking.organisationName} account.` : 'OAuth scope administration'}
              </Text>
            </div>
            {error && (
              <Alert color="red" role="alert" title="Could not sign in">
                {error}
              </Alert>
            )}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              required
              autoFocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              required
            />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}


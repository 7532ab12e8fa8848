import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from '@playwright/test';
import { gql, OWNER, repoRoot, STATE_FILE, storagePath, USERS, type E2EState } from './env';


function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitForHealth(baseURL: string, server: ChildProcess, ms = 60_000) {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`scopekeeper serve exited with ${server.exitCode} before /healthz answered`);
    try {
      const res = await fetch(`${baseURL}/healthz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`scopekeeper did not become healthy at ${baseURL}/healthz: ${last}`);
}

/**
 * Builds (or takes SCOPEKEEPER_BIN) the real server, bootstraps a fresh SQLite database in a temp dir,
 * starts `scopekeeper serve` on a free port, waits for /healthz, seeds users and signs them in.
 * Returns the teardown, which stops the server and removes the temp dir.
 */
export default async function globalSetup() {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    throw new Error(`${chromium} is missing: install Debian's browser with \`apt-get install -y chromium\` (never \`npx playwright install\`), or set CHROMIUM_PATH.`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'scopekeeper-e2e-'));
  let bin = process.env.SCOPEKEEPER_BIN;
  if (!bin && !existsSync(join(repoRoot, 'frontend/dist/index.html'))) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('frontend/dist/index.html is missing: run `npm run build` before `npm run e2e`, so the server binary embeds the console.');
  }
  if (!bin) {
    bin = join(dir, 'scopekeeper');
    console.log(`[e2e] go build -tags sqlite_fts5 -o ${bin} .`);
    execFileSync('go', ['build', '-tags', 'sqlite_fts5', '-o', bin, '.'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const db = join(dir, 'e2e.db');
  const out = execFileSync(bin, ['bootstrap', '--db', db, '--org-name', 'Acme', '--org-slug', 'acme', '--email', OWNER.email, '--password', OWNER.password], { encoding: 'utf8' });
  console.log(`[e2e] bootstrap: ${out.trim()}`);

  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  mkdirSync(resolve(repoRoot, 'test-output'), { recursive: true });
  const log = openSync(resolve(repoRoot, 'test-output/server.log'), 'w');
  // --usage-interval 1s: the access review's records reach the database within a second (review.spec.ts).
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db, '--public-url', baseURL, '--usage-interval', '1s'], { stdio: ['ignore', log, log], cwd: dir });
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          server.kill('SIGKILL');
          r();
        }, 5000);
        server.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(baseURL, server);

    // Seed through the public API, as an admin would.
    const api = await request.newContext({ baseURL });
    const login = await api.post('/auth/login', { data: { email: OWNER.email, password: OWNER.password } });
    if (!login.ok()) throw new Error(`owner sign-in failed: ${login.status()} ${await login.text()}`);
    for (const u of Object.values(USERS)) {
      if (u.role === 'OWNER') continue;
      await gql(api, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
        input: { email: u.email, displayName: u.displayName, password: u.password, role: u.role },
      });
    }
    // The specs use dotted names (group.entity.modifier); FREE accepts them.
    await gql(api, `mutation { updateOrganisation(input: { namingPolicy: FREE, maxScopesPerClient: 10 }) { id } }`);
    await api.storageState({ path: storagePath('owner') });
    await api.dispose();
    for (const [key, u] of Object.entries(USERS)) {
      if (key === 'owner') continue;
      const ctx = await request.newContext({ baseURL });
      const res = await ctx.post('/auth/login', { data: { email: u.email, password: u.password } });
      if (!res.ok()) throw new Error(`${u.email} sign-in failed: ${res.status()}`);
      await ctx.storageState({ path: storagePath(key) });
      await ctx.dispose();
    }
    const state: E2EState = { baseURL, dir, pid: server.pid ?? 0 };
    writeFileSync(STATE_FILE, JSON.stringify(state));
    process.env.E2E_BASE_URL = baseURL;
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}

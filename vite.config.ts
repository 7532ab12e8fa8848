/// <reference types="vitest/config" />
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('./frontend', import.meta.url));
const outDir = fileURLToPath(new URL('./frontend/dist', import.meta.url));
const placeholder = `${outDir}/README.md`;

// The server embeds frontend/dist; its tracked README.md placeholder must survive `emptyOutDir`.
function keepDistPlaceholder(): Plugin {
  const text = existsSync(placeholder)
    ? readFileSync(placeholder, 'utf8')
    : 'The console\'s build output lands here (`npm run build`); this placeholder keeps `go:embed` working before it.\n';
  return {
    name: 'keep-dist-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(placeholder, text);
    },
  };
}

export default defineConfig({
  root,
  plugins: [react(), keepDistPlaceholder()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    // Two pages: the console, and GraphiQL (served for GET /graphql in demo mode).
    rollupOptions: {
      input: { index: `${root}/index.html`, graphiql: `${root}/graphiql.html` },
    },
  },
  server: {
    proxy: {
      '/graphql': 'http://127.0.0.1:8080',
      '/auth': 'http://127.0.0.1:8080',
      '/o/': 'http://127.0.0.1:8080',
    },
  },
  test: {
    root: '.',
    environment: 'jsdom',
    include: ['frontend/src/**/*.test.{ts,tsx}'],
    setupFiles: ['frontend/src/test/setup.ts'],
    css: false,
    testTimeout: 30_000,
    pool: 'threads',
    maxWorkers: 2,
  },
});

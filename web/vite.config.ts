/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const api = process.env.ARTIGRAPH_URL ?? 'http://127.0.0.1:8080';

// Two pages: the artifact browser (index.html) and GraphiQL (graphiql.html),
// so the browser never loads Monaco. The build goes to dist/, which is
// committed and embedded in the Go binary (web.go): no source maps, names with
// content hashes (deterministic for identical sources, so CI can diff it).
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      // GraphiQL imports 'monaco-editor', whose main entry registers every
      // language Monaco knows. GraphiQL needs only the editor, JSON and
      // GraphQL (monaco-graphql registers itself).
      { find: /^monaco-editor$/, replacement: here('./src/graphiql/monaco.ts') },
    ],
  },
  build: {
    outDir: process.env.WEB_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    rollupOptions: {
      input: { index: here('./index.html'), graphiql: here('./graphiql.html') },
      onwarn(warning, warn) {
        // GraphiQL's React-compiler output starts with "use no memo", a hint
        // for the compiler only; dropping it changes nothing at run time.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' as const },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/api': api,
      '/readyz': api,
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    restoreMocks: true,
  },
});

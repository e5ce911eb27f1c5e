/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by the scrm binary at "/" (frontend/embed.go). In
// development `npm run dev` proxies the API to a running `scrm serve`
// (SCRM_API, default http://127.0.0.1:8080). GraphiQL is a second page of
// the same build (graphiql.html), served by the binary at /graphiql.
const api = process.env.SCRM_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // monaco-editor (about 2.8 MB) is one chunk, loaded by GraphiQL only.
    chunkSizeWarningLimit: 3000,
    rolldownOptions: {
      input: { index: 'index.html', graphiql: 'graphiql.html' },
      // GraphiQL's packages start modules with React Compiler's "use no memo";
      // dropping it while bundling is harmless, and the warnings drown the build log.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE' && log.id?.includes('node_modules')) return;
        handler(level, log);
      },
      output: {
        // Long-lived vendor chunks: an app change does not invalidate them.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/ },
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender|echarts-for-react)[\\/]/ },
            // urql and its parser; graphql-js is GraphiQL's only, in GraphiQL's chunks.
            { name: 'graphql', test: /node_modules[\\/](urql|@urql|wonka|@0no-co[\\/]graphql\.web)[\\/]/ },
            // echarts's helper library, also used by GraphiQL's UI: its own chunk,
            // else it lands in (and GraphiQL would load) the echarts chunk.
            { name: 'tslib', test: /node_modules[\\/]tslib[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/v1': api,
      '/healthz': api,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    css: false,
    // antd's forms in jsdom take seconds on a loaded 2-core machine (one
    // attachments test took 7.4 s beside a Go test run; the default is 5 s).
    testTimeout: 20_000,
  },
});

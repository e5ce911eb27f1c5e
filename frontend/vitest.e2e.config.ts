import { defineConfig } from 'vitest/config';

// Browser tests: Node drives Debian's Chromium through playwright-core
// against a running `scrm serve` (scripts/e2e.sh starts it and sets
// SCRM_E2E_URL). One file, in order: later steps use what earlier ones made.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ['verbose'],
  },
});

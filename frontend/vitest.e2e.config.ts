import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The spec files share one server and one demo workspace, and some change
// workspace state no API undoes (contact-ways.e2e.ts configures the wecom
// channel, which has no "unconfigure"). They run one at a time in the order
// of their names, never in Vitest's default order (by earlier duration and
// size, which differs between a clean clone and a rerun), so a spec that
// relies on state another establishes sees the same order everywhere.
class ByName extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

// Browser tests: Node drives Debian's Chromium through playwright-core
// against a running `scrm serve` (scripts/e2e.sh starts it and sets
// SCRM_E2E_URL). One file, in order: later steps use what earlier ones made.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: a round trip and a render of
    // the app on a loaded 2-core CI machine can take longer. A poll that
    // passes returns at once, so only a failure waits the 10 s; a poll that
    // needs longer (a job, a worker's task) says so itself.
    expect: { poll: { timeout: 10_000 } },
    fileParallelism: false,
    sequence: { concurrent: false, sequencer: ByName },
    reporters: ['verbose'],
  },
});

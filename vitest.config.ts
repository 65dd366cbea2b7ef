import { defineConfig } from 'vitest/config';
import LongFilesFirst from './test/support/long-files-first.js';

// Unit tests touch nothing external; integration tests (*.int.test.ts) talk to the
// real PostgreSQL and Redis on this machine, each file in its own database and
// queue prefix, so files can run side by side.
//
// Three files at a time on 2 cores: the integration tests mostly wait (on
// PostgreSQL, Redis, child processes, Retry-After), and with two files the cores
// sat idle a third of the run. vitest's default there (cores - 1) runs every
// file one after the other.
const PARALLEL_FILES = 3;

// Workers are reused across files (isolate: false): importing the sources again
// for every file was a third of the run's CPU time. Safe here because no test
// mocks modules or changes globals; each file makes its own database, queue
// prefix, Notion fake and clients, and the one test with fake timers restores them.
const SHARED_WORKERS = { maxWorkers: PARALLEL_FILES, isolate: false };

// Files that hold ~0.5 GB or more on their own: PGlite (Postgres compiled to
// WebAssembly) in the test process. Each runs in a fresh process of its own, so
// that memory is given back when it ends rather than added to a shared worker's.
const ALONE = [
  'test/supabase/embedded-postgres.test.ts',
  'test/supabase/supabase-cli.int.test.ts',
  'test/demo/demo.int.test.ts',
];

// The tests run the commands compiled, as production does: dist/ is built first.
const BUILD = 'test/support/build-setup.ts';

const INTEGRATION = {
  globalSetup: [BUILD, 'test/support/global-setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  // The workspace's packages resolve to their TypeScript sources, as tsx and tsc see them.
  ssr: { resolve: { conditions: ['tokensync-source'] } },
  test: {
    sequence: { sequencer: LongFilesFirst },
    projects: [
      // The workspace's packages, each with its own config, scheduled like the files beside them.
      {
        extends: './packages/notion-sandbox/vitest.config.ts',
        test: { root: 'packages/notion-sandbox', ...SHARED_WORKERS },
      },
      {
        // Files in processes of their own, as the package's config says (PGlite).
        extends: './packages/pglite-server/vitest.config.ts',
        test: { root: 'packages/pglite-server', maxWorkers: PARALLEL_FILES },
      },
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', ...ALONE],
          globalSetup: [BUILD],
          ...SHARED_WORKERS,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          exclude: ALONE,
          ...INTEGRATION,
          ...SHARED_WORKERS,
        },
      },
      {
        test: {
          name: 'alone',
          include: ALONE,
          ...INTEGRATION,
          maxWorkers: PARALLEL_FILES,
          isolate: true,
          // V8's optimising tier compiled PGlite's WebAssembly into ~400 MB of machine code
          // per process; the baseline compiler alone runs these small databases as fast.
          execArgv: ['--liftoff-only'],
        },
      },
    ],
  },
});

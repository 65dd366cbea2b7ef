import { defineConfig } from 'vitest/config';

// The fake runs in the test process, one fresh fake per test: nothing external,
// so files share workers (importing the sources once per worker, not per file).
export default defineConfig({
  test: {
    name: 'notion-sandbox',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    // The bin's tests start node processes: seconds on a loaded 2-core machine, not milliseconds.
    testTimeout: 30_000,
    isolate: false,
  },
});

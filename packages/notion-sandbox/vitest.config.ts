import { defineConfig } from 'vitest/config';

// The fake runs in the test process, one fresh fake per test: nothing external,
// so files share workers (importing the sources once per worker, not per file).
export default defineConfig({
  test: {
    name: 'notion-sandbox',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    isolate: false,
  },
});

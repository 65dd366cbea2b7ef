import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'pglite-server',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file in a fresh process: PGlite holds ~0.5 GB, given back when the file ends.
    isolate: true,
    // V8's optimising tier compiled PGlite's WebAssembly into ~400 MB of machine code
    // per process; the baseline compiler alone runs these small databases as fast.
    execArgv: ['--liftoff-only'],
  },
});

/**
 * Builds dist/ once per run, as `npm run build` does, before any test starts: the
 * tests run the project's commands compiled, the way production runs them. The
 * build is incremental (dist/.tsbuildinfo), so a run with nothing changed pays
 * about two seconds for it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Each project that lists this setup loads its own copy of the module, in the one vitest process. */
const shared = ((globalThis as { [key: symbol]: unknown })[Symbol.for('tokensync.test.build')] ??= {}) as { build?: Promise<void> };

async function build(): Promise<void> {
  try {
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed, so the commands cannot be tested:\n${stdout}${stderr}`);
  }
}

export default async function setup(): Promise<void> {
  shared.build ??= build();
  await shared.build;
}

/** Compiles the package (incrementally) before its tests: the bin's test runs it as installed. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);

export default async function setup(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: new URL('../..', import.meta.url) }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`the package does not build:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
}

/**
 * vitest runs TypeScript without checking its types: this is the type check of
 * src, scripts, tests and bench, and of the workspace's packages with their tests
 * (their sources through the tokensync-source condition), in one program
 * (`npm run typecheck`), as a test, so that it runs beside the others instead of
 * before them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the whole project type-checks (tsc --noEmit)', async () => {
  const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { maxBuffer: 16 * 1024 * 1024 }).then(
    () => ({ code: 0, diagnostics: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, diagnostics: `${error.stdout}${error.stderr}` }),
  );
  expect(result).toEqual({ code: 0, diagnostics: '' });
}, 120_000);

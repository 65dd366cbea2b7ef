/**
 * Builds dist/ once per run, as `npm run build` does, before any test starts: the
 * tests run the project's commands compiled, the way production runs them. The
 * build is incremental (dist/.tsbuildinfo), so a run with nothing changed pays
 * about two seconds for it.
 */
import { execFile } from 'node:child_process';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What tsconfig.build.json compiles. */
const SOURCE_DIRS = ['src', 'scripts'];

/**
 * Sources whose .js is missing from dist/. An incremental build trusts dist/.tsbuildinfo
 * and does not write again an output deleted since, so that is checked here.
 */
async function missingOutputs(): Promise<string[]> {
  const missing: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const file of await readdir(dir, { recursive: true })) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const output = join('dist', dir, file.replace(/\.ts$/, '.js'));
      await access(output).catch(() => missing.push(output));
    }
  }
  return missing;
}

/** Each project that lists this setup loads its own copy of the module, in the one vitest process. */
const shared = ((globalThis as { [key: symbol]: unknown })[Symbol.for('tokensync.test.build')] ??= {}) as { build?: Promise<void> };

async function tsc(): Promise<void> {
  try {
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed, so the commands cannot be tested:\n${stdout}${stderr}`);
  }
}

async function build(): Promise<void> {
  await tsc();
  if ((await missingOutputs()).length === 0) return;
  await rm('dist/.tsbuildinfo', { force: true });
  await tsc();
  const missing = await missingOutputs();
  if (missing.length > 0) throw new Error(`npm run build left out ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
}

export default async function setup(): Promise<void> {
  shared.build ??= build();
  await shared.build;
}

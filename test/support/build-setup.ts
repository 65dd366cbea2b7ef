/**
 * Builds dist/ once per run, as `npm run build` does, before any test starts: the
 * tests run the project's commands compiled, the way production runs them. The
 * build is incremental (a .tsbuildinfo beside each output), so a run with nothing
 * changed pays about two seconds for it.
 */
import { execFile } from 'node:child_process';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `npm run build` compiles, in order: the workspace's packages first, then the product that imports them. */
const BUILDS = [
  {
    config: 'packages/notion-sandbox/tsconfig.build.json',
    buildInfo: 'packages/notion-sandbox/dist/.tsbuildinfo',
    sources: { 'packages/notion-sandbox/src': 'packages/notion-sandbox/dist' },
  },
  {
    config: 'packages/pglite-server/tsconfig.build.json',
    buildInfo: 'packages/pglite-server/dist/.tsbuildinfo',
    sources: { 'packages/pglite-server/src': 'packages/pglite-server/dist' },
  },
  { config: 'tsconfig.build.json', buildInfo: 'dist/.tsbuildinfo', sources: { src: 'dist/src', scripts: 'dist/scripts' } },
] as const;

type Build = (typeof BUILDS)[number];

/**
 * Sources whose .js is missing from the build's output. An incremental build trusts its
 * .tsbuildinfo and does not write again an output deleted since, so that is checked here.
 */
async function missingOutputs(build: Build): Promise<string[]> {
  const missing: string[] = [];
  for (const [dir, outDir] of Object.entries(build.sources)) {
    for (const file of await readdir(dir, { recursive: true })) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const output = join(outDir, file.replace(/\.ts$/, '.js'));
      await access(output).catch(() => missing.push(output));
    }
  }
  return missing;
}

/** Each project that lists this setup loads its own copy of the module, in the one vitest process. */
const shared = ((globalThis as { [key: symbol]: unknown })[Symbol.for('tokensync.test.build')] ??= {}) as { build?: Promise<void> };

async function tsc(config: string): Promise<void> {
  try {
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed, so the commands cannot be tested:\n${stdout}${stderr}`);
  }
}

async function buildOne(build: Build): Promise<void> {
  await tsc(build.config);
  if ((await missingOutputs(build)).length === 0) return;
  await rm(build.buildInfo, { force: true });
  await tsc(build.config);
  const missing = await missingOutputs(build);
  if (missing.length > 0) throw new Error(`npm run build left out ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
}

async function buildAll(): Promise<void> {
  for (const build of BUILDS) await buildOne(build);
}

export default async function setup(): Promise<void> {
  shared.build ??= buildAll();
  await shared.build;
}

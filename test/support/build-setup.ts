/**
 * Builds dist/ once per run, as `npm run build` does, before any test starts: the
 * tests run the project's commands compiled, the way production runs them. The
 * build is incremental (a .tsbuildinfo beside each output), so a run with nothing
 * changed pays about two seconds for it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface Build {
  config: string;
  buildInfo: string;
  /** Directories of sources, each with where its compiled files go. */
  sources: Record<string, string>;
}

interface TsConfig {
  extends?: string;
  include?: string[];
  compilerOptions?: { rootDir?: string; outDir?: string; tsBuildInfoFile?: string };
}

/** A tsconfig with what it extends, its paths made relative to the repository as tsc reads them (from the file that sets them). */
function readTsConfig(path: string): Required<Pick<TsConfig, 'include'>> & { rootDir: string; outDir: string; tsBuildInfoFile: string } {
  const config = JSON.parse(readFileSync(path, 'utf8')) as TsConfig;
  const base = config.extends ? readTsConfig(join(dirname(path), config.extends)) : undefined;
  const here = (relativePath: string | undefined) => (relativePath === undefined ? undefined : join(dirname(path), relativePath));
  const options = config.compilerOptions ?? {};
  return {
    include: config.include?.map((dir) => join(dirname(path), dir)) ?? base?.include ?? [],
    rootDir: here(options.rootDir) ?? base?.rootDir ?? dirname(path),
    outDir: here(options.outDir) ?? base?.outDir ?? dirname(path),
    tsBuildInfoFile: here(options.tsBuildInfoFile) ?? base?.tsBuildInfoFile ?? '',
  };
}

/** What `npm run build` compiles, in its order (the workspace's packages first, then the product that imports them). */
function buildsOfNpmScript(): Build[] {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return [...(scripts.build ?? '').matchAll(/tsc -p (\S+)/g)].map(([, config]) => {
    const { include, rootDir, outDir, tsBuildInfoFile } = readTsConfig(config!);
    return { config: config!, buildInfo: tsBuildInfoFile, sources: Object.fromEntries(include.map((dir) => [dir, join(outDir, relative(rootDir, dir))])) };
  });
}

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
  const builds = buildsOfNpmScript();
  if (builds.length === 0) throw new Error('package.json\'s build script runs no `tsc -p <config>`: nothing to build the commands with');
  for (const build of builds) await buildOne(build);
}

export default async function setup(): Promise<void> {
  shared.build ??= buildAll();
  await shared.build;
}

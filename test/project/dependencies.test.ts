/**
 * A production install (`npm ci --omit=dev`, the Docker image) has only what
 * `dependencies` name: every package the shipped code imports at run time must
 * be there, in the product and in each workspace package, or the worker or the
 * demo fails on a server with "Cannot find package".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/** Imports that stay in the compiled code: `import type` and `export type` are erased. */
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\b)(?:[^;']*?\bfrom\s+)?'([^'.][^']*)'/gm;
/** import('x'), require('x'), and createRequire(…)('x'). */
const DYNAMIC_IMPORT = /(?:\b(?:import|require|require\.resolve)|\))\(\s*'([^'.][^']*)'\s*\)/g;

const packageNameOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

interface Shipped {
  manifest: string;
  sources: string[];
}

/** What each package.json ships: the product's src/ and scripts/, each workspace package's src/. */
const SHIPPED: Shipped[] = [
  { manifest: 'package.json', sources: ['src', 'scripts'] },
  ...readdirSync('packages').map((name) => ({ manifest: `packages/${name}/package.json`, sources: [`packages/${name}/src`] })),
];

function runtimeImports(dir: string): { file: string; name: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return [...text.matchAll(STATIC_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((match) => ({ file: join(dir, file), name: packageNameOf(match[1]!) }));
    })
    .filter(({ name }) => !isBuiltin(name));
}

it.each(SHIPPED)('$manifest names in dependencies every package its shipped code imports', ({ manifest, sources }) => {
  const { name, dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; dependencies?: Record<string, string> };
  const imports = sources.flatMap(runtimeImports);
  const missing = imports.filter(({ name: imported }) => imported !== name && !(imported in dependencies)).map(({ file, name: imported }) => `${file} imports ${imported}`);
  expect(missing).toEqual([]);
});

it('finds the imports it checks', () => {
  const found = new Set(['src', 'scripts'].flatMap(runtimeImports).map(({ name }) => name));
  // One of each kind: a static import, a dynamic import(), and a createRequire() call.
  expect([...found]).toEqual(expect.arrayContaining(['bullmq', '@tokensync/pglite-server', 'pino-pretty']));
});

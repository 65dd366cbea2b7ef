/**
 * The architecture as a rule: every import in src/ points down this list of
 * layers (or stays in its own), so the Notion and Supabase sides never reach up
 * into the sync engine, the jobs or the worker, and a new folder has to be placed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect, it } from 'vitest';

/** Bottom first. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'datasets.ts', 'local-time.ts'],
  ['notion'], // the Notion side: a client, provisioning, the catalogue, the rate limit; knows no configuration
  ['config'],
  ['logging', 'supabase'], // the Supabase side
  ['report', 'inbound', 'sdk'],
  ['sync'], // the sync engine
  ['jobs'],
  ['api'], // the usage API service: run by itself (npm run api) or hosted by the worker
  ['worker'],
  ['cli', 'verify', 'demo', 'index.ts'], // entry points
];

const layerOf = new Map(LAYERS.flatMap((names, index) => names.map((name) => [name, index] as const)));

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g;

interface Arrow {
  from: string;
  line: number;
  to: string;
}

/** Every relative import in src/, as the top-level entries it joins. */
function arrows(): Arrow[] {
  const found: Arrow[] = [];
  for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const path = join('src', file);
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        for (const match of text.matchAll(IMPORT)) {
          const target = relative('src', normalize(join(dirname(path), match[1]!)));
          found.push({ from: file, line: index + 1, to: target.replace(/\.js$/, '.ts') });
        }
      });
  }
  return found;
}

const topOf = (path: string) => path.split('/')[0]!;

it('places every folder and file at the top of src/ in a layer', () => {
  const unplaced = readdirSync('src').filter((name) => !name.endsWith('.md') && !layerOf.has(name));
  expect(unplaced).toEqual([]);
});

it('has every import in src/ point down the layers, never up', () => {
  const all = arrows();
  expect(all.length).toBeGreaterThan(100);
  const upward = all
    .filter(({ from, to }) => (layerOf.get(topOf(to)) ?? -1) > (layerOf.get(topOf(from)) ?? -1))
    .map(({ from, line, to }) => `src/${from}:${line} imports src/${to}`);
  expect(upward).toEqual([]);
});

it('keeps src/ inside the product: nothing reaches out of it but through packages', () => {
  const outside = arrows()
    .filter(({ to }) => to.startsWith('..'))
    .map(({ from, line, to }) => `src/${from}:${line} imports ${to}`);
  expect(outside).toEqual([]);
});

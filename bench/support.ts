/**
 * What every benchmark shares: a throwaway migrated database, the machine and
 * commit the figures belong to, and the BENCHMARKS.md section each one owns.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrate } from '../src/supabase/migrator.js';

const run = promisify(execFile);

export interface BenchContext {
  /** A freshly migrated database of the benchmark's own, dropped afterwards. */
  databaseUrl: string;
}

export interface BenchResult {
  /** One row per figure: what, value, unit. */
  figures: [string, string, string][];
  /** How it was measured, in a sentence or two. */
  method: string;
}

export interface Benchmark {
  /** Names its section in BENCHMARKS.md and the --only option. */
  id: string;
  title: string;
  run(context: BenchContext): Promise<BenchResult>;
}

/** Creates `tokensync_bench_<pid>` next to the server's database in adminUrl, migrated; returns its URL and a drop(). */
export async function throwawayDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tokensync_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate({ databaseUrl: url.toString() });
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function output(command: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(command, args)).stdout.trim();
  } catch {
    return undefined;
  }
}

export async function describeRun(databaseUrl: string): Promise<{ machine: string; commit: string; date: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v").finally(() => client.end());
  const head = (await output('git', ['rev-parse', '--short', 'HEAD'])) ?? 'unknown';
  // BENCHMARKS.md is rewritten by the run itself, so it does not make the code dirty.
  const dirty = (await output('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!BENCHMARKS.md'])) ? ' + uncommitted changes' : '';
  const cpu = cpus();
  return {
    machine: `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL ${rows[0]?.v ?? '?'} (local)`,
    commit: `${head}${dirty}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

export const BENCHMARKS_FILE = 'BENCHMARKS.md';
const HEADER = `# Benchmarks

Produced by \`npm run bench\` (each section by the benchmark of the same name;
\`npm run bench -- --only ID\` reruns one). Figures depend on the machine: compare
runs on the same one.
`;

/** Replaces (or appends) the section between this benchmark's markers. */
export async function writeSection(id: string, markdown: string): Promise<void> {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const current = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, 'utf8') : HEADER;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(BENCHMARKS_FILE, next);
}

export function renderSection(benchmark: Benchmark, result: BenchResult, about: { machine: string; commit: string; date: string; command: string }): string {
  return [
    `## ${benchmark.title}`,
    '',
    `- machine: ${about.machine}`,
    `- commit: ${about.commit} (${about.date})`,
    `- command: \`${about.command}\``,
    `- method: ${result.method}`,
    '',
    '| figure | value | unit |',
    '|---|---:|---|',
    ...result.figures.map(([what, value, unit]) => `| ${what} | ${value} | ${unit} |`),
  ].join('\n');
}

/** The median of a few runs: one slow run (a GC, a checkpoint) should not be the figure. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

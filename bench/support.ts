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
import { isConnectionFailure, unreachableDatabase } from '../src/supabase/postgres-transport.js';

const run = promisify(execFile);

export interface BenchContext {
  /** A freshly migrated database of the benchmark's own, dropped afterwards. */
  databaseUrl: string;
  /** Redis for worker processes; each benchmark uses a queue prefix of its own and removes it. */
  redisUrl: string;
  /**
   * Smaller runs of the volume benchmark (`--history`, `--seconds`); the bars are set for the defaults.
   * The free-workspace benchmark's calls per simulated day (`--calls-per-day`) and last day (`--end`).
   */
  scale?: { historyRows?: number; loadSeconds?: number; callsPerDay?: number; end?: string; soakMinutes?: number; seed?: number };
}

/** One row of a section's table: tokensync's figure, the naive baseline's, and the bar. */
export interface Figure {
  what: string;
  value: string;
  naive: string;
  /** tokensync ÷ naive. */
  ratio: string;
  bar: string;
  verdict: '' | 'pass' | 'FAIL';
  note: string;
}

export interface BenchResult {
  figures: Figure[];
  /** How it was measured, in a sentence or two. */
  method: string;
}

export interface Benchmark {
  /** Names its section in BENCHMARKS.md and the --only option. */
  id: string;
  title: string;
  /** Runs only when asked for by name (--only): it takes too long for every run. */
  onRequestOnly?: boolean;
  run(context: BenchContext): Promise<BenchResult>;
}

export const format = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A figure, its naive counterpart (if it has one) and the bar it is held to. */
export function figure(
  what: string,
  value: number,
  naive: number | undefined,
  options: { bar?: string; pass?: boolean; digits?: number; note?: string } = {},
): Figure {
  const digits = options.digits ?? (Math.abs(value) < 10 ? 2 : 0);
  const comparable = naive !== undefined && Number.isFinite(naive) && naive !== 0;
  return {
    what,
    value: format(value, digits),
    naive: naive === undefined ? '—' : format(naive, digits),
    ratio: comparable ? `${format(value / naive, value / naive < 10 ? 2 : 0)}×` : naive === 0 ? 'n/a (naive 0)' : '—',
    bar: options.bar ?? '',
    verdict: options.pass === undefined ? '' : options.pass ? 'pass' : 'FAIL',
    note: options.note ?? '',
  };
}

/** Prints figures as a phase finishes them (a run takes minutes); returns them. */
export function progress(figures: Figure[]): Figure[] {
  for (const f of figures) process.stdout.write(`  … ${f.what}: ${f.value}${f.naive === '—' ? '' : ` (naive ${f.naive})`}\n`);
  return figures;
}

/** Creates `tokensync_bench_<pid>` next to the server's database in adminUrl, migrated; returns its URL and a drop(). */
export async function throwawayDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tokensync_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect().catch((error: unknown) => {
      throw isConnectionFailure(error) ? unreachableDatabase(adminUrl, error) : error;
    });
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

Produced by \`npm run bench\`, which writes this file anew (\`npm run bench -- --only ID\`
reruns one section in place). Every figure stands beside the same measure of a naive
baseline — load the change set, query Notion by key per row, then create or update; no
content hash, no shared rate limit (\`bench/naive.ts\`). Figures depend on the machine:
compare runs on the same one.
`;

/** A section between its markers. */
const block = (id: string, markdown: string) => `<!-- bench:${id}:start -->\n${markdown.trim()}\n<!-- bench:${id}:end -->`;

/**
 * A full run writes the file anew: the header, every bar of the run at a glance, then each section.
 * The sections of `kept` (benchmarks run only on request) stay as they were on file.
 */
export async function writeAll(sections: { id: string; markdown: string }[], summary: string, kept: string[] = []): Promise<void> {
  const current = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, 'utf8') : '';
  const carried = kept.flatMap((id) => {
    const existing = blockOf(current, id);
    return existing ? [{ id, markdown: existing.body }] : [];
  });
  const body = [HEADER.trimEnd(), block('summary', summary), ...[...sections, ...carried].map((s) => block(s.id, s.markdown))].join('\n\n');
  await writeFile(BENCHMARKS_FILE, `${body}\n`);
}

const summaryRows = (benchmark: Benchmark, result: BenchResult) =>
  result.figures.filter((f) => f.bar).map((f) => `| ${benchmark.title} | ${f.what} | ${f.value} | ${f.naive} | ${f.bar} | ${f.verdict} |`);
const verdictLine = (rows: string[]) => {
  const missed = rows.filter((row) => row.endsWith('| FAIL |')).length;
  return `- ${missed === 0 ? 'every bar met' : `${missed} bar(s) missed`}; each section below says how its figures were measured`;
};
const RERUN_PREFIX = '- sections rerun since, with `--only`: ';

/** Every figure held to a bar, from every section of one run. */
export function renderSummary(results: { benchmark: Benchmark; result: BenchResult }[], about: { machine: string; commit: string; date: string; command: string }): string {
  const rows = results.flatMap(({ benchmark, result }) => summaryRows(benchmark, result));
  return [
    '## Every bar of DESIGN §5, one run',
    '',
    `- machine: ${about.machine}`,
    `- commit: ${about.commit} (${about.date}); command: \`${about.command}\``,
    verdictLine(rows),
    '',
    '| section | figure | tokensync | naive baseline | bar | |',
    '|---|---|---:|---:|---|---|',
    ...rows,
  ].join('\n');
}

/** The text between a block's markers in BENCHMARKS.md, or undefined. */
function blockOf(file: string, id: string): { from: number; to: number; body: string } | undefined {
  const start = `<!-- bench:${id}:start -->`;
  const from = file.indexOf(start);
  const to = file.indexOf(`<!-- bench:${id}:end -->`);
  return from >= 0 && to > from ? { from: from + start.length, to, body: file.slice(from + start.length, to).trim() } : undefined;
}

/** A table row's cells (a pipe inside a cell is written "\\|", so never follows a space). */
const cellsOf = (row: string) => row.slice(2, -2).split(/ \| /);

/**
 * After `--only ID`: the summary's rows for that section take the figures now on
 * file for it, and the summary says which sections were rerun since the full
 * run, at which commit. A section's row is found by its figure's name (the
 * section adds a note in parentheses after it).
 */
export async function refreshSummary(id: string, figures: Figure[] = []): Promise<void> {
  if (!existsSync(BENCHMARKS_FILE)) return;
  const file = await readFile(BENCHMARKS_FILE, 'utf8');
  const summary = blockOf(file, 'summary');
  const section = blockOf(file, id);
  if (!summary || !section) return;
  const sectionLines = section.body.split('\n');
  const title = sectionLines[0]!.replace(/^## /, '');
  const commit = sectionLines.find((line) => line.startsWith('- commit: '))?.slice('- commit: '.length) ?? 'unknown';
  const onFile = sectionLines.filter((line) => line.startsWith('| ') && !line.startsWith('| figure |')).map(cellsOf);

  let lines = summary.body.split('\n');
  // A section the full run left out (run only on request) gets its bars added the first time.
  if (!lines.some((line) => line.startsWith(`| ${title} |`))) {
    const last = lines.findLastIndex((line) => line.startsWith('| '));
    lines.splice(last + 1, 0, ...figures.filter((f) => f.bar).map((f) => `| ${title} | ${f.what} | ${f.value} | ${f.naive} | ${f.bar} | ${f.verdict} |`));
  }
  lines = lines.map((line) => {
    if (!line.startsWith(`| ${title} |`)) return line;
    const [, what, , naive, bar] = cellsOf(line);
    const now = onFile.find(([name]) => name === what || name!.startsWith(`${what} (`));
    return now ? `| ${title} | ${what} | ${now[1]} | ${naive === '—' ? '—' : now[2]} | ${bar} | ${now[5]} |` : line;
  });
  const reruns = new Map(
    (lines.find((line) => line.startsWith(RERUN_PREFIX))?.slice(RERUN_PREFIX.length).split('; ') ?? []).map((entry) => [entry.split(' ')[0]!, entry]),
  );
  reruns.set(id, `${id} at ${commit}`);
  const rows = lines.filter((line) => line.startsWith('| ') && !line.startsWith('| section |') && !line.startsWith('|---'));
  lines = lines
    .filter((line) => !line.startsWith(RERUN_PREFIX))
    .map((line) => (line.startsWith('## Every bar') ? '## Every bar of DESIGN §5' : line.startsWith('- every bar met') || / bar\(s\) missed; /.test(line) ? verdictLine(rows) : line));
  lines.splice(lines.findIndex((line) => line.startsWith('- commit: ')) + 1, 0, `${RERUN_PREFIX}${[...reruns.values()].join('; ')}`);
  await writeFile(BENCHMARKS_FILE, `${file.slice(0, summary.from)}\n${lines.join('\n')}\n${file.slice(summary.to)}`);
}

/** Replaces (or appends) the section between this benchmark's markers. */
export async function writeSection(id: string, markdown: string): Promise<void> {
  const current = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, 'utf8') : HEADER;
  const existing = blockOf(current, id);
  const next = existing
    ? `${current.slice(0, existing.from)}\n${markdown.trim()}\n${current.slice(existing.to)}`
    : `${current.trimEnd()}\n\n${block(id, markdown)}\n`;
  await writeFile(BENCHMARKS_FILE, next);
}

export function renderSection(benchmark: Benchmark, result: BenchResult, about: { machine: string; commit: string; date: string; command: string }): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    `## ${benchmark.title}`,
    '',
    `- machine: ${about.machine}`,
    `- commit: ${about.commit} (${about.date})`,
    `- command: \`${about.command}\``,
    `- method: ${result.method}`,
    '',
    '| figure | tokensync | naive baseline | tokensync ÷ naive | bar | |',
    '|---|---:|---:|---:|---|---|',
    ...result.figures.map((f) => `| ${cell(f.what)}${f.note ? ` (${cell(f.note)})` : ''} | ${f.value} | ${f.naive} | ${f.ratio} | ${f.bar} | ${f.verdict} |`),
  ].join('\n');
}

/** What `work` resolves to, and how many seconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, (performance.now() - started) / 1000];
}

/** The median of a few runs: one slow run (a GC, a checkpoint) should not be the figure. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

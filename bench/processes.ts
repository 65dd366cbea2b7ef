/**
 * The processes a benchmark runs: the Notion fake, worker processes exactly as
 * `npm run worker` starts them, and the naive baseline. Each is a child of its
 * own, so its CPU and memory are its own, measured from /proc.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectedFault, NotionRequest, StartMessage, TimedRequest } from './notion-process.js';
import type { RateLimitOptions, StatsSnapshot } from '@tokensync/notion-sandbox';

const ROOT = join(import.meta.dirname, '..');
/** Children start in an empty directory, so no developer's .env or .env.local reaches them … */
const EMPTY_CWD = mkdtempSync(join(tmpdir(), 'tokensync-bench-'));
/** … which is why the TypeScript loader is named by its full path. */
const TSX = import.meta.resolve('tsx');
/** How a TypeScript entry point runs: through tsx, with the workspace's packages resolved to their sources. */
const TS_SOURCE = ['--conditions=tokensync-source', '--import', TSX];

export interface RemoteNotion {
  url: string;
  token: string;
  stats(): Promise<StatsSnapshot>;
  /** Every request answered since the last reset, with the time it was answered. */
  timeline(): Promise<TimedRequest[]>;
  reset(): Promise<void>;
  setRateLimit(limit: RateLimitOptions | false): Promise<void>;
  livePages(dataSourceId: string): Promise<number>;
  /** When the page whose `property` reads `value` was created (ms), or null while there is none. */
  createdAt(dataSourceId: string, property: string, value: string): Promise<number | null>;
  /** When the page whose `property` reads `value` was last written (ms): a ring slot overwritten in place keeps an older created_time. */
  writtenAt(dataSourceId: string, property: string, value: string): Promise<number | null>;
  /** Sum of a number property over the live pages, in micro-units (as a decimal string). */
  sumNumber(dataSourceId: string, property: string): Promise<string>;
  /** Live pages per value of a text property (a row's key). */
  keys(dataSourceId: string, property: string): Promise<Record<string, number>>;
  inject(fault: InjectedFault): Promise<void>;
  close(): Promise<void>;
}

export async function startRemoteNotion(options: { rateLimit: RateLimitOptions | false; parentPageId: string }): Promise<RemoteNotion> {
  const child = fork(join(ROOT, 'bench/notion-process.ts'), [], { execArgv: TS_SOURCE, cwd: EMPTY_CWD, stdio: 'inherit' });
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (message: { id: number; result: unknown; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(`notion fake: ${message.error}`));
    else waiter?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the Notion fake exited (${code})`));
  });
  const ask = <T>(body: NotionRequest | StartMessage): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, body });
    });

  const { url, token } = await ask<{ url: string; token: string }>({ op: 'start', ...options });
  return {
    url,
    token,
    stats: () => ask({ op: 'stats' }),
    timeline: () => ask({ op: 'timeline' }),
    reset: () => ask({ op: 'reset' }),
    setRateLimit: (limit) => ask({ op: 'setRateLimit', limit }),
    livePages: (dataSourceId) => ask({ op: 'livePages', dataSourceId }),
    createdAt: (dataSourceId, property, value) => ask({ op: 'createdAt', dataSourceId, property, value }),
    writtenAt: (dataSourceId, property, value) => ask({ op: 'writtenAt', dataSourceId, property, value }),
    sumNumber: (dataSourceId, property) => ask({ op: 'sumNumber', dataSourceId, property }),
    keys: (dataSourceId, property) => ask({ op: 'keys', dataSourceId, property }),
    inject: (fault) => ask({ op: 'fault', fault }),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

export interface BenchProcess {
  child: ChildProcess;
  /** Peak resident set so far (VmHWM), in bytes; 0 once the process is gone. */
  peakRss(): number;
  /** Everything it wrote to stderr (and stdout), for the error message when it fails. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

function peakRssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * The Node flags `npm run worker` gives the worker (package.json), so the measured
 * process is the one people run. The heap cap matters: without one, V8 sizes the
 * heap by the machine's memory and lets garbage pile up to ~240 MB of RSS.
 */
function workerNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return (scripts.worker ?? '').split(/\s+/).filter((word) => word.startsWith('--') && !/^--(import|conditions)(=|$)/.test(word));
}

/** Runs a TypeScript entry point of the project (`scripts/worker.ts`, `bench/naive-process.ts`) as `npm run` would. */
export function spawnScript(script: string, env: Record<string, string>, args: string[] = []): BenchProcess {
  const flags = script === 'scripts/worker.ts' ? workerNodeFlags() : [];
  const child = spawn(process.execPath, [...flags, ...TS_SOURCE, join(ROOT, script), ...args], {
    cwd: EMPTY_CWD,
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    peakRss: () => peakRssOf(child.pid),
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once the fake has answered no request for `quietMs`: a worker's start-up runs are done. */
export async function untilNotionQuiet(notion: RemoteNotion, timeoutMs = 60_000, quietMs = 2_000): Promise<void> {
  await until('the start-up passes to finish', async () => {
    const before = (await notion.stats()).total;
    await new Promise((r) => setTimeout(r, quietMs));
    return (await notion.stats()).total === before;
  }, timeoutMs, 0);
}

export { freePort } from '../test/support/free-port.js';

/** Sums of a worker's Prometheus counters, by metric name and label filter. */
export async function scrapeMetrics(port: number): Promise<(name: string, labels?: Record<string, string>) => number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = text.split('\n').filter((line) => line && !line.startsWith('#'));
  return (name, labels = {}) =>
    samples
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

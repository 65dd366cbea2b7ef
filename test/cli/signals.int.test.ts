/**
 * The commands as operators start them, through npm: a signal to npm, to the
 * process group (a terminal's Ctrl-C, `timeout`, `kill -- -PGID`) or a second
 * one must end every process under npm, through the ordered shutdown.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_ECHO_MS } from '../../src/cli/signals.js';
import { insertLogs } from '../support/fixtures.js';
import { harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { spawnWorker, waitUntil, type WorkerProcess } from '../worker/processes.js';
import { dropPrefix, uniquePrefix } from '../worker/redis.js';

/** How long every process under npm may take to be gone after the signal. */
const GONE_WITHIN_MS = 15_000;

let h: SyncHarness;
let prefix: string;
let started: { run: WorkerProcess; tree: number[] }[];
beforeEach(async () => {
  h = await startSyncHarness();
  prefix = uniquePrefix();
  started = [];
});
afterEach(async () => {
  // Whatever a failed test left running (an orphaned node above all) goes now.
  for (const { run, tree } of started) {
    for (const pid of [run.child.pid!, ...tree]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  await Promise.all(started.map(({ run }) => run.exited));
  await h.close();
  await dropPrefix(prefix);
});

/** Running and not a zombie (a zombie has exited; only its parent has not read its status yet). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^Z/.test(execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  } catch {
    return false;
  }
}

/** Every process below `root`: npm's shell, tsx, node, whatever the chain is. */
function descendants(root: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const [child, parent] of rows) {
      if (parent === pid) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: process.env.HOME ?? '/tmp',
    npm_config_update_notifier: 'false',
    ...harnessEnvironment(h, prefix),
    NOTION_REQUESTS_PER_SECOND: '50',
    SYNC_SETTLE_MS: '0',
    WORKER_HTTP_PORT: '0',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    LOG_FORMAT: 'json',
    ...overrides,
  };
}

/** `npm run <script> -- args` in a process group of its own; once `ready` resolves, the processes under npm are recorded. */
async function npmRun(script: string, args: string[], ready: (run: WorkerProcess) => Promise<unknown>, overrides: Record<string, string> = {}) {
  const run = spawnWorker(env(overrides), { command: ['npm', 'run', '--silent', script, '--', ...args], detached: true });
  const entry = { run, tree: [] as number[] };
  started.push(entry);
  await ready(run);
  entry.tree = descendants(run.child.pid!);
  expect(entry.tree.length).toBeGreaterThan(0);
  return entry;
}

const allGone = (pids: number[]) => waitUntil(() => pids.every((pid) => !alive(pid)), 50, GONE_WITHIN_MS);
const workerStarted = (run: WorkerProcess) => run.port();
const line = (run: WorkerProcess, msg: string) => run.lines.some((l) => l.msg === msg);
/** A pass is writing: the first page create is held by the fake for `ms`. */
async function createInFlight(ms: number) {
  await insertLogs(h.db.pool, Array.from({ length: 30 }, () => ({})));
  h.fake.faults.delay(ms, { count: 1, match: { method: 'POST', route: '/v1/pages' } });
  return () => waitUntil(() => h.fake.faults.pending().length === 0, 20, 30_000);
}

describe('npm run worker, stopped by a signal', () => {
  it('SIGTERM to npm: the worker shuts down in order and every process under npm is gone', { timeout: 60_000 }, async () => {
    const { run, tree } = await npmRun('worker', [], workerStarted);
    process.kill(run.child.pid!, 'SIGTERM');
    await allGone(tree);
    expect(await run.exited).toBe(0);
    expect(line(run, 'stopped')).toBe(true);
    expect(line(run, 'second signal: exiting now')).toBe(false);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the process group (npm relays it too): one ordered shutdown, not a forced exit`, { timeout: 60_000 }, async () => {
      const { run, tree } = await npmRun('worker', [], workerStarted);
      process.kill(-run.child.pid!, signal);
      await allGone(tree);
      await run.exited;
      expect(line(run, 'stopped')).toBe(true);
      expect(line(run, 'second signal: exiting now')).toBe(false);
    });
  }

  it('a second signal, after the first, exits at once while a job is still in flight', { timeout: 60_000 }, async () => {
    const writing = await createInFlight(30_000);
    const { run, tree } = await npmRun('worker', [], workerStarted, { WORKER_SHUTDOWN_TIMEOUT_MS: '25000' });
    await writing();
    process.kill(run.child.pid!, 'SIGTERM');
    await run.waitForLine((l) => l.msg === 'stopping');
    // Past the window in which a copy of the same signal counts as one.
    await new Promise((resolve) => setTimeout(resolve, SIGNAL_ECHO_MS + 200));
    expect(tree.every(alive)).toBe(true);
    process.kill(run.child.pid!, 'SIGTERM');
    await allGone(tree);
    expect(await run.exited).toBe(1);
    expect(line(run, 'second signal: exiting now')).toBe(true);
    expect(line(run, 'stopped')).toBe(false);
  });
});

describe('npm run sync -- --once, stopped by a signal', () => {
  const passStarted = (run: WorkerProcess) => waitUntil(() => run.child.exitCode === null && descendants(run.child.pid!).length > 0 && h.fake.faults.pending().length === 0, 20, 30_000);

  for (const target of ['npm', 'group'] as const) {
    it(`SIGTERM to ${target === 'npm' ? 'npm' : 'the process group (as timeout sends it)'}: the pass stops after the write in flight, prints its summary, exits 143`, { timeout: 60_000 }, async () => {
      await createInFlight(2_000);
      const { run, tree } = await npmRun('sync', ['--once'], passStarted);
      process.kill(target === 'npm' ? run.child.pid! : -run.child.pid!, 'SIGTERM');
      await allGone(tree);
      expect(await run.exited).toBe(143);
      expect(run.stderr()).toMatch(/SIGTERM: stopping after the writes in flight/);
      expect(run.lines.some((l) => /^dataset\s+read\s+created/.test(String(l.msg)))).toBe(true);
    });
  }
});

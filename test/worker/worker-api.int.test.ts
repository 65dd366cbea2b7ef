/**
 * The worker serving the usage API itself (`npm run worker -- --api`, or
 * WORKER_API=true): one process answers budget checks with a user's token and
 * serves the OpenAPI document beside its health server; SIGTERM stops both, a
 * request in flight still gets its answer; without the API's secret it refuses
 * to start, naming the variable.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, TEST_JWT_SECRET } from '../support/api.js';
import { scriptCommand } from '../support/cli.js';
import { harnessEnvironment, startSyncHarness, type SyncHarness } from '../sync/harness.js';
import { spawnWorker, type WorkerProcess } from './processes.js';
import { dropPrefix, uniquePrefix } from './redis.js';

let h: SyncHarness;
const prefix = uniquePrefix();
const started: WorkerProcess[] = [];

beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(async () => {
  for (const w of started) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(started.map((w) => w.exited));
  await h?.close();
  await dropPrefix(prefix);
});

function start(env: Record<string, string>, args: string[] = []): WorkerProcess {
  const worker = spawnWorker(
    {
      ...harnessEnvironment(h, prefix),
      SYNC_INTERVAL_MS: '60000',
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
      API_PORT: '0',
      // The request held in flight below must wait for the database: not be decided by the fail
      // policy, nor answered from the cache of the question asked just before it.
      BUDGET_CHECK_TIMEOUT_MS: '30000',
      BUDGET_CHECK_CACHE_TTL_MS: '0',
      ...env,
    },
    { command: [...scriptCommand('worker'), ...args] },
  );
  started.push(worker);
  return worker;
}

const check = (url: string, token: string, estimatedCost: number) =>
  fetch(`${url}/v1/budget/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ estimatedCost }),
  });

describe('npm run worker -- --api', () => {
  it('answers a user\'s budget check and serves /openapi.json; SIGTERM lets a request in flight finish, then exits 0', { timeout: 90_000 }, async () => {
    const worker = start({ SUPABASE_JWT_SECRET: TEST_JWT_SECRET }, ['--api']);
    const line = await worker.waitForLine((l) => l.msg === 'worker started');
    expect(line.apiPort).toEqual(expect.any(Number));
    const url = `http://127.0.0.1:${line.apiPort as number}`;
    const token = await mintToken({ sub: 'alice' });

    const answer = await check(url, token, 0.01);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ allowed: true, source: 'database' });
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\.1/);
    expect(Object.keys(document.paths)).toContain('/v1/budget/check');
    // The health server is still the worker's, on its own port.
    expect((await fetch(`http://127.0.0.1:${line.port as number}/healthz`)).status).toBe(200);

    // Hold the limits table, so the next check waits in the database: a request in flight.
    const blocker = new pg.Client({ connectionString: h.db.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table public.budget_limits in access exclusive mode');
      let answered = false;
      const inFlight = check(url, token, 0.02).finally(() => (answered = true));
      await waitForLockWaiter(blocker);
      expect(answered).toBe(false);
      worker.child.kill('SIGTERM');
      await worker.waitForLine((l) => l.msg === 'stopping');
      // Stopping, yet still waiting on that request: not exited.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(worker.child.exitCode).toBeNull();
      await blocker.query('commit');
      const late = await inFlight;
      expect(late.status).toBe(200);
      expect(await late.json()).toMatchObject({ allowed: true, source: 'database' });
    } finally {
      await blocker.end();
    }
    expect(await worker.exited).toBe(0);
    expect(worker.lines.map((l) => l.msg), JSON.stringify(worker.lines.slice(-12))).toContain('usage API stopped');
    expect(worker.lines.some((l) => l.msg === 'stopped')).toBe(true);
  });

  it('WORKER_API=true without a way to verify tokens: one line naming SUPABASE_JWT_SECRET, exit 2', async () => {
    const worker = start({ WORKER_API: 'true' });
    expect(await worker.exited).toBe(2);
    expect(worker.stderr()).toMatch(/SUPABASE_JWT_SECRET.*is required by the API/);
    expect(worker.lines.some((l) => l.msg === 'worker started')).toBe(false);
  });
});

/**
 * Resolves once the budget check waits on the lock the blocker holds; or, after
 * two seconds, once anything does: under load a job of the worker's may reach
 * the table first and hold the connection the check waits for. Either way the
 * check cannot be answered before the blocker commits.
 */
async function waitForLockWaiter(blocker: pg.Client): Promise<void> {
  const started = Date.now();
  for (let i = 0; i < 200; i++) {
    const { rows } = await blocker.query<{ check: number; any: number }>(
      `select count(*) filter (where a.query like '%tokensync_budget_question%')::int as check, count(*)::int as any
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and l.relation = 'public.budget_limits'::regclass and l.pid <> pg_backend_pid()`,
    );
    if (rows[0]!.check > 0 || (rows[0]!.any > 0 && Date.now() - started > 2000)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('nothing came to wait on the lock');
}

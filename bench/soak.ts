/**
 * The soak: two worker processes for an hour (by default) under a mixed load,
 * with faults injected at random from a seeded schedule, one at a time:
 * Notion answering 5xx, 529 and 429 storms, lost create responses and slow
 * answers; Redis killed and started again empty; Postgres unreachable; one of
 * the workers killed with SIGKILL and started again, as a supervisor would.
 *
 * Afterwards the load stops, the faults end, and the run waits until Notion
 * shows every row. It records rows in, pages out, duplicate pages, rows and
 * alerts lost, the RSS of the worker that is never killed (peak, after
 * warm-up, at the end), Redis keys, and the longest stall.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DATASETS, type Dataset } from '../src/datasets.js';
import { seeded } from '../src/demo/synthetic.js';
import { KEEP_COMPLETED, KEEP_FAILED } from '../src/worker/queues.js';
import { startOwnRedis } from '../test/support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { PARENT_PAGE_ID, provision, spawnWorker } from './fixtures.js';
import type { InjectedFault } from './notion-process.js';
import { freePort, scrapeMetrics, startRemoteNotion, until, type BenchProcess, type RemoteNotion } from './processes.js';
import { figure, format, median, type Benchmark, type BenchContext, type Figure } from './support.js';

export const DEFAULT_SOAK_MINUTES = 60;
export const DEFAULT_SOAK_SEED = 1;

/** Notion's own limit, as the fake enforces it; the workers share one at the same rate through Redis. */
const NOTION_RATE = { requestsPerSecond: 3, burst: 10 };
/** Calls logged per second on average, and now and then a burst (a batch job). */
const CALLS_PER_SECOND = 1;
const BURST_CALLS = 200;
const BURST_EVERY_S = 600;
const USERS = 200;
const USERS_WITH_LIMITS = 40;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'o3', 'gpt-4.1', 'claude-sonnet-4', 'claude-haiku-3.5', 'gemini-2.5-pro', 'gemini-2.5-flash'];
const SERVICES = ['1:1_conversation', 'virtual_panel', 'workflow', 'solution_builder'];
/** Faults come one at a time, this far apart (s). */
const FAULT_GAP_S = { min: 45, max: 150 };
/** No fault starts in the last stretch: the run ends on a quiet spell. */
const QUIET_END_S = 120;
const SAMPLE_EVERY_MS = 5_000;
const CONVERGE_TIMEOUT_MS = 20 * 60_000;
const QUEUE_PREFIX = 'tokensync-soak';
/** Every call of the run has a page: the soak is about faults, not the window's share (measured by `volume`). */
const WORKER_ENV = {
  NOTION_REQUESTS_PER_SECOND: String(NOTION_RATE.requestsPerSecond),
  TOKEN_LOG_REQUEST_SHARE: '1',
  TOKEN_LOG_PAGE_BUDGET: '50000',
  REPORT_INTERVAL_MS: '300000',
  WORKER_SHUTDOWN_TIMEOUT_MS: '15000',
  LOG_LEVEL: 'warn',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident set now (VmRSS), in bytes; 0 once the process is gone. */
function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Redis keys, told apart: the jobs each queue keeps once done (bounded by its
 * retention, KEEP_COMPLETED and KEEP_FAILED) and everything else, which must not grow.
 */
interface RedisKeys {
  total: number;
  /** The most completed jobs any one queue keeps. */
  mostCompletedInAQueue: number;
  failed: number;
  /** Keys that are not a kept job: queues' own keys, live jobs, the shared limit, leases. */
  other: number;
}

/** The soak's own Redis (killed and started again empty) and a client that counts its keys. */
interface SoakRedis {
  url: string;
  restart(downMs: number): Promise<void>;
  keys(): Promise<RedisKeys>;
  close(): Promise<void>;
}

async function startSoakRedis(): Promise<SoakRedis> {
  const server = await startOwnRedis();
  const probe = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  // Down on purpose while restarting: the probe retries, and says nothing.
  probe.on('error', () => undefined);
  return {
    url: server.url,
    restart: (downMs) => server.restartEmpty(downMs),
    keys: () => countKeys(probe).catch(() => ({ total: 0, mostCompletedInAQueue: 0, failed: 0, other: 0 })),
    async close() {
      probe.disconnect();
      await server.stop();
    },
  };
}

async function countKeys(redis: Redis): Promise<RedisKeys> {
  const total = Number(await redis.dbsize());
  const sets = await redis.keys(`${QUEUE_PREFIX}:*:completed`);
  const completed = await Promise.all(sets.map((key) => redis.zcard(key)));
  const failedSets = await redis.keys(`${QUEUE_PREFIX}:*:failed`);
  const failed = (await Promise.all(failedSets.map((key) => redis.zcard(key)))).reduce((a, b) => a + b, 0);
  const kept = completed.reduce((a, b) => a + b, 0) + failed;
  return { total, mostCompletedInAQueue: Math.max(0, ...completed), failed, other: total - kept };
}

/** The proxy's address for `databaseUrl`: the same database, user and password, reached through the proxy. */
function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

/** The load an application makes: calls logged, and now and then a limit edited. */
function createLoad(pool: pg.Pool, random: () => number, expectedMinutes: number) {
  let calls = 0;
  let limitEdits = 0;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  /** Poisson-distributed count with the given mean (Knuth). */
  const poisson = (mean: number) => {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k += 1;
    return k;
  };

  async function insertCalls(count: number) {
    if (count === 0) return;
    const rows = Array.from({ length: count }, () => {
      const prompt = 100 + Math.floor(random() * 3900);
      const completion = 50 + Math.floor(random() * 950);
      const service = pick(SERVICES);
      const workflow = service === 'workflow' ? `wf-${Math.floor(random() * 5)}` : null;
      return [
        `soak-${calls++}`, `soak-user-${Math.floor(random() * USERS)}`, `soak-session-${Math.floor(random() * 2000)}`, service,
        workflow, workflow ? pick(['plan', 'draft', 'review']) : null, pick(MODELS), prompt, completion,
        (prompt * 2.5e-6).toFixed(8), (completion * 1e-5).toFixed(8), 200 + Math.floor(random() * 4000), random() > 0.03,
      ];
    });
    await pool.query(
      `insert into public.token_usage_logs (request_id, user_id, session_id, service_type, workflow_id, workflow_step, provider, model,
         prompt_tokens, completion_tokens, input_cost, output_cost, latency_ms, success)
       select r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, 'openai', r->>6, (r->>7)::int, (r->>8)::int, (r->>9)::numeric, (r->>10)::numeric,
              (r->>11)::int, (r->>12)::boolean
         from jsonb_array_elements($1::jsonb) r`,
      [JSON.stringify(rows)],
    );
  }

  return {
    get calls() {
      return calls;
    },
    get limitEdits() {
      return limitEdits;
    },
    /**
     * Monthly limits for some users, sized so that over the run some cross every
     * threshold and some none: a user's expected spend is about $0.0105 a call.
     */
    async insertLimits() {
      const perUser = ((CALLS_PER_SECOND * 60 * expectedMinutes) / USERS) * 0.0105;
      for (let u = 0; u < USERS_WITH_LIMITS; u++) {
        const limit = Math.max(0.01, perUser * (0.3 + random() * 1.7));
        await pool.query(
          `insert into public.budget_limits (entity_type, entity_id, monthly_limit, description) values ('user', $1, $2, 'soak')`,
          [`soak-user-${u}`, limit.toFixed(6)],
        );
      }
    },
    /** One second of load: a Poisson number of calls, and a burst every BURST_EVERY_S on average. */
    async tick() {
      await insertCalls(poisson(CALLS_PER_SECOND) + (random() < 1 / BURST_EVERY_S ? BURST_CALLS : 0));
      if (random() < 1 / 300) {
        limitEdits += 1;
        await pool.query(
          `update public.budget_limits set monthly_limit = round(monthly_limit * 1.1, 6) where entity_id = $1`,
          [`soak-user-${Math.floor(random() * USERS_WITH_LIMITS)}`],
        );
      }
    },
  };
}

type FaultKind = 'notion-5xx' | 'notion-529' | 'notion-429-storm' | 'lost-creates' | 'slow-notion' | 'redis-restart' | 'postgres-outage' | 'worker-kill';
const FAULT_KINDS: readonly FaultKind[] = ['notion-5xx', 'notion-529', 'notion-429-storm', 'lost-creates', 'slow-notion', 'redis-restart', 'postgres-outage', 'worker-kill'];

interface Rig {
  notion: RemoteNotion;
  redis: SoakRedis;
  postgres: TcpProxy;
  /** SIGKILLs the worker that may be killed; it is started again after `downMs`. */
  killWorker(downMs: number): Promise<void>;
}

/** Injects one fault of `kind` and resolves when it is over (the service back, the storm passed). */
async function injectFault(rig: Rig, kind: FaultKind, random: () => number): Promise<void> {
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const notionFault = (fault: InjectedFault) => rig.notion.inject(fault);
  switch (kind) {
    case 'notion-5xx':
      return notionFault({ kind: 'fail', status: ([500, 502, 503, 504] as const)[between(0, 3)]!, count: between(3, 15) });
    case 'notion-529':
      return notionFault({ kind: 'fail', status: 529, count: between(3, 10), retryAfterSeconds: between(1, 5) });
    case 'notion-429-storm':
      // Notion's rate drops far below what the workers were told: every request beyond it is answered 429.
      await rig.notion.setRateLimit({ requestsPerSecond: 0.5, burst: 1 });
      await sleep(between(15, 45) * 1000);
      return rig.notion.setRateLimit(NOTION_RATE);
    case 'lost-creates':
      return notionFault({ kind: 'lose', count: between(1, 3) });
    case 'slow-notion':
      return notionFault({ kind: 'delay', ms: between(2_000, 8_000), count: between(5, 20) });
    case 'redis-restart':
      return rig.redis.restart(between(1_000, 10_000));
    case 'postgres-outage':
      rig.postgres.cut();
      await sleep(between(5, 30) * 1000);
      return rig.postgres.restore();
    case 'worker-kill':
      return rig.killWorker(between(2_000, 5_000));
  }
}

/** What Notion shows against what Postgres holds, over the five datasets. */
interface Comparison {
  /** Rows with no live page; calls (Token Usage Logs) apart, since the window may leave some out by design. */
  missing: number;
  /** Calls with no live page: beyond the ones counted as left out, they are lost. */
  callsWithoutPage: number;
  /** Pages beyond the first for one row. */
  duplicates: number;
  /** Live pages of no row (a deleted row's page left behind). */
  orphans: number;
  rows: number;
  pages: number;
}

async function compare(pool: pg.Pool, notion: RemoteNotion, dataSources: Record<Dataset, string>): Promise<Comparison> {
  const total: Comparison = { missing: 0, callsWithoutPage: 0, duplicates: 0, orphans: 0, rows: 0, pages: 0 };
  for (const dataset of DATASETS) {
    const { rows } = await pool.query<{ id: string }>(`select id::text as id from public.${dataset}`);
    const pages = await notion.keys(dataSources[dataset], 'Supabase ID');
    const ids = new Set(rows.map((r) => r.id));
    total.rows += ids.size;
    for (const [key, count] of Object.entries(pages)) {
      total.pages += count;
      total.duplicates += count - 1;
      if (!ids.has(key)) total.orphans += count;
    }
    const without = [...ids].filter((id) => !pages[id]).length;
    if (dataset === 'token_usage_logs') total.callsWithoutPage += without;
    else total.missing += without;
  }
  return total;
}

/**
 * Thresholds some limit's spend has crossed (the limit as it stands, spend in
 * this calendar month, UTC) with no alert raised for them: computed here from
 * the calls, not from the worker's own figures.
 */
async function alertsMissing(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `with spend as (
       select user_id, sum(input_cost + output_cost) as spent
         from public.token_usage_logs
        where created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'
        group by user_id)
     select count(*)::int as n
       from public.budget_limits l
       join spend s on s.user_id = l.entity_id
       cross join unnest(l.alert_thresholds) t
      where l.is_active and l.entity_type = 'user' and s.spent >= l.monthly_limit * t / 100
        and not exists (select 1 from public.cost_alerts a
                         where a.entity_type = 'user' and a.entity_id = l.entity_id and a.period = 'monthly' and a.threshold_pct = t)`,
  );
  return rows[0]?.n ?? 0;
}

/** Samples taken through the run: the measured worker's RSS, Redis keys, and progress on the calls. */
interface Sample {
  at: number;
  rss: number;
  redisKeys: RedisKeys;
  /** Calls with a page, or counted as left out. */
  accounted: number;
  calls: number;
}

/** What the window has done with the calls: written to a page, or left out over its share. */
async function windowCounts(pool: pg.Pool): Promise<{ mirrored: number; leftOut: number }> {
  const { rows } = await pool.query<{ mirrored: number; left_out: number }>(
    `select coalesce(sum(mirrored_total), 0)::int as mirrored, coalesce(sum(left_out_total), 0)::int as left_out from tokensync.log_window`,
  );
  return { mirrored: rows[0]?.mirrored ?? 0, leftOut: rows[0]?.left_out ?? 0 };
}

/** Calls written or left out, the progress the longest stall is measured on. */
const accountedCalls = async (pool: pg.Pool) => {
  const counts = await windowCounts(pool);
  return counts.mirrored + counts.leftOut;
};

/** Calls with no page beyond those the window counted as left out. */
const lostCalls = (comparison: Comparison, leftOut: number) => Math.max(0, comparison.callsWithoutPage - leftOut);

/** The longest stretch (s) in which calls were waiting and none was written or counted as left out. */
function longestStall(samples: Sample[]): number {
  let longest = 0;
  let since: number | undefined;
  for (let i = 1; i < samples.length; i++) {
    const [before, now] = [samples[i - 1]!, samples[i]!];
    const waiting = before.calls > before.accounted;
    if (waiting && now.accounted === before.accounted) since ??= before.at;
    else since = undefined;
    if (since !== undefined) longest = Math.max(longest, (now.at - since) / 1000);
  }
  return longest;
}

/** Growth of a series from the start of its steady part to its end, each the median of a sixth of the samples. */
function growthAfterWarmup(values: number[]): { warm: number; end: number; growth: number } {
  const sixth = Math.max(1, Math.floor(values.length / 6));
  const warm = median(values.slice(0, sixth));
  const end = median(values.slice(-sixth));
  return { warm, end, growth: warm > 0 ? end / warm - 1 : 0 };
}

export const soakBenchmark: Benchmark = {
  id: 'soak',
  title: 'Soak: an hour of mixed load with faults at random',
  onRequestOnly: true,
  async run(context: BenchContext) {
    const minutes = context.scale?.soakMinutes ?? DEFAULT_SOAK_MINUTES;
    const seed = context.scale?.seed ?? DEFAULT_SOAK_SEED;
    const random = seeded(seed);
    const warmupMs = Math.min(10, minutes / 6) * 60_000;
    const notion = await startRemoteNotion({ rateLimit: NOTION_RATE, parentPageId: PARENT_PAGE_ID });
    const redis = await startSoakRedis();
    const dbUrl = new URL(context.databaseUrl);
    const postgres = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    const pool = new pg.Pool({ connectionString: context.databaseUrl, max: 3 });
    const load = createLoad(pool, random, minutes);
    const faultsInjected = new Map<FaultKind, number>();
    const unexpectedExits: string[] = [];
    /** Every worker started, so none outlives the run whatever happens. */
    const everyWorker: BenchProcess[] = [];
    const killing = new Set<BenchProcess>();
    let stopping = false;

    try {
      const dataSources = await provision(notion);
      await load.insertLimits();
      const ports = { measured: await freePort(), killable: await freePort() };
      const startWorker = (name: keyof typeof ports): BenchProcess => {
        const worker = spawnWorker(context, {
          notion,
          dataSources,
          queuePrefix: QUEUE_PREFIX,
          env: { ...WORKER_ENV, REDIS_URL: redis.url, DATABASE_URL: throughProxy(context.databaseUrl, postgres), WORKER_HTTP_PORT: String(ports[name]) },
        });
        everyWorker.push(worker);
        void worker.exited.then((code) => {
          if (!stopping && !killing.has(worker)) unexpectedExits.push(`${name} worker exited ${code}: ${worker.output().slice(-2_000)}`);
        });
        return worker;
      };
      const workers = { measured: startWorker('measured'), killable: startWorker('killable') };
      const rig: Rig = {
        notion,
        redis,
        postgres,
        async killWorker(downMs) {
          killing.add(workers.killable);
          workers.killable.child.kill('SIGKILL');
          await workers.killable.exited;
          await sleep(downMs);
          workers.killable = startWorker('killable');
        },
      };
      const ready = (port: number) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      await until('both workers to be ready', async () => (await ready(ports.measured)) && (await ready(ports.killable)), 60_000);

      const samples: Sample[] = [];
      const sample = async () =>
        samples.push({
          at: Date.now(),
          rss: rssOf(workers.measured.child.pid),
          redisKeys: await redis.keys(),
          accounted: await accountedCalls(pool),
          calls: load.calls,
        });
      const started = Date.now();
      const endAt = started + minutes * 60_000;
      let mostDuplicatesAtOnce = 0;

      const loadLoop = (async () => {
        while (Date.now() < endAt) {
          const tick = Date.now();
          await load.tick();
          await sleep(Math.max(0, tick + 1_000 - Date.now()));
        }
      })();
      const faultLoop = (async () => {
        for (;;) {
          await sleep((FAULT_GAP_S.min + random() * (FAULT_GAP_S.max - FAULT_GAP_S.min)) * 1000);
          if (Date.now() > endAt - QUIET_END_S * 1000) return;
          const kind = FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!;
          faultsInjected.set(kind, (faultsInjected.get(kind) ?? 0) + 1);
          process.stdout.write(`  … ${Math.round((Date.now() - started) / 60_000)} min: ${kind}\n`);
          await injectFault(rig, kind, random);
        }
      })();
      const sampleLoop = (async () => {
        let n = 0;
        while (Date.now() < endAt) {
          await sample();
          if (++n % 12 === 0) {
            const { duplicates } = await compare(pool, notion, dataSources);
            mostDuplicatesAtOnce = Math.max(mostDuplicatesAtOnce, duplicates);
            const last = samples.at(-1)!;
            process.stdout.write(`  … ${Math.round((Date.now() - started) / 60_000)} min: ${format(last.calls)} calls, ${format(last.accounted)} accounted for, worker RSS ${format(last.rss / 2 ** 20)} MB, ${format(last.redisKeys.total)} Redis keys (${format(last.redisKeys.other)} not kept jobs)\n`);
          }
          await sleep(SAMPLE_EVERY_MS);
        }
      })();
      await Promise.all([loadLoop, faultLoop, sampleLoop]);
      await notion.inject({ kind: 'clear' });
      await notion.setRateLimit(NOTION_RATE);
      postgres.restore();

      // Caught up: every call accounted for, every row of every dataset with one page, every crossed threshold alerted.
      const loadEnded = Date.now();
      let final: Comparison = await compare(pool, notion, dataSources);
      let missingAlerts = await alertsMissing(pool);
      await until('Notion to show every row', async () => {
        await sample();
        final = await compare(pool, notion, dataSources);
        missingAlerts = await alertsMissing(pool);
        const { leftOut } = await windowCounts(pool);
        return final.missing === 0 && lostCalls(final, leftOut) === 0 && final.duplicates === 0 && final.orphans === 0 && missingAlerts === 0 && samples.at(-1)!.accounted >= load.calls;
      }, CONVERGE_TIMEOUT_MS, SAMPLE_EVERY_MS).catch((error: unknown) => process.stdout.write(`  ${String(error)}\n`));
      const caughtUpS = (Date.now() - loadEnded) / 1000;
      final = await compare(pool, notion, dataSources);
      missingAlerts = await alertsMissing(pool);
      const healthy = (await ready(ports.measured)) && (await ready(ports.killable));
      const metric = await scrapeMetrics(ports.measured);
      const failedJobs = metric('tokensync_failed_jobs_total');
      const window = await windowCounts(pool);
      const { rows: alertRows } = await pool.query<{ n: number }>('select count(*)::int as n from public.cost_alerts');
      const stats = await notion.stats();
      const creates = stats.entries.filter((e) => e.method === 'POST' && e.route === '/v1/pages' && e.status === 200).reduce((s, e) => s + e.count, 0);

      stopping = true;
      const exits = await Promise.all([workers.measured.stop(), workers.killable.stop()]);

      const steady = samples.filter((s) => s.at >= started + warmupMs && s.at <= endAt);
      const rss = growthAfterWarmup(steady.map((s) => s.rss));
      const otherKeys = growthAfterWarmup(steady.map((s) => s.redisKeys.other));
      const peakRss = Math.max(...samples.map((s) => s.rss));
      const peakKeys = Math.max(...samples.map((s) => s.redisKeys.total));
      const mostCompleted = Math.max(...samples.map((s) => s.redisKeys.mostCompletedInAQueue));
      const failedKept = samples.at(-1)!.redisKeys.failed;
      const lost = final.missing + lostCalls(final, window.leftOut);
      const faultList = FAULT_KINDS.filter((k) => faultsInjected.has(k)).map((k) => `${k} ×${faultsInjected.get(k)}`).join(', ');
      const mb = (bytes: number) => bytes / 2 ** 20;

      const figures: Figure[] = [
        figure('calls logged, rows in', load.calls, undefined, { digits: 0, note: `${format(final.rows)} rows in all five tables at the end, ${load.limitEdits} limit edits, ${alertRows[0]?.n ?? 0} alerts raised` }),
        figure('pages created, pages out', creates, undefined, { digits: 0, note: `${format(final.pages)} live pages at the end; ${format(stats.total)} Notion requests, ${format(stats.byStatus['429'] ?? 0)} answered 429` }),
        figure('duplicate pages at the end', final.duplicates, undefined, { digits: 0, bar: '0', pass: final.duplicates === 0, note: `most seen at one time during the run: ${mostDuplicatesAtOnce}` }),
        figure('rows lost: no page, nor counted as left out', lost, undefined, { digits: 0,
          bar: '0',
          pass: lost === 0 && final.orphans === 0,
          note: `${final.orphans} pages of no row; ${format(window.leftOut)} calls left out of the window over its share, by design, and counted; ${format(window.mirrored)} written`,
        }),
        figure('alerts lost: a crossed threshold with no alert', missingAlerts, undefined, { digits: 0, bar: '0', pass: missingAlerts === 0, note: 'thresholds recomputed here from the calls' }),
        figure('worker RSS growth after warm-up (%)', rss.growth * 100, undefined, {
          bar: '≤ 10',
          pass: rss.growth <= 0.1,
          note: `median ${format(mb(rss.warm))} MB after warm-up, ${format(mb(rss.end))} MB at the end`,
          digits: 1,
        }),
        figure('worker RSS, peak (MB)', mb(peakRss), undefined, { note: `the worker never killed; its final RSS ${format(mb(samples.at(-1)!.rss))} MB` }),
        figure('Redis keys other than kept jobs, growth after warm-up (%)', otherKeys.growth * 100, undefined, {
          bar: '≤ 10',
          pass: otherKeys.growth <= 0.1,
          note: `median ${format(otherKeys.warm)} after warm-up, ${format(otherKeys.end)} at the end; all keys: peak ${format(peakKeys)}, ${format(samples.at(-1)!.redisKeys.total)} at the end`,
          digits: 1,
        }),
        figure('completed jobs kept by one queue, most', mostCompleted, undefined, {
          bar: `≤ ${KEEP_COMPLETED.count} (the retention)`,
          pass: mostCompleted <= KEEP_COMPLETED.count,
          note: `${format(failedKept)} failed jobs kept at the end, each with its reason (bounded by ${format(KEEP_FAILED.count)} a queue and ${KEEP_FAILED.age / 86_400} days)`,
          digits: 0,
        }),
        figure('longest stall (s)', longestStall(samples), undefined, { digits: 0, note: `calls waiting and none written, sampled every ${SAMPLE_EVERY_MS / 1000} s; caught up ${format(caughtUpS)} s after the load stopped` }),
        figure('worker exits nobody asked for', unexpectedExits.length, undefined, { digits: 0,
          bar: '0',
          pass: unexpectedExits.length === 0 && healthy && exits.every((code) => code === 0),
          note: `both ready at the end: ${healthy ? 'yes' : 'NO'}; SIGTERM exit codes ${exits.join(', ')}; ${format(failedJobs)} failed jobs on the measured worker`,
        }),
      ];
      for (const exit of unexpectedExits) process.stdout.write(`  ${exit}\n`);
      return {
        method:
          `${minutes} minutes, seed ${seed}. Two \`npm run worker\` processes on one Redis of the run's own (redis-server, nothing kept on disk) and, through a TCP proxy, the run's database; ` +
          `Notion is the project's fake in its own process at Notion's ${NOTION_RATE.requestsPerSecond} requests/s (burst ${NOTION_RATE.burst}), and the workers share that rate. ` +
          `Load: about ${CALLS_PER_SECOND} call/s (Poisson) from ${USERS} users on ${MODELS.length} models and ${SERVICES.length} services, a burst of ${BURST_CALLS} calls every ${BURST_EVERY_S / 60} min on average, ` +
          `${USERS_WITH_LIMITS} monthly user limits sized to be crossed, now and then one raised by 10 %. The window holds every call (TOKEN_LOG_REQUEST_SHARE=1): losses are counted call by call. ` +
          `Faults, one at a time every ${FAULT_GAP_S.min}–${FAULT_GAP_S.max} s until ${QUIET_END_S / 60} min before the end: ${faultList || 'none'}. ` +
          `Redis restart: SIGKILL and a fresh, empty server 1–10 s later; Postgres outage: the proxy drops every connection and refuses new ones for 5–30 s; worker kill: SIGKILL of the second worker, started again 2–5 s later; ` +
          `429 storm: Notion's limit drops to 0.5 requests/s for 15–45 s. ` +
          `Then the load stops and the run waits for Notion to show every row. RSS is the first worker's (never killed), sampled every ${SAMPLE_EVERY_MS / 1000} s; growth compares the median of the first and last sixth after a ${format(warmupMs / 60_000)}-min warm-up. ` +
          `Redis keys are told apart: the jobs each queue keeps once done (bounded by their retention, checked on its own) and every other key, whose growth is the figure.`,
        figures,
      };
    } finally {
      stopping = true;
      for (const worker of everyWorker) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await Promise.all(everyWorker.map((w) => w.exited));
      await pool.end();
      await postgres.close();
      await redis.close();
      await notion.close();
    }
  },
};

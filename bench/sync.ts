/**
 * DESIGN §5, the engine's own cost with Notion's rate limit off (the fake runs in
 * a process of its own, as Notion is another machine):
 * - end to end ≥ 1,000 rows/s: 20,000 new rows created in Notion by one pass;
 * - reading + diffing ≥ 50,000 rows/s: a pass over 1,000,000 rows already synced;
 * - peak RSS ≤ 200 MB: a worker process (npm run worker) working through a
 *   1,000,000-row backlog.
 * Each against the naive baseline (bench/naive.ts) on the same data.
 *
 * The rows are Cost Alerts: every dataset but Token Usage Logs is mirrored row
 * for row by this path. Token Usage Logs is a bounded ring of recent calls
 * (at most TOKEN_LOG_PAGE_BUDGET pages, within its share of the rate), so a
 * million-row backlog of logs never reaches Notion as a million writes: the
 * volume benchmark measures that path.
 */
import pg from 'pg';
import { DEFAULT_WRITE_CONCURRENCY } from '../src/sync/engine.js';
import type { Dataset } from '../src/datasets.js';
import { benchEngine, insertAlerts, markAllSynced, PARENT_PAGE_ID, provision, spawnWorker } from './fixtures.js';
import { createNaiveSync } from './naive.js';
import { spawnScript, startRemoteNotion, until, type RemoteNotion } from './processes.js';
import { dropPrefix } from '../src/worker/redis-tools.js';
import { figure, format, progress, timed, type Benchmark, type BenchContext, type Figure } from './support.js';

const E2E_ROWS = 20_000;
const NAIVE_E2E_ROWS = 5_000;
const BACKLOG_ROWS = 1_000_000;
const MEMORY_SECONDS = 60;
const MB = 1024 * 1024;
/** NOTION_REQUESTS_PER_SECOND for "rate limit off" (the variable must be positive). */
const UNLIMITED_REQUESTS_PER_SECOND = 1_000_000;
const DATASET = 'cost_alerts' satisfies Dataset;

/** End to end: every row created in Notion, ours and naive on the same number of fresh rows. */
async function endToEnd(context: BenchContext, client: pg.Client, notion: RemoteNotion, dataSourceId: string): Promise<Figure[]> {
  await client.query(`truncate public.${DATASET}, tokensync.notion_sync_state, tokensync.sync_checkpoints`);
  await insertAlerts(client, E2E_ROWS);
  const ours = benchEngine(context.databaseUrl, notion, { [DATASET]: dataSourceId });
  const [pass, seconds] = await timed(() => ours.engine.runPass(DATASET)).finally(() => ours.close());
  if (pass.created !== E2E_ROWS) throw new Error(`expected ${E2E_ROWS} pages created, got ${JSON.stringify(pass)}`);
  const oursRate = pass.created / seconds;

  // The naive pass on rows of its own, into an empty database of a fresh fake.
  await client.query(`truncate public.${DATASET}`);
  await insertAlerts(client, NAIVE_E2E_ROWS, { prefix: 'naive-' });
  const [naivePass, naiveSeconds] = await withFreshNotion(async (fresh, ds) => {
    const naive = createNaiveSync({ databaseUrl: context.databaseUrl, notion: fresh, dataset: DATASET, dataSourceId: ds[DATASET], requestsPerSecond: 0, concurrency: DEFAULT_WRITE_CONCURRENCY });
    return timed(() => naive.pass()).finally(() => naive.close());
  });
  const naiveRate = naivePass.created / naiveSeconds;
  return [figure('end to end, rate limit off: rows created per second', oursRate, naiveRate, { bar: '≥ 1,000', pass: oursRate >= 1000 })];
}

/** A pass over a million rows that are all in Notion already. */
async function readAndDiff(context: BenchContext, client: pg.Client, notion: RemoteNotion, dataSourceId: string): Promise<Figure[]> {
  await client.query(`truncate public.${DATASET}, tokensync.notion_sync_state, tokensync.sync_checkpoints`);
  await insertAlerts(client, BACKLOG_ROWS, { label: 'sync' });
  await markAllSynced(client, DATASET);
  await notion.reset();
  const ours = benchEngine(context.databaseUrl, notion, { [DATASET]: dataSourceId });
  const [pass, seconds] = await timed(() => ours.engine.runPass(DATASET)).finally(() => ours.close());
  if (pass.unchanged !== BACKLOG_ROWS) throw new Error(`expected ${BACKLOG_ROWS} unchanged rows, got ${JSON.stringify({ ...pass, failed: pass.failed.length })}`);
  const requests = (await notion.stats()).total;
  return [
    figure('read + diff, nothing changed: rows per second', pass.unchanged / seconds, undefined, {
      bar: '≥ 50,000',
      pass: pass.unchanged / seconds >= 50_000,
      note: `${format(BACKLOG_ROWS)} rows in ${seconds.toFixed(1)} s; the naive sync has no diff: it queries Notion for every row (2 requests per row, see the steady-state section)`,
    }),
    figure('Notion requests of that pass', requests, undefined, { bar: '0', pass: requests === 0, digits: 0 }),
  ];
}

/** A worker process (and then the naive one) working through the million-row backlog for MEMORY_SECONDS. */
async function memory(context: BenchContext, client: pg.Client, notion: RemoteNotion, dataSources: Record<Dataset, string>): Promise<Figure[]> {
  await client.query('truncate tokensync.notion_sync_state, tokensync.sync_checkpoints');
  const prefix = `tokensync-bench-${process.pid}`;
  // The limit off on our side too: what is measured is the engine, not Notion's 3/s.
  const worker = spawnWorker(context, { notion, dataSources, queuePrefix: prefix, env: { NOTION_REQUESTS_PER_SECOND: String(UNLIMITED_REQUESTS_PER_SECOND) } });
  const before = await notion.livePages(dataSources[DATASET]);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, worker.peakRss())), 200);
  try {
    await until('the worker to write its first page', async () => (await notion.livePages(dataSources[DATASET])) > before, 60_000);
    const started = Date.now();
    const startPages = await notion.livePages(dataSources[DATASET]);
    await new Promise((r) => setTimeout(r, MEMORY_SECONDS * 1000));
    const written = (await notion.livePages(dataSources[DATASET])) - startPages;
    peak = Math.max(peak, worker.peakRss());
    const rate = written / ((Date.now() - started) / 1000);
    clearInterval(sampler);
    if ((await worker.stop()) !== 0) throw new Error(`the worker failed: ${worker.output()}`);

    const naive = spawnScript('bench/naive-process.ts', {}, [
      JSON.stringify({ databaseUrl: context.databaseUrl, notion, dataset: DATASET, dataSourceId: dataSources[DATASET], requestsPerSecond: 0, concurrency: DEFAULT_WRITE_CONCURRENCY, seconds: MEMORY_SECONDS }),
    ]);
    let naivePeak = 0;
    const naiveSampler = setInterval(() => (naivePeak = Math.max(naivePeak, naive.peakRss())), 200);
    await new Promise((r) => setTimeout(r, MEMORY_SECONDS * 1000));
    clearInterval(naiveSampler);
    naivePeak = Math.max(naivePeak, naive.peakRss());
    naive.child.kill('SIGKILL');
    await naive.exited;

    return [
      figure(`peak RSS of a worker process, ${format(BACKLOG_ROWS)}-row backlog (MB)`, peak / MB, naivePeak / MB, { bar: '≤ 200', pass: peak / MB <= 200, digits: 0 }),
      figure('rows written per second by that worker process (rate limit off)', rate, undefined, {
        note: `over ${MEMORY_SECONDS} s, default settings (${DEFAULT_WRITE_CONCURRENCY} writes in flight)`,
      }),
    ];
  } finally {
    clearInterval(sampler);
    await worker.stop();
    await dropPrefix(context.redisUrl, prefix);
  }
}

/** Runs `phase` against a fresh Notion fake (its own process, rate limit off) with the six databases provisioned. */
async function withFreshNotion<T>(phase: (notion: RemoteNotion, dataSources: Record<Dataset, string>) => Promise<T>): Promise<T> {
  const notion = await startRemoteNotion({ rateLimit: false, parentPageId: PARENT_PAGE_ID });
  try {
    return await phase(notion, await provision(notion));
  } finally {
    await notion.close();
  }
}

export const syncBenchmark: Benchmark = {
  id: 'sync',
  title: 'Sync engine: overhead with the rate limit off',
  async run(context) {
    const client = new pg.Client({ connectionString: context.databaseUrl });
    await client.connect();
    try {
      // A fresh fake for each phase: the fake scans a data source to answer a query, so pages left
      // by one phase would slow the next one's lookups (real Notion indexes them).
      const figures = [
        ...progress(await withFreshNotion((notion, ds) => endToEnd(context, client, notion, ds[DATASET]))),
        ...progress(await withFreshNotion((notion, ds) => readAndDiff(context, client, notion, ds[DATASET]))),
        ...progress(await withFreshNotion((notion, ds) => memory(context, client, notion, ds))),
      ];
      return {
        method:
          `Notion is the project's fake in a separate process with its rate limit off, a fresh one per phase. ` +
          `The rows are Cost Alerts, mirrored row for row as every dataset but Token Usage Logs is (the logs are a bounded ring; the volume section measures it). ` +
          `End to end: one pass creating ${format(E2E_ROWS)} new alerts ` +
          `(the naive baseline: ${format(NAIVE_E2E_ROWS)} rows into an empty database of its own, a query and a create each), ${DEFAULT_WRITE_CONCURRENCY} writes in flight for both. ` +
          `Read + diff: ${format(BACKLOG_ROWS)} alerts recorded as synced, one pass from an empty checkpoint. ` +
          `Memory: \`npm run worker\` (and then the naive baseline as a process) on the same ${format(BACKLOG_ROWS)}-row backlog for ${MEMORY_SECONDS} s each; peak RSS is the kernel's VmHWM.`,
        figures,
      };
    } finally {
      await client.end();
    }
  },
};

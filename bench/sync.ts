/**
 * DESIGN §5, the engine's bars: end to end ≥ 1,000 rows/s with the rate limit off
 * (local Notion fake), reading + diffing ≥ 50,000 rows/s, and what an unchanged
 * pass costs in Notion requests (0).
 */
import pg from 'pg';
import { DATASETS } from '../src/datasets.js';
import { createLogger } from '../src/logging/logger.js';
import { createNotionClient } from '../src/notion/client.js';
import { provisionNotion } from '../src/notion/provision/provision.js';
import { startNotionFake } from '../src/sandbox/notion/index.js';
import { createPostgresTransport } from '../src/supabase/postgres-transport.js';
import { createSupabaseSource } from '../src/supabase/source.js';
import { createSyncEngine } from '../src/sync/engine.js';
import { createMemoryLimiter } from '../src/sync/limiter.js';
import { createNotionGateway } from '../src/sync/notion-gateway.js';
import { createSyncState } from '../src/sync/state.js';
import type { Benchmark, BenchResult } from './support.js';

const ROWS = 20_000;
const PAGE_SIZE = 1000;
const WRITE_CONCURRENCY = 16;
const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';

const INSERT = `
  insert into public.token_usage_logs (request_id, service_type, provider, model, prompt_tokens, completion_tokens, input_cost, output_cost, latency_ms, user_id)
  select 'bench-' || g, (array['1:1_conversation','virtual_panel','workflow','solution_builder'])[1 + g % 4], 'openai',
         (array['gpt-4o','gpt-4o-mini','o3'])[1 + g % 3], 200 + g % 4000, 50 + g % 900, 0.001, 0.002, 100 + g % 5000, 'user-' || (g % 200)
    from generate_series(1, $1::int) g`;

export const syncBenchmark: Benchmark = {
  id: 'sync',
  title: `Sync engine: ${ROWS.toLocaleString('en-US')} usage logs to the local Notion fake`,
  async run({ databaseUrl }): Promise<BenchResult> {
    const fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'Bench' }] });
    const transport = createPostgresTransport({ databaseUrl });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const notion = createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 });
      const provisioned = await provisionNotion({ client: notion, parentPageId: PARENT, recorded: Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as never, envFile: undefined, timezone: 'UTC' });
      await client.query(INSERT, [ROWS]);
      const engine = createSyncEngine({
        source: createSupabaseSource(transport, { timezone: 'UTC' }),
        state: createSyncState(transport),
        gateway: createNotionGateway({ client: notion, limiter: createMemoryLimiter({ requestsPerSecond: 0 }) }),
        dataSources: { token_usage_logs: provisioned.databases.token_usage_logs!.dataSourceId },
        logger: createLogger({ level: 'silent' }),
        tokenLogWindowDays: 30,
        settleMs: 0,
        pageSize: PAGE_SIZE,
        writeConcurrency: WRITE_CONCURRENCY,
      });
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

      let started = performance.now();
      const first = await engine.runPass('token_usage_logs');
      const createSeconds = (performance.now() - started) / 1000;

      // Re-read everything from the start: every row is read, validated, mapped, hashed and found unchanged.
      await client.query('update tokensync.sync_checkpoints set after_updated_at = null, after_id = null');
      fake.resetStats();
      started = performance.now();
      const second = await engine.runPass('token_usage_logs');
      const diffSeconds = (performance.now() - started) / 1000;
      clearInterval(sampler);

      return {
        figures: [
          ['end to end, rate limit off (create every row)', Math.round(first.created / createSeconds).toLocaleString('en-US'), 'rows/s (bar ≥ 1,000)'],
          ['read + validate + map + hash + compare (nothing changed)', Math.round(second.unchanged / diffSeconds).toLocaleString('en-US'), 'rows/s (bar ≥ 50,000)'],
          ['Notion requests of the unchanged pass', String(fake.stats().total), 'requests (bar 0)'],
          ['peak RSS of the process (fake Notion included)', (peakRss / 1024 / 1024).toFixed(0), 'MB'],
        ],
        method: `${ROWS.toLocaleString('en-US')} logs in one table; one pass with ${WRITE_CONCURRENCY} writes in flight and pages of ${PAGE_SIZE} rows, against the in-process Notion fake with its rate limit off; then the checkpoint is reset and the pass repeated, so every row is read and diffed again.`,
      };
    } finally {
      await client.end();
      await transport.close();
      await fake.close();
    }
  },
};

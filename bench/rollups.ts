/**
 * DESIGN §5: rollups over 1,000,000 logs in ≤ 3 s. Also what the reporting jobs
 * will pay on the same data: the rerun of the rollups (nothing changes), the
 * concurrent refresh of the three materialized views (no longer on the rollup
 * job), compaction of the hourly spend buckets, budget status over every limit,
 * and one check_user_budget call (what an application pays per request). Then,
 * on the same database emptied, rollup maintenance flat in history
 * (rollups-history.ts).
 */
import pg from 'pg';
import { insertLogs } from './fixtures.js';
import { flatInHistoryFigures } from './rollups-history.js';
import { figure, timed, type Benchmark, type BenchResult } from './support.js';

const LOGS = 1_000_000;
const DAYS = 30;
const BAR_SECONDS = 3;
const BUDGET_CALLS = 50;

export const rollupsBenchmark: Benchmark = {
  id: 'rollups',
  title: 'Rollups, views and budgets over 1,000,000 logs',
  async run({ databaseUrl }): Promise<BenchResult> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const now = new Date();
      await insertLogs(client, LOGS, { days: DAYS, label: 'rollups' });
      await client.query(`insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit) values
        ('organization', 'mvp', 5000, 100000), ('service', 'workflow', 1000, 20000), ('tier', 'tier_1', 2000, 40000),
        ('user', 'user-7', 5, 50)`);

      const to = now.toISOString().slice(0, 10);
      const from = new Date(now.getTime() - DAYS * 86_400_000).toISOString().slice(0, 10);
      const rollup = (fn: string) => client.query(`select public.${fn}($1, $2, 'UTC') as r`, [from, to]);

      const [, service] = await timed(() => rollup('tokensync_rollup_service_performance'));
      const [, workflow] = await timed(() => rollup('tokensync_rollup_workflow_analytics'));
      const [, rerun] = await timed(async () => {
        await rollup('tokensync_rollup_service_performance');
        await rollup('tokensync_rollup_workflow_analytics');
      });
      const [, views] = await timed(() => client.query('select public.tokensync_refresh_reporting_views()'));
      const [, compaction] = await timed(() => client.query('select public.tokensync_compact_spend()'));
      const [, status] = await timed(() => client.query('select public.tokensync_budget_status()'));
      const checks: number[] = [];
      for (let i = 0; i < BUDGET_CALLS; i++) {
        const [, s] = await timed(() =>
          client.query(`select * from public.check_user_budget($1, $2, 'workflow', 0.01)`, [`user-${i * 37}`, `session-${i * 101}`]),
        );
        checks.push(s);
      }
      checks.sort((a, b) => a - b);

      // Naive: recompute by deleting the days and inserting them again. Same SQL, but every row is new
      // (new id, new updated_at) each run, so the sync trashes and re-creates every Notion page each time.
      const naive = async () => {
        let rows = 0;
        for (const [table, fn] of [['service_performance_metrics', 'tokensync_rollup_service_performance'], ['workflow_analytics', 'tokensync_rollup_workflow_analytics']]) {
          await client.query(`delete from public.${table} where metric_date between $1 and $2`, [from, to]);
          rows += Number((await rollup(fn!)).rows[0].r.changed);
        }
        return rows;
      };
      const [naiveRows, naiveSeconds] = await timed(naive);
      const [rerunRows] = await timed(async () => {
        const a = (await rollup('tokensync_rollup_service_performance')).rows[0].r;
        const b = (await rollup('tokensync_rollup_workflow_analytics')).rows[0].r;
        return a.changed + a.deleted + b.changed + b.deleted;
      });
      const both = service + workflow;
      const history = await flatInHistoryFigures(client);
      return {
        method: `${LOGS.toLocaleString('en-US')} logs over ${DAYS} days generated in SQL (4 services, 6 models, 2,000 users, 50,000 sessions, 5 workflows × 3 steps), then each step timed once from the client; check_user_budget is the median of ${BUDGET_CALLS} calls for different users. Naive rollup: delete the days and insert them again (the same aggregates). Flat in history: ${history.method}`,
        figures: [
          figure('both rollups, 30 days (s)', both, naiveSeconds, { bar: '≤ 3', pass: both <= BAR_SECONDS }),
          figure('service performance rollup (s)', service, undefined),
          figure('workflow analytics rollup (s)', workflow, undefined),
          figure('both rollups again, nothing changed (s)', rerun, undefined),
          figure('rows rewritten by a rerun (each one a Notion write)', rerunRows, naiveRows, { digits: 0 }),
          figure('refresh of the 3 materialized views, concurrently (s)', views, undefined),
          figure('spend buckets compacted after 10 insert statements (s)', compaction, undefined),
          figure('budget status, every limit (s)', status, undefined),
          figure('check_user_budget, median call (ms)', checks[Math.floor(BUDGET_CALLS / 2)]! * 1000, undefined, { digits: 1 }),
          ...history.figures,
        ],
      };
    } finally {
      await client.end();
    }
  },
};

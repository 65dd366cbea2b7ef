/**
 * Notion at any volume on a Free workspace with more than one member (1,000
 * lifetime blocks): setup plus 30 simulated days of the 1M-calls/day load's
 * spread must create fewer than 1,000 blocks in all, and every dashboard must
 * stay exact. See free-workspace-sim.ts for how a day is simulated.
 */
import type { Dataset } from '../src/datasets.js';
import { FREE_PLAN_LIFETIME_BLOCKS } from '../src/sync/footprint.js';
import { startNotionFake } from '@tokensync/notion-sandbox';
import { PARENT_PAGE_ID } from './fixtures.js';
import { DEFAULT_TICKS_PER_DAY, simulateFreeWorkspace, SIMULATED_DAYS } from './free-workspace-sim.js';
import { figure, format, type Benchmark, type BenchContext, type Figure } from './support.js';

/** Calls a simulated day holds by default: blocks do not grow with calls beyond the raw-log ring. */
export const DEFAULT_CALLS_PER_DAY = 5_000;
const PHASE_DAYS = [1, 7, 14, 21, 30];
const TITLES: Record<Dataset, string> = {
  token_usage_logs: 'Token Usage Logs',
  budget_limits: 'Budget Limits',
  cost_alerts: 'Cost Alerts',
  service_performance_metrics: 'Service Performance Metrics',
  workflow_analytics: 'Workflow Analytics',
  daily_cost_breakdown: 'Daily Costs',
};

const usd = (micros: number) => (micros / 1e6).toFixed(6);

export const freeWorkspaceBenchmark: Benchmark = {
  id: 'free-workspace',
  title: 'A Free Notion workspace: setup plus 30 days of the load in fewer than 1,000 blocks, every dashboard exact',
  async run(context: BenchContext) {
    const callsPerDay = context.scale?.callsPerDay ?? DEFAULT_CALLS_PER_DAY;
    const notion = await startNotionFake({
      rateLimit: false,
      pages: [{ id: PARENT_PAGE_ID, title: 'Benchmarks' }],
      // The grace is over: a create past the limit would be refused at once, never silently allowed.
      blockLimit: { lifetime: FREE_PLAN_LIFETIME_BLOCKS, graceMs: 0 },
    });
    try {
      const started = performance.now();
      const result = await simulateFreeWorkspace({
        databaseUrl: context.databaseUrl,
        notion,
        parentPageId: PARENT_PAGE_ID,
        callsPerDay,
        ...(context.scale?.end ? { end: context.scale.end } : {}),
        onDay: (day) => {
          const off = day.checks.filter((c) => c.mismatches.length > 0).length;
          process.stdout.write(`  free-workspace: ${day.day}: ${day.blocks} blocks, ${day.alertsRaised} alerts raised, ${off === 0 ? 'every dashboard exact' : `${off} dashboard(s) off`}\r`);
        },
      });
      process.stdout.write('\n');
      const seconds = (performance.now() - started) / 1000;
      const first = result.days[0]!.day;
      const last = result.days.at(-1)!;
      const blocksAfter = (n: number) => result.days[n - 1]?.blocks ?? Number.NaN;
      const mismatched = result.days.flatMap((d) => d.checks.filter((c) => c.mismatches.length > 0).map((c) => `${d.day} ${c.what}: ${c.mismatches[0]}`));
      const total = result.usage.created;

      const blocks: Figure[] = [
        figure('blocks used by setup:notion', result.blocksAfterSetup, undefined, { digits: 0, note: `the plan it printed: ${result.footprint.total} blocks in all` }),
        ...PHASE_DAYS.filter((n) => n <= result.days.length).map((n) => figure(`blocks used after day ${n}`, blocksAfter(n), undefined, { digits: 0, note: result.days[n - 1]!.day })),
        figure('blocks used in all (setup + 30 days)', total, undefined, {
          digits: 0,
          bar: `< ${format(FREE_PLAN_LIFETIME_BLOCKS)}`,
          pass: total < FREE_PLAN_LIFETIME_BLOCKS && result.usage.refused === 0,
          note: `${result.usage.refused} creates refused for the block limit; ${result.creation.stopped ? 'creation stopped' : 'creation never stopped'}`,
        }),
      ];
      const pages = (Object.keys(TITLES) as Dataset[]).map((dataset) => {
        const budget = dataset === 'token_usage_logs' ? result.tokenLogPageBudget : dataset === 'budget_limits' ? undefined : result.pageBudgets[dataset];
        const { live, ever } = result.pages[dataset];
        return figure(`${TITLES[dataset]}: pages ever created`, ever, undefined, {
          digits: 0,
          ...(budget === undefined ? {} : { bar: `≤ ${budget}`, pass: ever <= budget }),
          note: `${live} live${dataset === 'cost_alerts' ? `; ${format(result.alertsRaised)} alerts raised, the newest ${result.newestAlertsShown ? 'shown exactly' : 'NOT shown'}` : ''}`,
        });
      });
      const dashboards = last.checks.map((c) =>
        figure(`${c.what}: Notion − SQL (µ$)`, c.notionMicros - c.sqlMicros, undefined, {
          bar: '0',
          pass: c.mismatches.length === 0,
          digits: 0,
          note: `SQL ${usd(c.sqlMicros)} USD, ${c.from} – ${c.to}`,
        }),
      );
      const checks = result.days.reduce((n, d) => n + d.checks.length, 0);

      return {
        method:
          `The Notion fake in this process as a Free workspace with more than one member (${format(FREE_PLAN_LIFETIME_BLOCKS)} lifetime blocks, grace over), ` +
          `NOTION_WORKSPACE_PLAN=free with every other setting at its default. setup:notion's footprint check and provisioning, the seed's eight budget limits, then ` +
          `${SIMULATED_DAYS} simulated days (${first} – ${last.day}), oldest first, each of ${format(callsPerDay)} calls with the 1M-calls/day load's spread ` +
          `(4 services × 6 provider/models, 5 workflows of 3 steps, ~3% failures; \`--calls-per-day\`: blocks do not grow with calls beyond the raw-log ring, so a day needs ` +
          `far fewer than 1M). Each day has ${DEFAULT_TICKS_PER_DAY} worker ticks on a simulated clock, each running the worker's own functions: the rollup job, ` +
          `the budgets job (alerts raised at the tick's time), a sync pass of every dataset in lane order with the free page budgets and the raw-log ring ` +
          `(repeated while incomplete), the month-to-date filter moved when the month turns, the report page refreshed. Blocks: the fake's count of every page, ` +
          `database and block ever created (never decremented). Dashboards: after every day, every chart of Daily Costs and Workflow Analytics that sums ` +
          `Total Cost (the tabs and the Cost dashboard's widgets, each with the filter read back from Notion) against sum(total_cost) of the usage logs for the ` +
          `period it shows, per group, and every rollup page against its row, in micro-dollars: ${checks} checks, ${mismatched.length} off. ${format(result.calls)} calls, ` +
          `${format(seconds)} s. Raw logs: ${format(result.logWindow.mirroredTotal)} calls mirrored into the ring, ${format(result.logWindow.leftOutTotal)} left out and counted.` +
          (mismatched.length > 0 ? ` First mismatch: ${mismatched[0]}.` : ''),
        figures: [
          ...blocks,
          ...pages,
          figure('dashboard checks off, over all 30 days', mismatched.length, undefined, { bar: '0', pass: mismatched.length === 0, digits: 0, note: `of ${checks}` }),
          ...dashboards,
        ],
      };
    } finally {
      await notion.close();
    }
  },
};

/**
 * A month of a Free Notion workspace with more than one member, simulated day
 * by day against the Notion fake with the block limit on: setup:notion's
 * footprint check and provisioning, then, oldest day first, that day's calls
 * (the 1M-calls/day load's spread, at a smaller count), and in each of the
 * day's ticks what the worker does: roll up, evaluate budgets, sync every
 * dataset in lane order (the free plan's page budgets, the raw-log ring), move
 * the month-to-date filter when the month turns, refresh the report page. The
 * worker's own functions do the work; only the clock is simulated. After each
 * day every money chart and rollup page is checked against SQL.
 */
import pg from 'pg';
import { loadConfig, type Config } from '../src/config/env.js';
import { DATASETS, notionIdVariables, type Dataset } from '../src/datasets.js';
import { runBudgetJob, runReportJob, runRollupJob } from '../src/jobs/reporting.js';
import { createLogger } from '../src/logging/logger.js';
import { createNotionClient } from '../src/notion/client.js';
import { computeFootprint, footprintInputOf, NotionFootprintError, pageBudgetsOf, type Footprint } from '../src/sync/footprint.js';
import { moveMonthViews } from '../src/notion/month-views.js';
import { monthStartIn, provisionNotion } from '../src/notion/provision/provision.js';
import type { BlockUsage, NotionFake } from '@tokensync/notion-sandbox';
import { DEFAULT_SEED_FILE, migrate } from '../src/supabase/migrator.js';
import type { LogWindowStatus } from '../src/supabase/results.js';
import { createSupabaseSource, openTransport } from '../src/supabase/source.js';
import { createCreationGate, readCreationStatus, type CreationStatus } from '../src/sync/creation.js';
import { PASS_COUNTS, type RowFailure } from '../src/sync/engine.js';
import { createMemoryLimiter } from '../src/notion/rate-limit/limiter.js';
import { openSyncEngine } from '../src/sync/open.js';
import { checkCharts, checkRollupPages, type DashboardCheck } from './dashboard-checks.js';
import { insertGeneratedCalls } from './fixtures.js';

export const SIMULATED_DAYS = 30;
/** The worker syncs every minute; the simulation every few hours of simulated time, which writes the same pages. */
export const DEFAULT_TICKS_PER_DAY = 4;
const TIMEZONE = 'UTC';
const DAY_MS = 86_400_000;
/** Datasets in the order of their lanes: alerts, rollups, logs. */
const PASS_ORDER: readonly Dataset[] = ['cost_alerts', 'budget_limits', 'daily_cost_breakdown', 'service_performance_metrics', 'workflow_analytics', 'token_usage_logs'];
/** A pass left incomplete (a transient failure) runs again, as BullMQ would retry it. */
const MAX_PASS_ATTEMPTS = 5;

export interface SimulationOptions {
  /** A migrated database of the simulation's own. */
  databaseUrl: string;
  /** The fake, configured as the workspace (its block limit on). */
  notion: NotionFake;
  parentPageId: string;
  callsPerDay: number;
  days?: number;
  ticksPerDay?: number;
  /** The last simulated day, YYYY-MM-DD (default today); its ticks never pass the real clock. */
  end?: string;
  onDay?: (day: SimulatedDay) => void;
}

export interface SimulatedDay {
  day: string;
  /** Blocks the workspace has used by the end of the day. */
  blocks: number;
  alertsRaised: number;
  checks: DashboardCheck[];
}

type PassTotals = Record<(typeof PASS_COUNTS)[number], number>;

export interface SimulationResult {
  /** What setup:notion printed and checked. */
  footprint: Footprint;
  pageBudgets: Partial<Record<Dataset, number>>;
  tokenLogPageBudget: number;
  blocksAfterSetup: number;
  days: SimulatedDay[];
  usage: BlockUsage;
  creation: CreationStatus;
  /** Live pages, and every page ever created (trashed ones included: each was a block). */
  pages: Record<Dataset, { live: number; ever: number }>;
  passes: Record<Dataset, PassTotals>;
  failures: (RowFailure & { dataset: Dataset })[];
  calls: number;
  alertsRaised: number;
  /** Notion's Cost Alerts pages are exactly the newest alerts SQL holds, as many as the budget. */
  newestAlertsShown: boolean;
  logWindow: LogWindowStatus;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

function environment(options: SimulationOptions, ids: Record<string, string> = {}) {
  return {
    DATABASE_URL: options.databaseUrl,
    NOTION_TOKEN: options.notion.token,
    NOTION_BASE_URL: options.notion.url,
    NOTION_PARENT_PAGE_ID: options.parentPageId,
    NOTION_WORKSPACE_PLAN: 'free',
    REPORT_TIMEZONE: TIMEZONE,
    // Calls are inserted before the pass that reads them; nothing is in flight.
    SYNC_SETTLE_MS: '0',
    ...ids,
  };
}

/** What setup:notion does on a Free workspace: the footprint must fit before anything is created. */
async function setUp(options: SimulationOptions, firstDay: string): Promise<{ config: Config; footprint: Footprint }> {
  const bare = loadConfig(environment(options));
  const footprint = computeFootprint(footprintInputOf(bare));
  if (!footprint.fits) throw new NotionFootprintError(footprint);
  // The seed's eight budget limits, as `npm run db:migrate` with the seed leaves them.
  await migrate({ databaseUrl: options.databaseUrl, seedFile: DEFAULT_SEED_FILE });
  const provisioned = await provisionNotion({
    client: createNotionClient({ token: options.notion.token, baseUrl: options.notion.url, maxRetries: 0 }),
    parentPageId: options.parentPageId,
    recorded: bare.notion.recorded,
    envFile: undefined,
    timezone: TIMEZONE,
    now: new Date(`${firstDay}T00:00:00Z`),
  });
  const ids: Record<string, string> = {};
  for (const dataset of DATASETS) {
    const names = notionIdVariables(dataset);
    ids[names.databaseId] = provisioned.databases[dataset]!.databaseId;
    ids[names.dataSourceId] = provisioned.databases[dataset]!.dataSourceId;
  }
  return { config: loadConfig(environment(options, ids)), footprint };
}

export async function simulateFreeWorkspace(options: SimulationOptions): Promise<SimulationResult> {
  const days = options.days ?? SIMULATED_DAYS;
  const ticks = options.ticksPerDay ?? DEFAULT_TICKS_PER_DAY;
  const startedAt = Date.now();
  const end = options.end ?? new Date(startedAt).toISOString().slice(0, 10);
  const firstDay = addDays(end, 1 - days);
  const { notion } = options;

  const { config, footprint } = await setUp(options, firstDay);
  const blocksAfterSetup = notion.state.blockUsage().created;
  const recorded = config.notion.recorded;
  const idsOf = (dataset: Dataset) => ({ databaseId: recorded[dataset].databaseId!, dataSourceId: recorded[dataset].dataSourceId! });

  let clock = new Date(`${firstDay}T00:00:00Z`);
  const logger = createLogger({ level: 'silent' });
  const opened = openSyncEngine(config, { limiter: createMemoryLimiter({ requestsPerSecond: 0 }), logger, engine: { now: () => clock } });
  const transport = openTransport(config);
  const source = createSupabaseSource(transport, { timezone: TIMEZONE });
  const creation = createCreationGate({ transport, logger, retryMs: config.notion.blockLimitRetryMs });
  const client = createNotionClient({ token: notion.token, baseUrl: notion.url, maxRetries: 0 });
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });

  const passes = Object.fromEntries(DATASETS.map((d) => [d, Object.fromEntries(PASS_COUNTS.map((c) => [c, 0]))])) as Record<Dataset, PassTotals>;
  const failures: SimulationResult['failures'] = [];
  const simulated: SimulatedDay[] = [];
  let calls = 0;
  let alertsRaised = 0;
  let monthShown: string | undefined;
  let reportHash: string | undefined;

  async function pass(dataset: Dataset): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const summary = await opened.engine.runPass(dataset);
      for (const count of PASS_COUNTS) passes[dataset][count] += summary[count];
      failures.push(...summary.failed.filter((f) => !f.retryable).map((f) => ({ ...f, dataset })));
      if (summary.complete) return;
      if (attempt === MAX_PASS_ATTEMPTS) throw new Error(`${dataset}: still incomplete after ${attempt} passes: ${JSON.stringify(summary.failed.slice(0, 3))}`);
    }
  }

  /** What the worker's schedulers run, once. */
  async function workerTick(): Promise<number> {
    await runRollupJob(source, { timezone: TIMEZONE });
    const budgets = await runBudgetJob(source, { timezone: TIMEZONE, now: clock, logger });
    for (const dataset of PASS_ORDER) await pass(dataset);
    // The report task: the month-to-date filter moves when the month turns, then the page is refreshed.
    const month = monthStartIn(clock, TIMEZONE);
    if (month !== monthShown) {
      await moveMonthViews({ client, recorded, timezone: TIMEZONE, now: clock });
      monthShown = month;
    }
    const report = await runReportJob(source, {
      client, parentPageId: options.parentPageId, timezone: TIMEZONE, now: clock, previousHash: reportHash, creation, tokenLogWindowDays: config.sync.tokenLogWindowDays,
    });
    if (report.written) reportHash = report.hash;
    return budgets.raised;
  }

  try {
    for (let d = 0; d < days; d++) {
      const day = addDays(firstDay, d);
      const dayStart = Date.parse(`${day}T00:00:00Z`);
      let raised = 0;
      for (let t = 0; t < ticks; t++) {
        const from = dayStart + (t * DAY_MS) / ticks;
        const to = Math.min(dayStart + ((t + 1) * DAY_MS) / ticks, startedAt);
        if (to <= from) break;
        const count = Math.floor((options.callsPerDay * (t + 1)) / ticks) - Math.floor((options.callsPerDay * t) / ticks);
        // Spread over the tick, the newest a minute before it ends.
        await insertGeneratedCalls(pool, 'sim-', new Date(to - 60_000), Math.max(1, Math.floor((to - from) / 60_000)), calls, count);
        calls += count;
        // The tick's last second: the day's last tick still belongs to the day (and its month).
        clock = new Date(to - 1000);
        raised += await workerTick();
      }
      alertsRaised += raised;
      const ctx = { notion, client, pool, timezone: TIMEZONE, today: day };
      const checks = [
        ...(await checkCharts(ctx, idsOf('daily_cost_breakdown'), 'Daily Costs')),
        ...(await checkCharts(ctx, idsOf('workflow_analytics'), 'Workflow Analytics', 'workflow_id is not null')),
        await checkRollupPages(ctx, 'daily_cost_breakdown', idsOf('daily_cost_breakdown').dataSourceId, 'Daily Costs'),
        await checkRollupPages(ctx, 'service_performance_metrics', idsOf('service_performance_metrics').dataSourceId, 'Service Performance Metrics'),
        await checkRollupPages(ctx, 'workflow_analytics', idsOf('workflow_analytics').dataSourceId, 'Workflow Analytics'),
      ];
      const result = { day, blocks: notion.state.blockUsage().created, alertsRaised: raised, checks };
      simulated.push(result);
      options.onDay?.(result);
    }

    const alertBudget = pageBudgetsOf(config).cost_alerts ?? 0;
    const { rows: newest } = await pool.query<{ id: string }>(`select id::text from public.cost_alerts order by created_at desc, id desc limit $1`, [alertBudget]);
    const shownAlerts = new Set(
      notion.state.pages(recorded.cost_alerts.dataSourceId!).map((p) => ((p.properties as Record<string, any>)['Supabase ID'].rich_text as { plain_text: string }[])[0]?.plain_text ?? ''),
    );
    const pages = Object.fromEntries(
      DATASETS.map((d) => [d, { live: notion.state.pageCount(recorded[d].dataSourceId!), ever: notion.state.pageCount(recorded[d].dataSourceId!, { includeTrashed: true }) }]),
    ) as SimulationResult['pages'];
    return {
      footprint,
      pageBudgets: pageBudgetsOf(config),
      tokenLogPageBudget: config.sync.tokenLogPageBudget,
      blocksAfterSetup,
      days: simulated,
      usage: notion.state.blockUsage(),
      creation: await readCreationStatus(transport),
      pages,
      passes,
      failures,
      calls,
      alertsRaised,
      newestAlertsShown: shownAlerts.size === newest.length && newest.every((r) => shownAlerts.has(r.id)),
      logWindow: await source.logWindowStatus({ pageBudget: config.sync.tokenLogPageBudget, windowDays: config.sync.tokenLogWindowDays, at: clock, timezone: TIMEZONE }),
    };
  } finally {
    await pool.end();
    await transport.close();
    await opened.close();
  }
}

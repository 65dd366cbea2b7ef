/**
 * The demo's Supabase side: the schema and seed, its two extra budget limits,
 * thirty days of usage recorded through the tracking SDK (priced from the
 * catalogue, like real calls), and what the worker would have computed over
 * those days: rollups (the daily cost breakdown the charts are drawn from
 * included), the alerts of each past day, the budgets' spend.
 */
import pg from 'pg';
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { localDate } from '../local-time.js';
import { createTracker } from '../sdk/tracker.js';
import { DEFAULT_SEED_FILE, migrate } from '../supabase/migrator.js';
import type { CostAlert, SupabaseSource } from '../supabase/source.js';
import { DEMO_LIMITS, syntheticUsage } from './synthetic.js';

const DAY_MS = 86_400_000;

export interface HistorySummary {
  calls: number;
  /** Calls the SDK refused (none, unless the generator is wrong). */
  rejected: number;
  alerts: number;
  criticalAlerts: number;
}

export interface HistoryOptions {
  databaseUrl: string;
  source: SupabaseSource;
  config: Config;
  logger: Logger;
  days: number;
  now: Date;
  /** Told what is being done, for the progress lines. */
  onStep?: (step: string) => void;
}

async function insertDemoLimits(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into public.budget_limits (entity_type, entity_id, daily_limit, monthly_limit, breach_action, description)
       select l.entity_type, l.entity_id, l.daily_limit, l.monthly_limit, l.breach_action, l.description
         from jsonb_to_recordset($1::jsonb) as l(entity_type text, entity_id text, daily_limit numeric, monthly_limit numeric, breach_action text, description text)
       on conflict (entity_type, entity_id) do nothing`,
      [JSON.stringify(DEMO_LIMITS)],
    );
  } finally {
    await client.end();
  }
}

/** Records the calls through the SDK, as an application would; every one must land. */
async function recordUsage(options: HistoryOptions): Promise<{ calls: number; rejected: number }> {
  const events = syntheticUsage({ days: options.days, now: options.now });
  const tracker = createTracker({ databaseUrl: options.databaseUrl, config: options.config, logger: options.logger, maxBufferedRecords: events.length });
  let rejected = 0;
  for (const event of events) if (!tracker.record(event).accepted) rejected += 1;
  const report = await tracker.close({ timeoutMs: 120_000 });
  if (report.written + report.duplicates < events.length - rejected) {
    throw new Error(`the demo's usage was not all written: ${JSON.stringify({ ...report, rejections: undefined })}`);
  }
  return { calls: report.written + report.duplicates, rejected };
}

/** Alerts as the budgets job would have raised them at the end of each past day, then now. */
async function replayAlerts(options: HistoryOptions): Promise<CostAlert[]> {
  const { source, now, days } = options;
  const timezone = options.config.reportTimezone;
  const raised: CostAlert[] = [];
  for (let daysAgo = days - 1; daysAgo >= 1; daysAgo--) {
    const endOfDay = new Date(Date.parse(`${localDate(new Date(now.getTime() - daysAgo * DAY_MS), timezone)}T23:59:00Z`));
    raised.push(...(await source.evaluateAlerts({ at: endOfDay, timezone })));
  }
  raised.push(...(await source.evaluateAlerts({ at: now, timezone })));
  return raised;
}

export async function writeHistory(options: HistoryOptions): Promise<HistorySummary> {
  const step = options.onStep ?? (() => undefined);
  const timezone = options.config.reportTimezone;
  step('applying the migrations and the seed');
  await migrate({ databaseUrl: options.databaseUrl, seedFile: DEFAULT_SEED_FILE });
  await insertDemoLimits(options.databaseUrl);
  step(`recording ${options.days} days of usage through the tracking SDK`);
  const { calls, rejected } = await recordUsage(options);
  step('computing rollups, budget spend and the alerts of each day');
  const range = { from: localDate(new Date(options.now.getTime() - options.days * DAY_MS), timezone), to: localDate(options.now, timezone), timezone };
  await options.source.rollupDays(range);
  await options.source.refreshBudgetSpend({ at: options.now, timezone });
  const alerts = await replayAlerts(options);
  return { calls, rejected, alerts: alerts.length, criticalAlerts: alerts.filter((a) => a.severity === 'critical').length };
}

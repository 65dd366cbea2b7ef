/**
 * The reporting jobs the worker schedules, as plain functions: each takes what
 * it needs, does one thing, and returns a summary for the log line.
 */
import type { Client } from '@notionhq/client';
import { localDate } from '../local-time.js';
import type { Logger } from '../logging/logger.js';
import { publishReport } from '../report/publish.js';
import type { SupabaseSource } from '../supabase/source.js';
import { notifyAlerts, type WebhookOptions } from './alert-webhook.js';

/** Late rows can still land on the previous day (clients buffer and retry). */
export const DEFAULT_ROLLUP_LOOKBACK_DAYS = 2;

export interface RollupJobOptions {
  timezone: string;
  lookbackDays?: number;
  now?: Date;
}

/** Recomputes today and the days that can still change, compacts spend buckets, refreshes the views. */
export async function runRollupJob(source: SupabaseSource, options: RollupJobOptions) {
  const now = options.now ?? new Date();
  const range = {
    from: localDate(new Date(now.getTime() - (options.lookbackDays ?? DEFAULT_ROLLUP_LOOKBACK_DAYS) * 86_400_000), options.timezone),
    to: localDate(now, options.timezone),
    timezone: options.timezone,
  };
  const services = await source.rollupServicePerformance(range);
  const workflows = await source.rollupWorkflowAnalytics(range);
  const dailyCosts = await source.rollupDailyCosts(range);
  const views = await source.refreshReportingViews();
  const spend = await source.compactSpend();
  return { range, services, workflows, dailyCosts, viewsRefreshedMs: views, spendBucketsMerged: spend.merged_rows };
}

export interface BudgetJobOptions {
  timezone: string;
  now?: Date;
  webhook?: Omit<WebhookOptions, 'logger'> | undefined;
  logger: Logger;
}

/**
 * Refreshes what each limit has spent (Notion's Budget Limits show it), raises
 * due alerts and hands the new ones to the webhook, without waiting for it.
 */
export async function runBudgetJob(source: SupabaseSource, options: BudgetJobOptions) {
  const at = { timezone: options.timezone, ...(options.now ? { at: options.now } : {}) };
  const spend = await source.refreshBudgetSpend(at);
  const alerts = await source.evaluateAlerts(at);
  const delivery = options.webhook && alerts.length > 0 ? notifyAlerts(alerts, { ...options.webhook, logger: options.logger }) : undefined;
  return { spendChanged: spend.changed, raised: alerts.length, critical: alerts.filter((a) => a.severity === 'critical').length, delivery };
}

export interface ReportJobOptions {
  client: Client;
  parentPageId: string;
  timezone: string;
  now?: Date;
  /** Hash of the last published report, so unchanged content costs no write. */
  previousHash?: string | undefined;
}

export async function runReportJob(source: SupabaseSource, options: ReportJobOptions) {
  const figures = await source.reportFigures({ timezone: options.timezone, ...(options.now ? { at: options.now } : {}) });
  return publishReport({ client: options.client, parentPageId: options.parentPageId, figures, previousHash: options.previousHash });
}

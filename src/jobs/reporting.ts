/**
 * The reporting jobs the worker schedules, as plain functions: each takes what
 * it needs, does one thing, and returns a summary for the log line.
 */
import type { Client } from '@notionhq/client';
import { localDate } from '../local-time.js';
import type { Logger } from '../logging/logger.js';
import { NotionBlockLimitError } from '../notion/client.js';
import { publishReport } from '../report/publish.js';
import type { CreationGate, CreationStatus } from '../sync/creation.js';
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
  const views = await source.refreshReportingViews();
  const spend = await source.compactSpend();
  return { range, services, workflows, viewsRefreshedMs: views, spendBucketsMerged: spend.merged_rows };
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
  /** Whether Notion still creates blocks; while it does not, the report says so and fits into its blocks. */
  creation?: CreationGate | undefined;
}

/** The report's line while Notion refuses new blocks. */
export function blockLimitNotice(status: Pick<CreationStatus, 'stoppedAt'>): string {
  const since = status.stoppedAt ? ` since ${status.stoppedAt.slice(0, 16).replace('T', ' ')} UTC` : '';
  return `Notion can create no more blocks in this workspace (its block limit)${since}: new calls and alerts that need a new page are held, existing pages are still kept up to date. Fix: upgrade the Notion plan, or lower TOKEN_LOG_PAGE_BUDGET and the rollup window.`;
}

export async function runReportJob(source: SupabaseSource, options: ReportJobOptions) {
  const figures = await source.reportFigures({ timezone: options.timezone, ...(options.now ? { at: options.now } : {}) });
  const publish = (status: CreationStatus | undefined, previousHash: string | undefined) =>
    publishReport({
      client: options.client,
      parentPageId: options.parentPageId,
      figures,
      previousHash,
      notices: status?.stopped ? [blockLimitNotice(status)] : [],
      canCreate: !status?.stopped,
    });
  const status = await options.creation?.status();
  try {
    return await publish(status, options.previousHash);
  } catch (error) {
    if (!(error instanceof NotionBlockLimitError && options.creation)) throw error;
    // Found out now: every process stops creating, and the report fits into the blocks it has.
    await options.creation.stopped(error);
    return publish(await options.creation.status(), undefined);
  }
}

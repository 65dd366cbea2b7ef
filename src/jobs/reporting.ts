/**
 * The reporting jobs the worker schedules, as plain functions: each takes what
 * it needs, does one thing, and returns a summary for the log line.
 */
import type { Client } from '@notionhq/client';
import type { Logger } from '../logging/logger.js';
import { NotionBlockLimitError } from '../notion/client.js';
import { monthStartIn } from '../notion/provision/provision.js';
import { publishReport } from '../report/publish.js';
import type { ReportLinks } from '../report/render.js';
import type { CreationGate, CreationStatus } from '../sync/creation.js';
import { leftOutSentence } from '../sync/log-window/sentence.js';
import type { RollupResult, SupabaseSource } from '../supabase/source.js';
import { notifyAlerts, type WebhookOptions } from './alert-webhook.js';

/** Claims per run at most: 50 × 31 days rolls up four years of history on a first run. */
export const MAX_ROLLUP_CLAIMS_PER_RUN = 50;

export interface RollupJobOptions {
  timezone: string;
  /** Local days per claim (default: the source's, 31). */
  maxDaysPerClaim?: number;
}

const addCounts = (a: RollupResult, b: RollupResult): RollupResult => ({ changed: a.changed + b.changed, deleted: a.deleted + b.deleted });

/**
 * Brings the day rollups up to date with the usage logs that changed since the
 * last run (only the days they touch, whatever the history), then compacts the
 * spend buckets. Days left over (a first run over long history) are taken up
 * by the next run: `pending` says so.
 */
export async function runRollupJob(source: SupabaseSource, options: RollupJobOptions) {
  const zero = { changed: 0, deleted: 0 };
  const totals = { days: [] as string[], hours: 0, skippedClosedDays: 0, services: zero, workflows: zero, dailyCosts: zero, claims: 0, pending: false };
  for (let claim = 0; claim < MAX_ROLLUP_CLAIMS_PER_RUN; claim++) {
    const step = await source.rollupChanged({
      timezone: options.timezone,
      ...(options.maxDaysPerClaim ? { maxDays: options.maxDaysPerClaim } : {}),
    });
    totals.claims += 1;
    totals.days.push(...step.days);
    totals.hours += step.hours;
    totals.skippedClosedDays += step.skippedClosedDays;
    totals.services = addCounts(totals.services, step.services);
    totals.workflows = addCounts(totals.workflows, step.workflows);
    totals.dailyCosts = addCounts(totals.dailyCosts, step.dailyCosts);
    totals.pending = step.hasMore;
    if (!step.hasMore) break;
  }
  const spend = await source.compactSpend();
  const { days, ...rest } = totals;
  // The log line says how many days and which span, not a list of (on a first run) years of dates.
  const sorted = [...new Set(days)].sort();
  return { days: { count: sorted.length, from: sorted[0] ?? null, to: sorted.at(-1) ?? null }, ...rest, spendBucketsMerged: spend.merged_rows };
}

export interface BudgetJobOptions {
  timezone: string;
  now?: Date;
  webhook?: Omit<WebhookOptions, 'logger'> | undefined;
  logger: Logger;
  /** Budget Limits' spend figures move at most this often per limit (SPEND_WAKE_WINDOW_MS), unless a threshold is crossed. */
  spendWindowMs?: number;
}

/**
 * Drops expired holds and lifts pauses whose period ended (first, so that the
 * spend and Notion see the agent running again), refreshes what each limit has
 * spent (Notion's Budget Limits show it), raises due alerts and hands the new
 * ones to the webhook, without waiting for it.
 */
export async function runBudgetJob(source: SupabaseSource, options: BudgetJobOptions) {
  const at = { timezone: options.timezone, ...(options.now ? { at: options.now } : {}) };
  const housekeeping = await source.budgetHousekeeping(at);
  // Quiet when idle: every run would otherwise log zeros.
  if (housekeeping.expiredHolds > 0 || housekeeping.liftedPauses > 0 || housekeeping.pausedAgents > 0) {
    options.logger.info(housekeeping, 'budget housekeeping');
  }
  const spend = await source.refreshBudgetSpend({ ...at, ...(options.spendWindowMs ? { minAgeMs: options.spendWindowMs } : {}) });
  const alerts = await source.evaluateAlerts(at);
  const delivery = options.webhook && alerts.length > 0 ? notifyAlerts(alerts, { ...options.webhook, logger: options.logger }) : undefined;
  return {
    ...housekeeping,
    spendChanged: spend.changed,
    raised: alerts.length,
    critical: alerts.filter((a) => a.severity === 'critical').length,
    late: alerts.filter((a) => a.late).length,
    delivery,
  };
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
  /** The raw-log window (TOKEN_LOG_WINDOW_DAYS): calls it left out are said on the report, never a silent gap. */
  tokenLogWindowDays?: number;
  /** Where a list cut short sends the reader for all of it. */
  links?: ReportLinks;
}

/** The report's line while Notion refuses new blocks. */
export function blockLimitNotice(status: Pick<CreationStatus, 'stoppedAt'>): string {
  const since = status.stoppedAt ? ` since ${status.stoppedAt.slice(0, 16).replace('T', ' ')} UTC` : '';
  return `Notion can create no more blocks in this workspace (its block limit)${since}: new calls and alerts that need a new page are held, existing pages are still kept up to date. Fix: upgrade the Notion plan, or lower TOKEN_LOG_PAGE_BUDGET and the rollup window.`;
}

/**
 * The report's line when Daily Costs' page budget (a Free workspace) gave up
 * days of the current month: the month-to-date chart then sums fewer days
 * than it claims. `evictedThrough`: the newest such day; `monthStart`: YYYY-MM-DD.
 */
export function monthToDateGapNotice(evictedThrough: string | null, monthStart: string): string | null {
  if (evictedThrough === null || evictedThrough < monthStart) return null;
  const days = Math.round((Date.parse(evictedThrough) - Date.parse(monthStart)) / 86_400_000) + 1;
  return `Daily Costs in Notion has room for fewer days than this month has had (its page budget on a Free workspace): the month-to-date chart and the Cost dashboard leave out ${monthStart} – ${evictedThrough} (${days} ${days === 1 ? 'day' : 'days'}). The figures on this page and in Supabase are whole. Fix: upgrade the Notion plan and set NOTION_WORKSPACE_PLAN=paid.`;
}

export async function runReportJob(source: SupabaseSource, options: ReportJobOptions) {
  const figures = await source.reportFigures({ timezone: options.timezone, ...(options.now ? { at: options.now } : {}) });
  const monthGap = monthToDateGapNotice(await source.evictedThrough('daily_cost_breakdown'), monthStartIn(options.now ?? new Date(), options.timezone));
  const leftOut = options.tokenLogWindowDays === undefined
    ? null
    : leftOutSentence(await source.logWindowStatus({ windowDays: options.tokenLogWindowDays, timezone: options.timezone, ...(options.now ? { at: options.now } : {}) }));
  const publish = (status: CreationStatus | undefined, previousHash: string | undefined) =>
    publishReport({
      client: options.client,
      parentPageId: options.parentPageId,
      figures,
      previousHash,
      notices: [...(status?.stopped ? [blockLimitNotice(status)] : []), ...(monthGap ? [monthGap] : []), ...(leftOut ? [leftOut] : [])],
      canCreate: !status?.stopped,
      ...(options.links ? { links: options.links } : {}),
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

/**
 * What a re-cost moves besides the logs, brought up to date in the same run:
 * the day rollups of every day whose costs changed, what each budget limit has
 * spent, and the alerts of every period the new costs reach (past ones too:
 * the rollup claim hands the changed hours to alert evaluation). Spend buckets
 * follow the logs by trigger; the report page and the Notion pages are the
 * worker's, on its next passes.
 */
import type { Logger } from '../logging/logger.js';
import type { SupabaseSource } from '../supabase/source.js';
import type { WebhookOptions } from './alert-webhook.js';
import { runBudgetJob, runRollupJob } from './reporting.js';

export interface RecostFollowUpOptions {
  timezone: string;
  now?: Date;
  logger: Logger;
  /** New alerts go to the webhook as the budgets job's would; the run waits for delivery. */
  webhook?: Omit<WebhookOptions, 'logger'> | undefined;
}

export interface RecostFollowUp {
  rollupDays: { count: number; from: string | null; to: string | null };
  /** Days left for the worker's rollup job (a re-cost over years of history). */
  rollupsPending: boolean;
  /** Budget limits whose spend figures changed. */
  spendChanged: number;
  alertsRaised: number;
  lateAlerts: number;
  webhook?: { delivered: number; failed: number };
}

export async function followRecost(source: SupabaseSource, options: RecostFollowUpOptions): Promise<RecostFollowUp> {
  // Rollups first: their claim is what tells alert evaluation which past periods changed.
  const rollups = await runRollupJob(source, { timezone: options.timezone });
  const { delivery, ...budgets } = await runBudgetJob(source, {
    timezone: options.timezone,
    logger: options.logger,
    webhook: options.webhook,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    rollupDays: rollups.days,
    rollupsPending: rollups.pending,
    spendChanged: budgets.spendChanged,
    alertsRaised: budgets.raised,
    lateAlerts: budgets.late,
    ...(delivery ? { webhook: await delivery.done } : {}),
  };
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "Moved: 3 days of rollups (…), 5 limits' spend, 2 alerts raised (1 late)." and what the worker does next. */
export function followUpSummary(f: RecostFollowUp): string {
  const span = f.rollupDays.count > 0 ? ` (${f.rollupDays.from} to ${f.rollupDays.to})` : '';
  const late = f.lateAlerts > 0 ? ` (${f.lateAlerts} late)` : '';
  const lines = [
    `Moved: ${count(f.rollupDays.count, 'day', 'days')} of rollups${span}, ${count(f.spendChanged, "limit's", "limits'")} spend, ` +
      `${count(f.alertsRaised, 'alert', 'alerts')} raised${late}.`,
  ];
  if (f.rollupsPending) lines.push('More days of rollups are left: the worker\'s rollup job takes them up on its next runs.');
  if (f.webhook) lines.push(`Alert webhook: ${f.webhook.delivered} delivered, ${f.webhook.failed} failed.`);
  lines.push('Left to the worker: Notion pages of those rollups, Budget Limits and Cost Alerts on its next sync, the report page on its next report run.');
  return `${lines.join('\n')}\n`;
}

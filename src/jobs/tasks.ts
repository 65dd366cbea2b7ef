/**
 * The scheduled tasks (rollups, budgets, report, notion-edits, retention) as
 * one runner: the worker's reporting processor and `npm run job` both call it,
 * so a task run by hand does exactly what its schedule does, in the same lane
 * of the Notion rate limit.
 */
import type { Client } from '@notionhq/client';
import type { Config } from '../config/env.js';
import type { Dataset } from '../datasets.js';
import { messageOf } from '../errors.js';
import { createPollMemory, pollNotionEdits } from '../inbound/notion-edits.js';
import type { Logger } from '../logging/logger.js';
import { createScrubber } from '../logging/scrub.js';
import { notionUrlOf } from '../notion/ids.js';
import { moveMonthViews } from '../notion/month-views.js';
import { monthStartIn } from '../notion/provision/provision.js';
import type { ReportLinks } from '../report/render.js';
import type { SupabaseSource } from '../supabase/source.js';
import type { CreationGate } from '../sync/creation.js';
import { inLane } from '../notion/rate-limit/lane-context.js';
import { runBudgetJob, runReportJob, runRollupJob } from './reporting.js';
import { recordReportOutcome } from './report-outcome.js';
import { runRetentionJob } from './retention.js';
import { LANE_OF_TASK, type ReportingTask } from './task-names.js';

export { REPORTING_TASKS as SCHEDULED_TASKS, type ReportingTask as ScheduledTask } from './task-names.js';


/** The databases a report's list cut short points to, once setup:notion has recorded them. */
function reportLinks(config: Config): ReportLinks {
  const budgetLimits = config.notion.recorded.budget_limits.databaseId;
  return budgetLimits ? { budgetLimits: notionUrlOf(budgetLimits) } : {};
}

/** How much later than new alerts the changed spend is synced: one request at Notion's 3/s. */
const SPEND_AFTER_ALERTS_MS = 400;

/** What the tasks remember between runs (the last report's hash, the month the views show), shared by every process. */
export interface TaskMemory {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

export interface TaskDeps {
  config: Config;
  source: SupabaseSource;
  /** A Notion client whose requests pass the shared rate limit. */
  notion: Client;
  /** Redis in the worker (and `npm run job` when Redis answers). */
  memory: TaskMemory;
  logger: Logger;
  /** Queues a woken sync pass: the alerts the budgets task raises, the spend it changes, reach Notion at once. */
  wakeSync?: ((dataset: Dataset, afterMs?: number, windowMs?: number) => Promise<void>) | undefined;
  /** Whether Notion still creates blocks (the workspace block limit), shared with the sync. */
  creation?: CreationGate | undefined;
  /**
   * Wait for the alert webhook's deliveries and report them: a process that
   * exits after one run must not cut them off. The worker does not wait.
   */
  awaitDeliveries?: boolean;
}

/** Why a task cannot run with this configuration, or undefined when it can. */
export function whyTaskCannotRun(config: Config, task: ReportingTask): string | undefined {
  if (task === 'report' && !config.notion.parentPageId) return 'NOTION_PARENT_PAGE_ID is not set';
  if ((task === 'report' || task === 'notion-edits') && !config.notion.token) return 'NOTION_TOKEN is not set';
  if (task === 'notion-edits' && !(config.notion.recorded.cost_alerts.dataSourceId && config.notion.recorded.budget_limits.dataSourceId)) {
    return 'the Cost Alerts and Budget Limits data source ids are not recorded; run npm run setup:notion';
  }
  return undefined;
}

/** Whether a task sends requests to Notion. */
export const NEEDS_NOTION: Readonly<Record<ReportingTask, boolean>> = {
  rollups: false,
  budgets: false,
  report: true,
  'notion-edits': true,
  retention: false,
};

export type TaskRunner = (task: ReportingTask) => Promise<Record<string, unknown>>;

export function createTaskRunner(deps: TaskDeps): TaskRunner {
  const { config, source, notion, memory } = deps;
  const timezone = config.reportTimezone;
  const hashKey = `${config.worker.queuePrefix}:report-hash`;
  const scrub = createScrubber(config.secrets);
  const errorText = (error: unknown) => scrub(messageOf(error));
  const monthKey = `${config.worker.queuePrefix}:month-views`;
  /** Property ids and editors' names the edits poll reuses while they hold. */
  const editsMemory = createPollMemory();

  /** Month-to-date views name the month's first day: moved once when the month turns, for every process. */
  const keepMonthViewsCurrent = async () => {
    if ((await memory.get(monthKey)) === monthStartIn(new Date(), timezone)) return undefined;
    const result = await moveMonthViews({ client: notion, recorded: config.notion.recorded, timezone });
    // Said once a month: what is skipped needs setup:notion, not another try every report.
    if (result.skipped.length > 0) deps.logger.warn({ skipped: result.skipped }, 'month-to-date views not moved');
    await memory.set(monthKey, result.monthStart);
    return result;
  };

  const run = async (task: ReportingTask): Promise<Record<string, unknown>> => {
    switch (task) {
      case 'rollups':
        return runRollupJob(source, { timezone });
      case 'budgets': {
        const webhook = config.reporting.alertWebhookUrl ? { url: config.reporting.alertWebhookUrl } : undefined;
        const { delivery, ...summary } = await runBudgetJob(source, { timezone, webhook, logger: deps.logger, spendWindowMs: config.wake.spendWindowMs });
        const delivered = deps.awaitDeliveries && delivery ? { webhook: await delivery.done } : {};
        // New alerts and changed spend go to Notion now, not at the next sync interval (whatever the transport).
        if (summary.raised > 0) await deps.wakeSync?.('cost_alerts');
        // Both travel in the alerts lane; the new alerts ask first, the spend figures right after.
        // Spend alone changes with every call: under load, waking for it at once would rewrite the Budget
        // Limits pages several times a second, so it wakes one pass per spend window.
        // A lifted pause changes the agent's Budget Limits page like spend does.
        if (summary.spendChanged > 0 || summary.liftedPauses > 0) {
          await (summary.raised > 0
            ? deps.wakeSync?.('budget_limits', SPEND_AFTER_ALERTS_MS)
            : deps.wakeSync?.('budget_limits', 0, config.wake.spendWindowMs));
        }
        return { ...summary, ...delivered };
      }
      case 'report': {
        const monthViews = await keepMonthViewsCurrent();
        const previousHash = (await memory.get(hashKey)) ?? undefined;
        const result = await runReportJob(source, {
          client: notion,
          parentPageId: config.notion.parentPageId!,
          timezone,
          previousHash,
          creation: deps.creation,
          tokenLogWindowDays: config.sync.tokenLogWindowDays,
          links: reportLinks(config),
        }).catch(async (error: unknown) => {
          await recordReportOutcome(memory, config.worker.queuePrefix, { at: new Date().toISOString(), ok: false, reason: errorText(error) });
          throw error;
        });
        if (result.written) await memory.set(hashKey, result.hash);
        await recordReportOutcome(memory, config.worker.queuePrefix, { at: new Date().toISOString(), ok: true });
        return { ...result, ...(monthViews ? { monthViews } : {}) };
      }
      case 'retention':
        return { ...(await runRetentionJob(source, { retentionDays: config.reporting.logRetentionDays, timezone })) };
      case 'notion-edits':
        return pollNotionEdits(source, {
          client: notion,
          memory: editsMemory,
          dataSources: { cost_alerts: config.notion.recorded.cost_alerts.dataSourceId!, budget_limits: config.notion.recorded.budget_limits.dataSourceId! },
          logger: deps.logger,
        });
    }
  };

  return (task) => inLane(LANE_OF_TASK[task], () => run(task));
}

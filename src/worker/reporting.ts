/**
 * The reporting side of the worker: one job scheduler per task, each on its
 * task's queue (budgets, notion-edits, reporting: see QUEUE_OF_TASK), and the
 * processor that runs each task in its lane. Tasks whose settings are missing
 * (no parent page, no data source ids) are not scheduled.
 */
import type { Client } from '@notionhq/client';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { TokensyncError } from '../errors.js';
import { createPollMemory, pollNotionEdits } from '../inbound/notion-edits.js';
import { decideNotionWebhook } from '../inbound/notion-webhook.js';
import { moveMonthViews } from '../notion/month-views.js';
import { upsertEnvFile } from '../notion/provision/env-file.js';
import { monthStartIn } from '../notion/provision/provision.js';
import { runRetentionJob } from '../jobs/retention.js';
import { runBudgetJob, runReportJob, runRollupJob } from '../jobs/reporting.js';
import type { Logger } from '../logging/logger.js';
import type { SupabaseSource } from '../supabase/source.js';
import type { CreationGate } from '../sync/creation.js';
import type { Dataset } from '../datasets.js';
import { inLane } from '../sync/lane-context.js';
import {
  LANE_OF_TASK,
  QUEUE_OF_TASK,
  REPORTING_JOB_OPTIONS,
  reportingSchedulerId,
  REPORTING_TASKS,
  type ReportingTask,
  type TaskQueueName,
} from './queues.js';

/** How much later than new alerts the changed spend is synced: one request at Notion's 3/s. */
const SPEND_AFTER_ALERTS_MS = 400;

/** Events that arrive together (one edit can send several) trigger one poll. */
const WEBHOOK_POLL_WINDOW_MS = 5_000;

export interface ReportingDeps {
  config: Config;
  source: SupabaseSource;
  /** A Notion client whose requests pass the shared rate limit. */
  notion: Client;
  /** Holds the last report's content hash, shared by every worker process. */
  redis: Redis;
  logger: Logger;
  /** Queues a woken sync pass: the alerts the budgets task raises, the spend it changes, reach Notion at once. */
  wakeSync?: (dataset: Dataset, afterMs?: number, windowMs?: number) => Promise<void>;
  /** Whether Notion still creates blocks (the workspace block limit), shared with the sync. */
  creation?: CreationGate;
}

/** Retention deletes whole local days: once a day is enough. */
const RETENTION_INTERVAL_MS = 86_400_000;

function intervalOf(config: Config, task: ReportingTask): number {
  const r = config.reporting;
  return { rollups: r.rollupIntervalMs, budgets: r.budgetIntervalMs, report: r.reportIntervalMs, 'notion-edits': r.notionEditsIntervalMs, retention: RETENTION_INTERVAL_MS }[task];
}

/** Why a task cannot run with this configuration, or undefined when it can. */
function missingFor(config: Config, task: ReportingTask): string | undefined {
  if (task === 'report' && !config.notion.parentPageId) return 'NOTION_PARENT_PAGE_ID is not set';
  if (task === 'notion-edits' && !(config.notion.recorded.cost_alerts.dataSourceId && config.notion.recorded.budget_limits.dataSourceId)) {
    return 'the Cost Alerts and Budget Limits data source ids are not recorded; run npm run setup:notion';
  }
  return undefined;
}

/**
 * Schedules each task on its own queue, and removes its scheduler from the
 * others (an installation from before the split had every task on `reporting`).
 */
export async function scheduleReporting(queues: Readonly<Record<TaskQueueName, Queue>>, config: Config, log: Logger): Promise<ReportingTask[]> {
  const scheduled: ReportingTask[] = [];
  for (const task of REPORTING_TASKS) {
    for (const [name, queue] of Object.entries(queues)) {
      if (name !== QUEUE_OF_TASK[task]) await queue.removeJobScheduler(reportingSchedulerId(task));
    }
    const queue = queues[QUEUE_OF_TASK[task]];
    const missing = missingFor(config, task);
    if (missing) {
      log.warn({ task, reason: missing }, 'reporting task not scheduled');
      await queue.removeJobScheduler(reportingSchedulerId(task));
      continue;
    }
    await queue.upsertJobScheduler(reportingSchedulerId(task), { every: intervalOf(config, task) }, { name: task, data: {}, opts: REPORTING_JOB_OPTIONS });
    scheduled.push(task);
  }
  return scheduled;
}

export function reportingProcessor(deps: ReportingDeps) {
  const { config, source, notion, redis } = deps;
  const timezone = config.reportTimezone;
  const hashKey = `${config.worker.queuePrefix}:report-hash`;
  const monthKey = `${config.worker.queuePrefix}:month-views`;
  /** Property ids and editors' names the edits poll reuses while they hold. */
  const editsMemory = createPollMemory();

  /** Month-to-date views name the month's first day: moved once when the month turns, for every process. */
  const keepMonthViewsCurrent = async () => {
    if ((await redis.get(monthKey)) === monthStartIn(new Date(), timezone)) return undefined;
    const result = await moveMonthViews({ client: notion, recorded: config.notion.recorded, timezone });
    // Said once a month: what is skipped needs setup:notion, not another try every report.
    if (result.skipped.length > 0) deps.logger.warn({ skipped: result.skipped }, 'month-to-date views not moved');
    await redis.set(monthKey, result.monthStart);
    return result;
  };

  const run = async (task: ReportingTask) => {
    switch (task) {
      case 'rollups':
        return runRollupJob(source, { timezone });
      case 'budgets': {
        const webhook = config.reporting.alertWebhookUrl ? { url: config.reporting.alertWebhookUrl } : undefined;
        const { delivery, ...summary } = await runBudgetJob(source, { timezone, webhook, logger: deps.logger, spendWindowMs: config.wake.spendWindowMs });
        // New alerts and changed spend go to Notion now, not at the next sync interval (whatever the transport).
        if (summary.raised > 0) await deps.wakeSync?.('cost_alerts');
        // Both travel in the alerts lane; the new alerts ask first, the spend figures right after.
        // Spend alone changes with every call: under load, waking for it at once would rewrite the Budget
        // Limits pages several times a second, so it wakes one pass per spend window.
        if (summary.spendChanged > 0) {
          await (summary.raised > 0
            ? deps.wakeSync?.('budget_limits', SPEND_AFTER_ALERTS_MS)
            : deps.wakeSync?.('budget_limits', 0, config.wake.spendWindowMs));
        }
        return summary;
      }
      case 'report': {
        const monthViews = await keepMonthViewsCurrent();
        const previousHash = (await redis.get(hashKey)) ?? undefined;
        const result = await runReportJob(source, { client: notion, parentPageId: config.notion.parentPageId!, timezone, previousHash, creation: deps.creation, tokenLogWindowDays: config.sync.tokenLogWindowDays });
        if (result.written) await redis.set(hashKey, result.hash);
        return { ...result, ...(monthViews ? { monthViews } : {}) };
      }
      case 'retention':
        return runRetentionJob(source, { retentionDays: config.reporting.logRetentionDays, timezone });
      case 'notion-edits':
        return pollNotionEdits(source, {
          client: notion,
          memory: editsMemory,
          dataSources: { cost_alerts: config.notion.recorded.cost_alerts.dataSourceId!, budget_limits: config.notion.recorded.budget_limits.dataSourceId! },
          logger: deps.logger,
        });
    }
  };

  return async (job: Job) => {
    const task = job.name as ReportingTask;
    if (!REPORTING_TASKS.includes(task)) throw new UnrecoverableError(`unknown reporting task ${job.name}`);
    try {
      return await inLane(LANE_OF_TASK[task], () => run(task));
    } catch (error) {
      if (error instanceof TokensyncError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

/**
 * POST /notion/webhook: the one-time verification token is recorded in
 * NOTION_ENV_FILE (never logged: it is a secret); a verified event about a page
 * or data source queues an immediate edits poll.
 */
export async function answerNotionWebhook(
  body: string,
  signature: string | undefined,
  deps: { config: Config; editsQueue: Queue; log: Logger },
): Promise<{ status: number; body: string }> {
  const decision = decideNotionWebhook(body, signature, deps.config.reporting.notionWebhookSecret);
  switch (decision.action) {
    case 'verification':
      await upsertEnvFile(deps.config.notion.envFile, { NOTION_WEBHOOK_SECRET: decision.token });
      deps.log.warn({ file: deps.config.notion.envFile },
        'Notion webhook verification token written as NOTION_WEBHOOK_SECRET; paste it into the subscription in Notion, then restart the worker');
      return { status: 200, body: 'ok\n' };
    case 'poll':
      if (missingFor(deps.config, 'notion-edits')) return { status: 200, body: 'ignored: edits polling is not configured\n' };
      await deps.editsQueue.add('notion-edits', {}, {
        ...REPORTING_JOB_OPTIONS,
        jobId: `notion-edits-webhook-${Math.floor(Date.now() / WEBHOOK_POLL_WINDOW_MS)}`,
      });
      return { status: 200, body: 'ok\n' };
    case 'ignore':
      return { status: 200, body: 'ignored\n' };
    case 'reject':
      deps.log.warn({ reason: decision.reason }, 'Notion webhook rejected');
      return { status: decision.status, body: `${decision.reason}\n` };
  }
}

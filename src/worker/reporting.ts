/**
 * The reporting side of the worker: one job scheduler per task, each on its
 * task's queue (budgets, notion-edits, reporting: see QUEUE_OF_TASK), and the
 * processor that runs each task in its lane. Tasks whose settings are missing
 * (no parent page, no data source ids) are not scheduled.
 */
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import { TokensyncError } from '../errors.js';
import { decideNotionWebhook } from '../inbound/notion-webhook.js';
import { firstDelivery, keepVerificationToken } from '../inbound/webhook-memory.js';
import { REPORTING_TASKS, type ReportingTask } from '../jobs/task-names.js';
import { createTaskRunner, whyTaskCannotRun, type TaskDeps } from '../jobs/tasks.js';
import type { Logger } from '../logging/logger.js';
import {
  QUEUE_OF_TASK,
  REPORTING_JOB_OPTIONS,
  reportingSchedulerId,
  type TaskQueueName,
} from './queues.js';

/** Events that arrive together (one edit can send several) trigger one poll. */
const WEBHOOK_POLL_WINDOW_MS = 5_000;

export interface ReportingDeps extends Omit<TaskDeps, 'memory' | 'awaitDeliveries'> {
  /** Holds the last report's content hash, shared by every worker process. */
  redis: Redis;
}

/** Retention deletes whole local days: once a day is enough. */
const RETENTION_INTERVAL_MS = 86_400_000;

function intervalOf(config: Config, task: ReportingTask): number {
  const r = config.reporting;
  return { rollups: r.rollupIntervalMs, budgets: r.budgetIntervalMs, report: r.reportIntervalMs, 'notion-edits': r.notionEditsIntervalMs, retention: RETENTION_INTERVAL_MS }[task];
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
    const missing = whyTaskCannotRun(config, task);
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

/** Runs each job with the task runner `npm run job` uses too (src/jobs/tasks.ts). */
export function reportingProcessor(deps: ReportingDeps) {
  const runTask = createTaskRunner({ ...deps, memory: deps.redis });
  return async (job: Job) => {
    const task = job.name as ReportingTask;
    if (!REPORTING_TASKS.includes(task)) throw new UnrecoverableError(`unknown reporting task ${job.name}`);
    try {
      return await runTask(task);
    } catch (error) {
      if (error instanceof TokensyncError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

/**
 * POST /notion/webhook: the one-time verification token is kept in Redis for the
 * operator (`npm run webhook -- --show-token`), never written to configuration
 * and never logged; a verified event about a page or data source queues an
 * immediate edits poll, once per event id.
 */
export async function answerNotionWebhook(
  request: { body: string; signature: string | undefined; from: string },
  deps: { config: Config; editsQueue: Queue; redis: Redis; log: Logger },
): Promise<{ status: number; body: string }> {
  const decision = decideNotionWebhook(request.body, request.signature, deps.config.reporting.notionWebhookSecret);
  const prefix = deps.config.worker.queuePrefix;
  switch (decision.action) {
    case 'verification':
      await keepVerificationToken(deps.redis, prefix, { token: decision.token, at: new Date().toISOString(), from: request.from });
      deps.log.warn({ from: request.from },
        'Notion webhook verification token received and kept for you (not logged, not written to any file): run `npm run webhook -- --show-token` to see it, paste it into the subscription in Notion, then set NOTION_WEBHOOK_SECRET to it and restart the worker');
      return { status: 200, body: 'ok\n' };
    case 'stale':
      deps.log.warn({ type: decision.type }, 'Notion webhook event older than the replay window ignored');
      return { status: 200, body: 'ignored: older than the replay window\n' };
    case 'poll':
      if (whyTaskCannotRun(deps.config, 'notion-edits')) return { status: 200, body: 'ignored: edits polling is not configured\n' };
      if (decision.eventId !== undefined && !(await firstDelivery(deps.redis, prefix, decision.eventId))) {
        return { status: 200, body: 'ignored: this event was already received\n' };
      }
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

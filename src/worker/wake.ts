/**
 * What a change wakes, and how often. A committed usage row, budget change or
 * alert queues the work it calls for at once instead of waiting for an
 * interval, coalesced by BullMQ's deduplication (one id per kind of work,
 * shared by every process, `keepLastIfActive`): at most one such job runs and
 * one waits, however many changes ask. A job waits its delay before it runs,
 * and a waiting one is created again only when the running one ends, so woken
 * runs of one kind are at least that delay apart: a rollup row that changes
 * 100 times a minute is written to Notion at most once per rollup window.
 *
 * Sync jobs wait at least `settleMs` (plus a margin): a pass reads only rows
 * older than that (see tokensync_sync_horizon), so sooner would find nothing.
 */
import type { Queue } from 'bullmq';
import { DATASETS, type Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { laneOf, type Lane } from '../sync/lanes.js';
import type { NotifyingTable } from './change-listener.js';
import { REPORTING_JOB_OPTIONS, SYNC_JOB_OPTIONS } from './queues.js';

/** Past the settle time, for the clocks of worker and database and the timer. */
export const SETTLE_MARGIN_MS = 50;

export interface WakeWindows {
  /** Woken budget evaluations run this long after the first change, and at least this far apart. */
  budgetsMs: number;
  /** Woken sync passes, by lane: the least time between two of one dataset (alerts: only the settle time). */
  syncMs: Readonly<Record<Lane, number>>;
  settleMs: number;
}

export interface WakeTargets {
  syncQueues: Readonly<Record<Lane, Queue>>;
  /** Undefined: budget evaluation is not run by this worker. */
  budgetsQueue: Queue | undefined;
  /** Datasets this worker syncs (those with a data source id). */
  datasets: ReadonlySet<Dataset>;
}

export interface Waker {
  /** A committed change to one of the notifying tables. */
  tableChanged(table: NotifyingTable): Promise<void>;
  budgets(): Promise<void>;
  sync(dataset: Dataset): Promise<void>;
}

/** What each table's change wakes. */
export const WAKES_OF_TABLE: Readonly<Record<NotifyingTable, { budgets: boolean; datasets: readonly Dataset[] }>> = {
  // New spend: alerts are evaluated from it at once; the log window and the rollups may have moved.
  token_usage_logs: { budgets: true, datasets: DATASETS.filter((d) => d === 'token_usage_logs' || laneOf(d) === 'rollups') },
  // A new or changed limit changes what is due, and its own page.
  budget_limits: { budgets: true, datasets: ['budget_limits'] },
  cost_alerts: { budgets: false, datasets: ['cost_alerts'] },
};

/** How long a woken pass of `dataset` waits: past the settle time, and no sooner than its lane's window. */
export function syncDelayMs(dataset: Dataset, windows: WakeWindows): number {
  return Math.max(windows.syncMs[laneOf(dataset)], windows.settleMs + SETTLE_MARGIN_MS);
}

export const budgetsWakeId = 'wake-budgets';
export const syncWakeId = (dataset: Dataset) => `wake-sync-${dataset}`;

export function createWaker(targets: WakeTargets, windows: WakeWindows, logger: Logger): Waker {
  const log = logger.child({ component: 'wake' });
  const failed = (what: string) => (error: unknown) => log.warn({ err: error, what }, 'could not queue a woken job; the interval covers it');

  const budgets = async () => {
    if (!targets.budgetsQueue) return;
    await targets.budgetsQueue
      .add('budgets', {}, { ...REPORTING_JOB_OPTIONS, delay: windows.budgetsMs, deduplication: { id: budgetsWakeId, keepLastIfActive: true } })
      .then(() => undefined, failed('budgets'));
  };

  const sync = async (dataset: Dataset) => {
    if (!targets.datasets.has(dataset)) return;
    await targets.syncQueues[laneOf(dataset)]
      .add('wake', { dataset }, { ...SYNC_JOB_OPTIONS, delay: syncDelayMs(dataset, windows), deduplication: { id: syncWakeId(dataset), keepLastIfActive: true } })
      .then(() => undefined, failed(dataset));
  };

  return {
    budgets,
    sync,
    async tableChanged(table) {
      const wakes = WAKES_OF_TABLE[table];
      await Promise.all([wakes.budgets ? budgets() : undefined, ...wakes.datasets.map(sync)]);
    },
  };
}

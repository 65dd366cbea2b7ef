/**
 * What a change wakes, and how often. A committed usage row, budget change or
 * alert queues the work it calls for at once instead of waiting for an
 * interval, coalesced across every process that hears it.
 *
 * Budget evaluation reads spend as it is when it runs: BullMQ's deduplication
 * (one id, `keepLastIfActive`) keeps at most one run going and one waiting,
 * however many changes ask, and a waiting run starts `budgetsMs` after the one
 * before it.
 *
 * A sync pass reads only rows older than the settle time (see
 * tokensync_sync_horizon), so a waiting pass cannot simply absorb a later
 * change: a change at t needs a pass that starts after t + settle. Time is cut
 * into windows per dataset; the job of a window (its id names the window, so
 * every process queues the same one) runs at the window's end + settle, after
 * every change in it. A rollup row that changes 100 times a minute is thus
 * written to Notion at most once per rollup window. Jobs of windows that a
 * complete pass started after has covered end at once (see PassRecords), so a
 * long pass leaves no queue of passes behind it.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DATASETS, type Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { laneOf, type Lane } from '../notion/rate-limit/lanes.js';
import type { NotifyingTable } from './change-listener.js';
import { REPORTING_JOB_OPTIONS, SYNC_JOB_OPTIONS } from './queues.js';

/** Past the settle time, for the clocks of worker and database and the timer. */
export const SETTLE_MARGIN_MS = 50;

export interface WakeWindows {
  /** Woken budget evaluations run this long after the first change, and at least this far apart. */
  budgetsMs: number;
  /** Windows of woken sync passes, by lane: at most one woken pass per dataset per window. */
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
  /**
   * Wakes a pass of `dataset`, for changes committed by now; `afterMs` lets another
   * pass of the lane ask first; `windowMs` (default: the lane's) coalesces more widely.
   */
  sync(dataset: Dataset, afterMs?: number, windowMs?: number): Promise<void>;
}

/** What each table's change wakes. */
export const WAKES_OF_TABLE: Readonly<Record<NotifyingTable, { budgets: boolean; datasets: readonly Dataset[] }>> = {
  // New spend: alerts are evaluated from it at once; the log window and the rollups may have moved.
  token_usage_logs: { budgets: true, datasets: DATASETS.filter((d) => d === 'token_usage_logs' || laneOf(d) === 'rollups') },
  // A new or changed limit changes what is due, and its own page.
  budget_limits: { budgets: true, datasets: ['budget_limits'] },
  cost_alerts: { budgets: false, datasets: ['cost_alerts'] },
};

/** The window `now` falls in, and how long until it ends. */
export function windowOf(now: number, windowMs: number): { slot: number; untilEndMs: number } {
  const slot = Math.floor(now / windowMs);
  return { slot, untilEndMs: (slot + 1) * windowMs - now };
}

/** Alerts' windows: short enough to add little to the settle time, long enough to gather one statement's echo. */
export const ALERTS_WINDOW_MS = 50;

export const budgetsWakeId = 'wake-budgets';

export function createWaker(targets: WakeTargets, windows: WakeWindows, logger: Logger, now: () => number = Date.now): Waker {
  const log = logger.child({ component: 'wake' });
  const failed = (what: string) => (error: unknown) => log.warn({ err: error, what }, 'could not queue a woken job; the interval covers it');

  const budgets = async () => {
    if (!targets.budgetsQueue) return;
    await targets.budgetsQueue
      .add('budgets', {}, { ...REPORTING_JOB_OPTIONS, delay: windows.budgetsMs, deduplication: { id: budgetsWakeId, keepLastIfActive: true } })
      .then(() => undefined, failed('budgets'));
  };

  // The window each dataset's last job was queued for by this process, per window length: a busy table notifies many times a window.
  const queuedSlot = new Map<string, number>();
  const sync = async (dataset: Dataset, afterMs = 0, windowMs?: number) => {
    if (!targets.datasets.has(dataset)) return;
    const lane = laneOf(dataset);
    const length = Math.max(1, windowMs ?? windows.syncMs[lane]);
    const { slot, untilEndMs } = windowOf(now() + afterMs, length);
    const queued = `${dataset}:${length}`;
    if (queuedSlot.get(queued) === slot) return;
    queuedSlot.set(queued, slot);
    await targets.syncQueues[lane]
      .add('wake', { dataset }, { ...SYNC_JOB_OPTIONS, jobId: `wake-${dataset}-${length}-${slot}`, delay: afterMs + untilEndMs + windows.settleMs + SETTLE_MARGIN_MS })
      .then(() => undefined, failed(dataset));
  };

  return {
    budgets,
    sync,
    async tableChanged(table) {
      const wakes = WAKES_OF_TABLE[table];
      await Promise.all([wakes.budgets ? budgets() : undefined, ...wakes.datasets.map((dataset) => sync(dataset))]);
    },
  };
}

/**
 * When the last complete pass of each dataset started, shared by every process:
 * a woken job due before then has nothing left to do.
 */
export interface PassRecords {
  recordComplete(dataset: Dataset, startedAt: number): Promise<void>;
  lastCompleteStart(dataset: Dataset): Promise<number>;
}

/** Keeps the later of the stored and the given start. */
const KEEP_LATER = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > stored then redis.call('SET', KEYS[1], ARGV[1], 'PX', 86400000) end
return 1
`;

export function createPassRecords(redis: Redis, prefix: string): PassRecords {
  const key = (dataset: Dataset) => `${prefix}:last-complete-pass:${dataset}`;
  return {
    async recordComplete(dataset, startedAt) {
      await redis.eval(KEEP_LATER, 1, key(dataset), String(startedAt));
    },
    async lastCompleteStart(dataset) {
      return Number((await redis.get(key(dataset))) ?? 0);
    },
  };
}

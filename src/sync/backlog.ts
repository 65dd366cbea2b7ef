/**
 * Backpressure made visible: per dataset and per lane, how many changes are
 * still to be written to Notion and how long the oldest has waited, and which
 * lanes are past their lag limit. Counted in Postgres (tokensync_sync_backlog)
 * at the cost of the backlog, never of history.
 *
 * "Backlog" means changes after the checkpoint not yet written (plus deleted
 * rows whose page is still live). Rows the sync leaves out on purpose (raw logs
 * before the window, calls a bounded window does not take) are not a backlog;
 * rows it gave up on are counted apart, as failed.
 */
import { DATASETS, type Dataset } from '../datasets.js';
import type { SupabaseSource, SyncBacklog, SyncBacklogReport } from '../supabase/source.js';
import { progressRequestOf } from './progress.js';
import { LANES, laneOf, type Lane } from '../notion/rate-limit/lanes.js';

export interface DatasetBacklog {
  dataset: Dataset;
  lane: Lane;
  pending: number;
  failed: number;
  /** Seconds the oldest pending change has waited; null when nothing is pending. */
  oldestPendingSeconds: number | null;
  /** Seconds since the oldest failed row changed; null when none failed. */
  oldestFailedSeconds: number | null;
  /** The count stopped at its limit: at least `pending` are pending. */
  capped: boolean;
}

export interface LaneBacklog {
  lane: Lane;
  pending: number;
  failed: number;
  oldestPendingSeconds: number | null;
  capped: boolean;
  /** The configured lag limit, in seconds. */
  limitSeconds: number;
  /** The oldest pending change has waited longer than the limit: the lane does not keep up. */
  behind: boolean;
}

export interface BacklogReport {
  /** When the count started: the ages are as of then (ageReport grows them to now). */
  countedAt: Date;
  datasets: DatasetBacklog[];
}

export type LaneLagLimitsMs = Readonly<Record<Lane, number>>;

export interface BacklogOptions {
  tokenLogWindowDays: number;
  datasets?: readonly Dataset[];
  /** Rows read after each checkpoint at most; default none (exact at any size). */
  limit?: number;
  now?: Date;
}

const secondsBetween = (later: number, earlier: string | null): number | null =>
  earlier === null ? null : Math.max(0, (later - Date.parse(earlier)) / 1000);

function fromRow(row: SyncBacklog, asOf: number): DatasetBacklog {
  return {
    dataset: row.dataset,
    lane: laneOf(row.dataset),
    pending: row.pending,
    failed: row.failed,
    oldestPendingSeconds: secondsBetween(asOf, row.oldestPendingAt),
    oldestFailedSeconds: secondsBetween(asOf, row.oldestFailedAt),
    capped: row.capped,
  };
}

/**
 * The raw-log window's backlog: calls no pass has covered yet. Calls a pass left
 * out over the lane's share are counted there (left out), not as waiting; calls
 * Notion refused for good are failed, as in every other dataset.
 */
async function logWindowBacklog(source: SupabaseSource, windowDays: number, asOf: number): Promise<DatasetBacklog> {
  const status = await source.logWindowStatus({ windowDays, at: new Date(asOf) });
  return {
    dataset: 'token_usage_logs',
    lane: laneOf('token_usage_logs'),
    pending: status.unmirrored,
    failed: status.failed,
    oldestPendingSeconds: secondsBetween(asOf, status.oldestUnmirroredAt),
    oldestFailedSeconds: secondsBetween(asOf, status.oldestFailedAt),
    capped: false,
  };
}

/** Counts the backlog of each dataset (all of them by default) in one database call. */
export async function readBacklog(source: SupabaseSource, options: BacklogOptions): Promise<BacklogReport> {
  const started = new Date();
  const now = (options.now ?? started).getTime();
  const wanted = options.datasets ?? DATASETS;
  const report: SyncBacklogReport = await source.syncBacklog(
    // Token Usage Logs is a window with state of its own (src/sync/log-window): counted below.
    wanted.filter((dataset) => dataset !== 'token_usage_logs').map((dataset) => progressRequestOf(dataset, now, options.tokenLogWindowDays)),
    options.limit === undefined ? {} : { limit: options.limit },
  );
  // Ages by the database clock, which also stamped updated_at.
  const asOf = Date.parse(report.asOf);
  const datasets = report.datasets.map((row) => fromRow(row, asOf));
  if (wanted.includes('token_usage_logs')) datasets.push(await logWindowBacklog(source, options.tokenLogWindowDays, asOf));
  datasets.sort((a, b) => wanted.indexOf(a.dataset) - wanted.indexOf(b.dataset));
  return { countedAt: started, datasets };
}

/** The same report, its ages grown by the time since it was counted (a cached report stays honest). */
export function ageReport(report: BacklogReport, now: Date = new Date()): BacklogReport {
  const elapsed = Math.max(0, (now.getTime() - report.countedAt.getTime()) / 1000);
  const grow = (seconds: number | null) => (seconds === null ? null : seconds + elapsed);
  return {
    countedAt: report.countedAt,
    datasets: report.datasets.map((d) => ({ ...d, oldestPendingSeconds: grow(d.oldestPendingSeconds), oldestFailedSeconds: grow(d.oldestFailedSeconds) })),
  };
}

const oldest = (values: (number | null)[]): number | null =>
  values.reduce<number | null>((max, v) => (v === null ? max : max === null ? v : Math.max(max, v)), null);

/** Every lane, in priority order, summed over its datasets. */
export function laneBacklogs(report: BacklogReport, limitsMs: LaneLagLimitsMs): LaneBacklog[] {
  return LANES.map((lane) => {
    const members = report.datasets.filter((d) => d.lane === lane);
    const oldestPendingSeconds = oldest(members.map((d) => d.oldestPendingSeconds));
    const limitSeconds = limitsMs[lane] / 1000;
    return {
      lane,
      pending: members.reduce((n, d) => n + d.pending, 0),
      failed: members.reduce((n, d) => n + d.failed, 0),
      oldestPendingSeconds,
      capped: members.some((d) => d.capped),
      limitSeconds,
      behind: oldestPendingSeconds !== null && oldestPendingSeconds > limitSeconds,
    };
  });
}

/** 75 s → "1m 15s"; for people reading a status line. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

const rows = (n: number, capped: boolean) => `${capped ? 'at least ' : ''}${n} row${n === 1 ? '' : 's'}`;

/** One line per lane that does not keep up; empty when every lane does. */
export function laneWarnings(lanes: readonly LaneBacklog[]): string[] {
  return lanes
    .filter((l) => l.behind)
    .map(
      (l) =>
        `lane ${l.lane} is behind: its oldest unsynced change waited ${formatSeconds(l.oldestPendingSeconds)} ` +
        `(limit ${formatSeconds(l.limitSeconds)}), ${rows(l.pending, l.capped)} to write`,
    );
}

/** One line per lane with rows the sync gave up on; they stay until the rows are fixed or change. */
export function failedWarnings(lanes: readonly LaneBacklog[]): string[] {
  return lanes.filter((l) => l.failed > 0).map((l) => `lane ${l.lane}: ${rows(l.failed, false)} failed for good and not in Notion`);
}

/**
 * The backlog as the worker's scrapes and readiness probes see it: counted at
 * most once per TTL whoever asks (one query in flight at a time), bounded in
 * rows, and never holding a scrape longer than a short wait. A count still
 * running after that wait answers the next caller; meanwhile the last report
 * is served with its ages grown by the time since it was counted.
 */
import type { Logger } from '../logging/logger.js';
import { ageReport, laneBacklogs, type BacklogReport, type LaneBacklog, type LaneLagLimitsMs } from '../sync/backlog.js';

/** A scrape every few seconds costs at most one count per this. */
export const BACKLOG_CACHE_TTL_MS = 5_000;
/** How long a scrape or probe waits for a fresh count before it takes the last one. */
export const BACKLOG_WAIT_MS = 1_000;
/** Before the first count has answered there is no last one: wait longer for it (once, at start). */
export const BACKLOG_FIRST_WAIT_MS = 10_000;
/**
 * Rows read after each checkpoint per count. Beyond it a dataset's count is
 * reported as "at least" (capped), its oldest change still exact; sync --status
 * counts without a limit.
 */
export const BACKLOG_COUNT_LIMIT = 50_000;

export interface BacklogView {
  report: BacklogReport;
  lanes: LaneBacklog[];
}

export interface BacklogMonitor {
  /**
   * The latest backlog, aged to now; undefined until a first count has
   * succeeded. `maxWaitMs` caps the wait for a fresh count (a probe with a
   * deadline of its own).
   */
  current(options?: { maxWaitMs?: number }): Promise<BacklogView | undefined>;
}

export interface BacklogMonitorOptions {
  /** Counts the backlog (readBacklog with BACKLOG_COUNT_LIMIT). */
  count: () => Promise<BacklogReport>;
  limitsMs: LaneLagLimitsMs;
  logger: Logger;
  ttlMs?: number;
  waitMs?: number;
  firstWaitMs?: number;
}

export function createBacklogMonitor(options: BacklogMonitorOptions): BacklogMonitor {
  const ttlMs = options.ttlMs ?? BACKLOG_CACHE_TTL_MS;
  const waitMs = options.waitMs ?? BACKLOG_WAIT_MS;
  const firstWaitMs = options.firstWaitMs ?? BACKLOG_FIRST_WAIT_MS;
  let last: BacklogReport | undefined;
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> =>
    (inFlight ??= options
      .count()
      .then(
        (report) => {
          last = report;
        },
        (error: unknown) => options.logger.warn({ err: error }, 'could not count the sync backlog'),
      )
      .finally(() => {
        inFlight = undefined;
      }));

  const view = (): BacklogView | undefined => {
    if (!last) return undefined;
    const report = ageReport(last);
    return { report, lanes: laneBacklogs(report, options.limitsMs) };
  };

  // Counted from the start, so the first scrape finds a report.
  void refresh();

  return {
    async current({ maxWaitMs = Infinity } = {}) {
      const fresh = last && Date.now() - last.countedAt.getTime() < ttlMs;
      if (!fresh) {
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.min(last ? waitMs : firstWaitMs, maxWaitMs));
          timer.unref();
        });
        await Promise.race([refresh(), waited]);
        clearTimeout(timer);
      }
      return view();
    },
  };
}

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import type { BacklogReport } from '../../src/sync/backlog.js';
import { createBacklogMonitor } from '../../src/worker/backlog-monitor.js';

const LIMITS = { alerts: 60_000, rollups: 300_000, logs: 900_000 };
const logger = createLogger({ level: 'silent' });

function report(oldestSeconds: number | null, countedAt = new Date()): BacklogReport {
  return {
    countedAt,
    datasets: [
      { dataset: 'token_usage_logs', lane: 'logs', pending: oldestSeconds === null ? 0 : 5, failed: 0, oldestPendingSeconds: oldestSeconds, oldestFailedSeconds: null, capped: false },
      { dataset: 'cost_alerts', lane: 'alerts', pending: 0, failed: 2, oldestPendingSeconds: null, oldestFailedSeconds: 10, capped: false },
    ],
  };
}

/** A count that answers when told to. */
function pendingCount() {
  const calls: ((r: BacklogReport) => void)[] = [];
  return {
    calls,
    count: () => new Promise<BacklogReport>((resolve) => calls.push(resolve)),
  };
}

describe('the backlog monitor', () => {
  it('counts once for any number of callers while the count runs, and reuses it within the TTL', async () => {
    const counter = pendingCount();
    const monitor = createBacklogMonitor({ count: counter.count, limitsMs: LIMITS, logger, ttlMs: 60_000, firstWaitMs: 60_000 });
    const views = [monitor.current(), monitor.current(), monitor.current()];
    expect(counter.calls).toHaveLength(1);
    counter.calls[0]!(report(1000));
    const [a, b, c] = await Promise.all(views);
    expect(a!.lanes.find((l) => l.lane === 'logs')).toMatchObject({ pending: 5, behind: true, limitSeconds: 900 });
    expect(a!.lanes.find((l) => l.lane === 'alerts')).toMatchObject({ pending: 0, failed: 2, behind: false });
    expect([b!.lanes, c!.lanes]).toEqual([a!.lanes, a!.lanes].map((lanes) => lanes.map((l) => ({ ...l, oldestPendingSeconds: l.oldestPendingSeconds === null ? null : expect.any(Number) }))));
    await monitor.current();
    expect(counter.calls).toHaveLength(1);
  });

  it('serves the last report, aged, when a new count is slow; the slow count answers later callers', async () => {
    const counter = pendingCount();
    const monitor = createBacklogMonitor({ count: counter.count, limitsMs: LIMITS, logger, ttlMs: 0, waitMs: 0, firstWaitMs: 60_000 });
    const first = monitor.current();
    counter.calls[0]!(report(100, new Date(Date.now() - 30_000)));
    const view = await first;
    // Counted 30 s ago with 100 s: 130 s now, at least.
    expect(view!.report.datasets[0]!.oldestPendingSeconds).toBeGreaterThanOrEqual(130);

    const stale = await monitor.current(); // a new count starts and does not answer in time
    expect(counter.calls).toHaveLength(2);
    expect(stale!.report.datasets[0]!.pending).toBe(5);
    counter.calls[1]!(report(null));
    await new Promise((resolve) => setImmediate(resolve));
    const fresh = await monitor.current();
    expect(fresh!.report.datasets[0]).toMatchObject({ pending: 0, oldestPendingSeconds: null });
  });

  it('has no view until a count succeeds; a failed count is logged, not thrown', async () => {
    const monitor = createBacklogMonitor({ count: () => Promise.reject(new Error('database down')), limitsMs: LIMITS, logger, waitMs: 0, firstWaitMs: 0 });
    expect(await monitor.current()).toBeUndefined();
  });
});

import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { createLogger } from '../../src/logging/logger.js';
import { LANES, laneOf, type Lane } from '../../src/notion/rate-limit/lanes.js';
import { createWaker, SETTLE_MARGIN_MS, windowOf } from '../../src/worker/wake.js';

/** Queues that only record what is added to them. */
function recordingQueues() {
  const added: { queue: string; name: string; data: unknown; opts: Record<string, any> }[] = [];
  const queue = (name: string) => ({ add: async (job: string, data: unknown, opts: Record<string, any>) => void added.push({ queue: name, name: job, data, opts }) }) as unknown as Queue;
  const syncQueues = Object.fromEntries(LANES.map((lane) => [lane, queue(`sync-${lane}`)])) as Record<Lane, Queue>;
  return { added, syncQueues, budgetsQueue: queue('budgets') };
}

const windows = { budgetsMs: 250, syncMs: { alerts: 50, rollups: 15_000, logs: 1_000 }, settleMs: 1_000 };
const logger = createLogger({ level: 'silent' });

describe('wake-ups', () => {
  it('new spend wakes budget evaluation (deduplicated) and the passes of raw logs and rollups, each after its window and the settle time', async () => {
    const { added, syncQueues, budgetsQueue } = recordingQueues();
    const now = 1_000_000_020;
    const waker = createWaker({ syncQueues, budgetsQueue, datasets: new Set(DATASETS) }, windows, logger, () => now);
    await waker.tableChanged('token_usage_logs');

    const budgets = added.find((a) => a.queue === 'budgets')!;
    expect(budgets.opts).toMatchObject({ delay: 250, deduplication: { id: 'wake-budgets', keepLastIfActive: true } });
    const logs = added.find((a) => a.queue === 'sync-logs')!;
    const { slot, untilEndMs } = windowOf(now, 1_000);
    expect(logs).toMatchObject({ name: 'wake', data: { dataset: 'token_usage_logs' }, opts: { jobId: `wake-token_usage_logs-1000-${slot}`, delay: untilEndMs + 1_000 + SETTLE_MARGIN_MS } });
    expect(added.filter((a) => a.queue === 'sync-rollups').map((a) => (a.data as { dataset: string }).dataset).sort()).toEqual(
      DATASETS.filter((d) => laneOf(d) === 'rollups').sort(),
    );
    expect(added.filter((a) => a.queue === 'sync-alerts')).toEqual([]);
  });

  it('a changed alert wakes only its own pass; a dataset without a data source is never woken', async () => {
    const { added, syncQueues, budgetsQueue } = recordingQueues();
    const waker = createWaker({ syncQueues, budgetsQueue, datasets: new Set(['cost_alerts'] as const) }, windows, logger, () => 5_000);
    await waker.tableChanged('cost_alerts');
    await waker.tableChanged('budget_limits');
    expect(added.map((a) => [a.queue, a.name])).toEqual([['sync-alerts', 'wake'], ['budgets', 'budgets']]);
  });

  it('gathers a window of changes into one job, in this process and (by its id) across processes', async () => {
    const { added, syncQueues, budgetsQueue } = recordingQueues();
    let now = 15_000 * 1_000; // the start of a rollup window
    const one = createWaker({ syncQueues, budgetsQueue, datasets: new Set(DATASETS) }, windows, logger, () => now);
    const other = createWaker({ syncQueues, budgetsQueue, datasets: new Set(DATASETS) }, windows, logger, () => now);
    for (let i = 0; i < 100; i++) {
      now += 100; // 100 changes over 10 s: one rollup window of 15 s
      await one.sync('workflow_analytics');
    }
    await other.sync('workflow_analytics');
    const ids = added.filter((a) => a.queue === 'sync-rollups').map((a) => a.opts.jobId as string);
    expect(new Set(ids).size).toBe(1);
    // A later change gets the next window's job: it runs after the settle time from its own commit.
    now += 15_000;
    await one.sync('workflow_analytics');
    expect(new Set(added.map((a) => a.opts.jobId)).size).toBe(2);
  });

  it('a wider window (spend without an alert) coalesces apart from the lane\'s own: an alert still wakes at once', async () => {
    const { added, syncQueues, budgetsQueue } = recordingQueues();
    let now = 30_000 * 1_000 + 500;
    const waker = createWaker({ syncQueues, budgetsQueue, datasets: new Set(DATASETS) }, windows, logger, () => now);
    for (let i = 0; i < 80; i++) {
      now += 250; // a budget evaluation every 250 ms for 20 s, each changing spend
      await waker.sync('budget_limits', 0, 30_000);
    }
    const spend = added.filter((a) => a.queue === 'sync-alerts');
    expect(spend).toHaveLength(1);
    // It runs after the end of its window (and the settle time), covering every change in it.
    expect(spend[0]!.opts.delay).toBe(windowOf(30_000 * 1_000 + 750, 30_000).untilEndMs + 1_000 + SETTLE_MARGIN_MS);

    await waker.sync('budget_limits');
    const [, alert] = added.filter((a) => a.queue === 'sync-alerts');
    expect(alert!.opts.delay).toBeLessThan(50 + 1_000 + SETTLE_MARGIN_MS + 1);
  });
});

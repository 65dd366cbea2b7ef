import { describe, expect, it } from 'vitest';
import { emptySummary, SyncBusyError, SyncConfigError, type PassSummary, type SyncEngine } from '../../src/sync/engine.js';
import { syncOnce } from '../../src/sync/run-once.js';

/** An engine that answers each pass with the next scripted outcome. */
function scripted(outcomes: (Partial<PassSummary> | Error)[]): SyncEngine & { calls: number } {
  const engine = {
    calls: 0,
    async runPass(dataset: PassSummary['dataset']) {
      const outcome = outcomes[engine.calls++];
      if (outcome instanceof Error) throw outcome;
      return { ...emptySummary(dataset), ...outcome };
    },
  };
  return engine;
}

describe('syncOnce', () => {
  it('runs an incomplete pass again and sums the attempts; rows that then succeed are not reported', async () => {
    const engine = scripted([
      { read: 10, created: 8, complete: false, failed: [{ key: 'a', reason: '503', retryable: true }] },
      new SyncBusyError('cost_alerts'),
      { read: 2, created: 2 },
    ]);
    const [totals] = await syncOnce({ engine, datasets: ['cost_alerts'], retryDelayMs: 0 });
    expect(engine.calls).toBe(3);
    expect(totals).toMatchObject({ read: 12, created: 10, failed: [], complete: true });
  });

  it('reports rows still failing after the last attempt, and permanent failures at once', async () => {
    const transient = { key: 'a', reason: '503', retryable: true };
    const permanent = { key: 'b', reason: 'invalid row', retryable: false };
    const engine = scripted([
      { complete: false, failed: [transient, permanent] },
      { complete: false, failed: [transient] },
    ]);
    const [totals] = await syncOnce({ engine, datasets: ['budget_limits'], maxAttempts: 2, retryDelayMs: 0 });
    expect(totals!.failed).toEqual([permanent, transient]);
    expect(totals!.complete).toBe(false);
  });

  it('reports a dataset that cannot be synced and goes on with the next', async () => {
    const engine = scripted([new SyncConfigError('cost_alerts'), { read: 1, created: 1 }]);
    const [failed, next] = await syncOnce({ engine, datasets: ['cost_alerts', 'budget_limits'], retryDelayMs: 0 });
    expect(failed!.failed).toEqual([{ key: null, reason: expect.stringMatching(/setup:notion/), retryable: false }]);
    expect(next).toMatchObject({ dataset: 'budget_limits', created: 1, failed: [] });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it('stops after maxAttempts, pausing twice as long before each new attempt', async () => {
    vi.useFakeTimers();
    const transient = { key: 'a', reason: '503', retryable: true };
    const engine = scripted(Array.from({ length: 10 }, () => ({ complete: false, failed: [transient] })));
    const run = syncOnce({ engine, datasets: ['cost_alerts'], maxAttempts: 4, retryDelayMs: 1000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(engine.calls).toBe(1);
    const callsAfter = async (ms: number) => (await vi.advanceTimersByTimeAsync(ms), engine.calls);
    expect([await callsAfter(999), await callsAfter(1)]).toEqual([1, 2]);
    expect([await callsAfter(1999), await callsAfter(1)]).toEqual([2, 3]);
    expect([await callsAfter(3999), await callsAfter(1)]).toEqual([3, 4]);
    const [totals] = await run;
    expect(engine.calls).toBe(4);
    expect(totals).toMatchObject({ complete: false, failed: [transient] });
  });

  it('runs a pass again after any error that is not a typed permanent one, a TypeError included', async () => {
    const engine = scripted([new TypeError("Cannot read properties of undefined (reading 'id')"), { read: 1, created: 1 }]);
    const attempts: boolean[] = [];
    const [totals] = await syncOnce({ engine, datasets: ['cost_alerts'], retryDelayMs: 0, onAttempt: (pass) => attempts.push(pass.complete) });
    expect(engine.calls).toBe(2);
    expect(attempts).toEqual([false, true]);
    expect(totals).toMatchObject({ read: 1, created: 1, failed: [], complete: true });
  });

  it('tries a dataset that cannot be synced once, and reports it without an attempt', async () => {
    const engine = scripted([new SyncConfigError('cost_alerts'), { read: 1, created: 1 }]);
    const attempts: number[] = [];
    const [failed] = await syncOnce({ engine, datasets: ['cost_alerts'], retryDelayMs: 0, onAttempt: (_pass, attempt) => attempts.push(attempt) });
    expect(engine.calls).toBe(1);
    expect(attempts).toEqual([]);
    expect(failed).toMatchObject({ complete: false, read: 0, failed: [{ key: null, retryable: false }] });
  });

  it('once aborted, starts no further attempt or dataset', async () => {
    const stop = new AbortController();
    const engine = scripted([{ read: 3, created: 1, complete: false }]);
    const totals = await syncOnce({ engine, datasets: ['cost_alerts', 'budget_limits'], retryDelayMs: 60_000, signal: stop.signal, onAttempt: () => stop.abort() });
    expect(engine.calls).toBe(1);
    expect(totals).toEqual([expect.objectContaining({ dataset: 'cost_alerts', read: 3, created: 1, complete: false, failed: [] })]);
  });

  it('ends the pause between attempts when the abort comes during it', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const engine = scripted([{ complete: false }]);
    const run = syncOnce({ engine, datasets: ['cost_alerts', 'budget_limits'], retryDelayMs: 60_000, signal: stop.signal });
    await vi.advanceTimersByTimeAsync(10);
    stop.abort();
    expect(await run).toEqual([expect.objectContaining({ dataset: 'cost_alerts', complete: false })]);
    expect(engine.calls).toBe(1);
  });
});

afterEach(() => {
  vi.useRealTimers();
});

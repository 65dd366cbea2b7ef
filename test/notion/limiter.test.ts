import { afterEach, describe, expect, it, vi } from 'vitest';
import { inLane } from '../../src/notion/rate-limit/lane-context.js';
import type { Lane } from '../../src/notion/rate-limit/lanes.js';
import { createMemoryLimiter } from '../../src/notion/rate-limit/limiter.js';

describe('the in-memory rate limit', () => {
  it('serves lanes by priority: a token goes to the highest lane waiting, in order within a lane', async () => {
    const limiter = createMemoryLimiter({ requestsPerSecond: 200 });
    const served: string[] = [];
    const take = (lane: Lane, n: number) => limiter.acquire(lane).then(() => void served.push(`${lane}${n}`));
    const logs = [take('logs', 1), take('logs', 2), take('logs', 3), take('logs', 4)];
    const rest = [take('rollups', 1), take('alerts', 1), take('rollups', 2), take('alerts', 2)];
    await Promise.all([...logs, ...rest]);
    // The first log had the full bucket to itself; then every waiter is served by lane.
    expect(served).toEqual(['logs1', 'alerts1', 'alerts2', 'rollups1', 'rollups2', 'logs2', 'logs3', 'logs4']);
  });

  it('takes the lane of the work in progress when none is named', async () => {
    const limiter = createMemoryLimiter({ requestsPerSecond: 200 });
    const served: string[] = [];
    const take = (lane: Lane) => inLane(lane, () => limiter.acquire().then(() => void served.push(lane)));
    await Promise.all([take('logs'), take('logs'), take('rollups'), take('alerts')]);
    expect(served).toEqual(['logs', 'alerts', 'rollups', 'logs']);
  });

  describe('with no limit of its own', () => {
    afterEach(() => vi.useRealTimers());

    it('lets requests through at once, and holds them while Notion asked for a pause', async () => {
      vi.useFakeTimers();
      const limiter = createMemoryLimiter({ requestsPerSecond: 0, now: () => Date.now() });
      let served = 0;
      await Promise.all([1, 2, 3].map(() => limiter.acquire('logs').then(() => void served++)));
      expect(served).toBe(3);

      await limiter.pauseFor(1000);
      const held = limiter.acquire('alerts').then(() => void served++);
      await vi.advanceTimersByTimeAsync(999);
      expect(served).toBe(3);
      await vi.advanceTimersByTimeAsync(1);
      await held;
      expect(served).toBe(4);
    });
  });
});

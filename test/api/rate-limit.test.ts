import { expect, it } from 'vitest';
import { createRateLimiter } from '../../src/api/rate-limit.js';

it('lets a burst through, then says how many seconds until the next token, per key', () => {
  const limiter = createRateLimiter({ perSecond: 2, burst: 3 });
  expect([0, 0, 0, 0].map(() => limiter.take('a', 1000))).toEqual([0, 0, 0, 1]);
  expect(limiter.take('b', 1000)).toBe(0);
  // Half a second refills one token at 2 per second.
  expect(limiter.take('a', 1500)).toBe(0);
  expect(limiter.take('a', 1500)).toBe(1);
});

it('waits whole seconds, rounded up, at slow refill rates', () => {
  const limiter = createRateLimiter({ perSecond: 0.1, burst: 1 });
  expect(limiter.take('a', 0)).toBe(0);
  expect(limiter.take('a', 0)).toBe(10);
  expect(limiter.take('a', 5000)).toBe(5);
});

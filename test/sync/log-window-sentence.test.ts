import { describe, expect, it } from 'vitest';
import { leftOutSentence } from '../../src/sync/log-window/sentence.js';
import { bucketOf, DEFAULT_LOG_WINDOW_SETTINGS } from '../../src/sync/log-window/window.js';

describe('the raw-log window, in words and numbers', () => {
  it('says how many calls were left out, and nothing when none were', () => {
    expect(leftOutSentence({ leftOutToday: 0, leftOutTotal: 0 })).toBeNull();
    expect(leftOutSentence({ leftOutToday: 1, leftOutTotal: 1 })).toBe(
      '1 call not mirrored to Token Usage Logs today (failed and costliest shown first). Every call is in Supabase and in the totals.',
    );
    expect(leftOutSentence({ leftOutToday: 12_345, leftOutTotal: 80_000 })).toMatch(
      /^12,345 calls not mirrored to Token Usage Logs today \(failed and costliest shown first; 80,000 in all\)/,
    );
    // Nothing today, but earlier days: still said.
    expect(leftOutSentence({ leftOutToday: 0, leftOutTotal: 7 })).toMatch(/^0 calls .*; 7 in all/);
  });

  it('keeps the default share of the rate limit small: 0.15 requests/s at 3/s, a minute of burst', () => {
    const bucket = bucketOf(DEFAULT_LOG_WINDOW_SETTINGS);
    expect(bucket.capacity).toBe(9);
    expect(bucket.ratePerSecond).toBeCloseTo(0.15, 10);
    // 1M calls a day is 11.6/s: the window costs at most 0.15 / 11.6 ≈ 0.013 requests per call,
    // leaving most of the 0.05 bar to alerts, rollups and the report.
    expect(bucket.ratePerSecond / (1_000_000 / 86_400)).toBeLessThan(0.05 / 3);
    // 5k calls a day (one every 17 s) all fit: every call is mirrored.
    expect(bucket.ratePerSecond).toBeGreaterThan(5_000 / 86_400);
  });
});

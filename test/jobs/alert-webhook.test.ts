import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { notifyAlerts } from '../../src/jobs/alert-webhook.js';
import { createLogger } from '../../src/logging/logger.js';
import type { CostAlert } from '../../src/supabase/source.js';

const URL_WITH_SECRET = 'https://hooks.example.test/services/T000/B000/secret-token-path';

const alert: CostAlert = {
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'threshold',
  entityType: 'organization',
  entityId: 'mvp',
  period: 'daily',
  periodStart: '2026-11-20T00:00:00Z',
  sessionId: null,
  thresholdPct: 90,
  amountSpent: 4.5,
  limitAmount: 5,
  severity: 'critical',
  message: "organization 'mvp' reached 90% of its daily limit: $4.50 of $5.00",
  projectedAmount: null,
  projectedDate: null,
  late: false,
};

/** A fetch that answers each post with the next scripted status, or throws the scripted error. */
function scriptedFetch(outcomes: (number | Error)[]) {
  const calls: string[] = [];
  const fetch = async (input: string | URL | Request) => {
    calls.push(String(input));
    const outcome = outcomes[calls.length - 1] ?? 200;
    if (outcome instanceof Error) throw outcome;
    return new Response(outcome === 200 ? 'ok' : 'no', { status: outcome });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
  const failures = () => lines.filter((l) => l.includes('webhook not delivered')).map((l) => JSON.parse(l));
  return { lines, failures, logger: createLogger({ destination, format: 'json', level: 'debug' }) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cost alert webhook', () => {
  it('retries a 429, a 5xx and a post that threw (a TypeError too), then delivers', async () => {
    const { calls, fetch } = scriptedFetch([new TypeError('fetch failed'), new TypeError('not a network error'), 429, 502, 200]);
    const { logger, failures } = captureLogger();
    const { done } = notifyAlerts([alert], { url: URL_WITH_SECRET, logger, fetch, attempts: 5, initialDelayMs: 1 });
    expect(await done).toEqual({ delivered: 1, failed: 0 });
    expect(calls).toHaveLength(5);
    expect(failures()).toEqual([]);
  });

  it('gives up at once on a refusal other than 429, logging the host but never the URL', async () => {
    const { calls, fetch } = scriptedFetch([404, 200]);
    const { logger, failures, lines } = captureLogger();
    const { done } = notifyAlerts([alert], { url: URL_WITH_SECRET, logger, fetch, initialDelayMs: 1 });
    expect(await done).toEqual({ delivered: 0, failed: 1 });
    expect(calls).toHaveLength(1);
    expect(failures()).toEqual([expect.objectContaining({ alertId: alert.id, attempt: 1, reason: 'HTTP 404', host: 'hooks.example.test' })]);
    expect(lines.join('')).not.toContain('secret-token-path');
  });

  it('stops after its attempts, pausing twice as long before each new one', async () => {
    vi.useFakeTimers();
    const { calls, fetch } = scriptedFetch([503, 503, 503, 503, 503]);
    const { logger, failures } = captureLogger();
    const { done } = notifyAlerts([alert], { url: URL_WITH_SECRET, logger, fetch, attempts: 3, initialDelayMs: 1000 });
    const callsAfter = async (ms: number) => (await vi.advanceTimersByTimeAsync(ms), calls.length);
    expect(await callsAfter(0)).toBe(1);
    expect([await callsAfter(999), await callsAfter(1)]).toEqual([1, 2]);
    expect([await callsAfter(1999), await callsAfter(1)]).toEqual([2, 3]);
    expect(await done).toEqual({ delivered: 0, failed: 1 });
    expect(calls).toHaveLength(3);
    expect(failures()).toEqual([expect.objectContaining({ attempt: 3, reason: 'HTTP 503' })]);
  });
});

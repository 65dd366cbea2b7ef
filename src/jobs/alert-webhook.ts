/**
 * Posts each new cost alert to a Slack-compatible incoming webhook. Delivery
 * runs beside the job, never in its way: the job hands alerts over and returns;
 * each post is retried on 429, 5xx and network errors with backoff, and what
 * still fails is logged with the alert and the reason.
 */
import pRetry from 'p-retry';
import type { Logger } from '../logging/logger.js';
import type { CostAlert } from '../supabase/source.js';

export interface WebhookOptions {
  url: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** Attempts per alert (default 4). */
  attempts?: number;
  /** Pause before the second attempt; doubles before each one after (default 1000 ms). */
  initialDelayMs?: number;
  timeoutMs?: number;
}

const SEVERITY_ICON = { info: 'ℹ️', warning: '⚠️', critical: '🚨' } as const;

/** Slack's incoming-webhook body: `text` is required, and is what other chat tools read too. */
export function webhookBody(alert: CostAlert): { text: string } {
  const label = alert.kind === 'forecast' ? 'forecast' : alert.severity;
  return { text: `${SEVERITY_ICON[alert.severity]} *${label}* — ${alert.message}` };
}

const retryable = (status: number) => status === 429 || status >= 500;

/** One post that failed: why, on which attempt, and whether another can succeed. */
class PostFailed extends Error {
  constructor(
    readonly reason: string,
    readonly retry: boolean,
    readonly attempt: number,
  ) {
    super(reason);
  }
}

async function postOnce(options: WebhookOptions, body: unknown, attempt: number): Promise<void> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    // No answer (network, timeout, anything thrown): always worth another try.
    throw new PostFailed(error instanceof Error ? error.message : String(error), true, attempt);
  }
  if (!response.ok) throw new PostFailed(`HTTP ${response.status}`, retryable(response.status), attempt);
}

async function deliver(options: WebhookOptions, alert: CostAlert): Promise<boolean> {
  try {
    await pRetry((attempt) => postOnce(options, webhookBody(alert), attempt), {
      retries: (options.attempts ?? 4) - 1,
      minTimeout: options.initialDelayMs ?? 1_000,
      factor: 2,
      shouldRetry: ({ error }) => error instanceof PostFailed && error.retry,
    });
    return true;
  } catch (error) {
    const failed = error instanceof PostFailed ? error : undefined;
    const reason = failed?.reason ?? (error instanceof Error ? error.message : String(error));
    // The URL is a secret (it authorises posting), so only its host is logged.
    options.logger.warn({ alertId: alert.id, attempt: failed?.attempt, reason, host: new URL(options.url).host }, 'cost alert webhook not delivered');
    return false;
  }
}

/**
 * Starts delivering; returns at once. The promise it returns settles when every
 * alert was delivered or given up on (for shutdown and tests), and never rejects.
 */
export function notifyAlerts(alerts: CostAlert[], options: WebhookOptions): { done: Promise<{ delivered: number; failed: number }> } {
  const done = Promise.all(alerts.map((alert) => deliver(options, alert))).then((results) => ({
    delivered: results.filter(Boolean).length,
    failed: results.filter((ok) => !ok).length,
  }));
  return { done };
}

/**
 * Posts each new cost alert to a Slack-compatible incoming webhook. Delivery
 * runs beside the job, never in its way: the job hands alerts over and returns;
 * each post is retried on 429, 5xx and network errors with backoff, and what
 * still fails is logged with the alert and the reason.
 */
import type { Logger } from '../logging/logger.js';
import type { CostAlert } from '../supabase/source.js';

export interface WebhookOptions {
  url: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** Attempts per alert (default 4). */
  attempts?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  initialDelayMs?: number;
  timeoutMs?: number;
}

const SEVERITY_ICON = { info: 'ℹ️', warning: '⚠️', critical: '🚨' } as const;

/** Slack's incoming-webhook body: `text` is required, and is what other chat tools read too. */
export function webhookBody(alert: CostAlert): { text: string } {
  const label = alert.kind === 'forecast' ? 'forecast' : alert.severity;
  return { text: `${SEVERITY_ICON[alert.severity]} *${label}* — ${alert.message}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const retryable = (status: number) => status === 429 || status >= 500;

async function postOnce(options: WebhookOptions, body: unknown): Promise<{ ok: boolean; retry: boolean; reason: string }> {
  try {
    const response = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (response.ok) return { ok: true, retry: false, reason: '' };
    return { ok: false, retry: retryable(response.status), reason: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, retry: true, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function deliver(options: WebhookOptions, alert: CostAlert): Promise<boolean> {
  const attempts = options.attempts ?? 4;
  let delay = options.initialDelayMs ?? 1_000;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await postOnce(options, webhookBody(alert));
    if (result.ok) return true;
    if (!result.retry || attempt === attempts) {
      // The URL is a secret (it authorises posting), so only its host is logged.
      options.logger.warn({ alertId: alert.id, attempt, reason: result.reason, host: new URL(options.url).host }, 'cost alert webhook not delivered');
      return false;
    }
    await sleep(delay);
    delay *= 2;
  }
  return false;
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

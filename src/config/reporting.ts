/** The scheduled jobs: rollups, budgets, the report page, edits from Notion, retention, and where alerts are posted. */
import { z } from 'zod';
import { hasProtocol, isTimeZone, millisecondsAtLeast, type Parsed } from './fields.js';

/** Budgets, alerts and the report read up to this month and the previous one from the raw logs. */
export const MIN_LOG_RETENTION_DAYS = 62;

export const reportingVariables = {
  REPORT_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone, e.g. UTC or Europe/Berlin')
    .default('UTC'),
  ROLLUP_INTERVAL_MS: millisecondsAtLeast(1000, 300_000).default(300_000),
  BUDGET_INTERVAL_MS: millisecondsAtLeast(1000, 300_000).default(300_000),
  REPORT_INTERVAL_MS: millisecondsAtLeast(1000, 900_000).default(900_000),
  NOTION_EDITS_INTERVAL_MS: millisecondsAtLeast(1000, 60_000).default(60_000),
  NOTION_WEBHOOK_SECRET: z.string().min(8, 'looks truncated; it is the verification_token of the webhook subscription').optional(),
  ALERT_WEBHOOK_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['https:', 'http:']), 'must be an http(s) URL, e.g. https://hooks.slack.com/services/…')
    .optional(),
  LOG_RETENTION_DAYS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of days, e.g. 90; 0 keeps raw logs for ever')
    .transform(Number)
    .refine(
      (v) => v === 0 || v >= MIN_LOG_RETENTION_DAYS,
      `must be 0 (keep for ever) or at least ${MIN_LOG_RETENTION_DAYS}: budgets, alerts and the report read this month and the weeks before it from the raw logs`,
    )
    .default(90),
};

export interface ReportingConfig {
  rollupIntervalMs: number;
  budgetIntervalMs: number;
  reportIntervalMs: number;
  notionEditsIntervalMs: number;
  /** Slack-compatible incoming webhook for new cost alerts; a secret. */
  alertWebhookUrl: string | undefined;
  /** Verification token of a Notion webhook subscription: signed events then trigger an edits poll at once. */
  notionWebhookSecret: string | undefined;
  /** Raw usage logs older than this many days are purged (rollups and spend are kept); 0 keeps them for ever. */
  logRetentionDays: number;
}

export const reportingConfig = (e: Parsed<typeof reportingVariables>): ReportingConfig => ({
  rollupIntervalMs: e.ROLLUP_INTERVAL_MS,
  budgetIntervalMs: e.BUDGET_INTERVAL_MS,
  reportIntervalMs: e.REPORT_INTERVAL_MS,
  notionEditsIntervalMs: e.NOTION_EDITS_INTERVAL_MS,
  alertWebhookUrl: e.ALERT_WEBHOOK_URL,
  notionWebhookSecret: e.NOTION_WEBHOOK_SECRET,
  logRetentionDays: e.LOG_RETENTION_DAYS,
});

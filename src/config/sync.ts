/** The sync engine: how fast it may call Notion, how far behind the clock it reads, and the raw-log window. */
import { z } from 'zod';
import type { Lane } from '../notion/rate-limit/lanes.js';
import { milliseconds, millisecondsAtLeast, type Parsed } from './fields.js';

/** Raw-log pages in Notion when TOKEN_LOG_PAGE_BUDGET is unset: a Free workspace has 1,000 lifetime blocks in all. */
export const PAID_TOKEN_LOG_PAGE_BUDGET = 500;
export const FREE_TOKEN_LOG_PAGE_BUDGET = 200;

export const syncVariables = {
  NOTION_REQUESTS_PER_SECOND: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of requests per second, e.g. 3')
    .transform(Number)
    .refine((v) => v > 0, 'must be more than 0, e.g. 3')
    .default(3),
  SYNC_SETTLE_MS: milliseconds('e.g. 1000').default(1000),
  SYNC_INTERVAL_MS: millisecondsAtLeast(1000, 60_000).default(60_000),
  SYNC_LEASE_TTL_MS: millisecondsAtLeast(1000, 30_000).default(30_000),
  // How old a lane's oldest unsynced change may get before verify and /readyz say it cannot keep up.
  LANE_MAX_LAG_ALERTS_MS: millisecondsAtLeast(1000, 60_000).default(60_000),
  LANE_MAX_LAG_ROLLUPS_MS: millisecondsAtLeast(1000, 300_000).default(300_000),
  LANE_MAX_LAG_LOGS_MS: millisecondsAtLeast(1000, 900_000).default(900_000),
  TOKEN_LOG_WINDOW_DAYS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of days, e.g. 30')
    .transform(Number)
    .refine((v) => v > 0, 'must be at least 1, e.g. 30')
    .default(30),
  TOKEN_LOG_PAGE_BUDGET: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of pages, e.g. 500')
    .transform(Number)
    .refine((v) => v >= 1 && v <= 50_000, 'must be between 1 and 50000 pages, e.g. 500')
    .optional(),
  TOKEN_LOG_REQUEST_SHARE: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a fraction between 0 and 1, e.g. 0.1')
    .transform(Number)
    .refine((v) => v > 0, 'must be more than 0, e.g. 0.1')
    .default(0.05),
};

export interface SyncConfig {
  /** Notion requests per second for this token, shared by every sync process. */
  notionRequestsPerSecond: number;
  /** Raw usage logs older than this many days leave Notion (moved to trash). */
  tokenLogWindowDays: number;
  /** Token Usage Logs holds at most this many live pages: a ring, overwritten oldest first. */
  tokenLogPageBudget: number;
  /** Fraction of notionRequestsPerSecond the raw-log window may use; calls beyond it are left out, counted. */
  tokenLogRequestShare: number;
  /** How far behind the clock a read stops, for writers still committing. */
  settleMs: number;
  /** How often the worker runs each dataset. */
  intervalMs: number;
  /** A run holds its dataset's lease this long, renewed as it goes; a killed run blocks others at most this long. */
  leaseTtlMs: number;
  /** Per lane, how long its oldest unsynced change may wait before the lane counts as not keeping up. */
  laneMaxLagMs: Readonly<Record<Lane, number>>;
}

/** The raw-log page budget defaults by plan: a Free workspace cannot hold the paid default. */
export const syncConfig = (e: Parsed<typeof syncVariables>, workspacePlan: 'free' | 'paid'): SyncConfig => ({
  notionRequestsPerSecond: e.NOTION_REQUESTS_PER_SECOND,
  tokenLogWindowDays: e.TOKEN_LOG_WINDOW_DAYS,
  tokenLogPageBudget: e.TOKEN_LOG_PAGE_BUDGET ?? (workspacePlan === 'free' ? FREE_TOKEN_LOG_PAGE_BUDGET : PAID_TOKEN_LOG_PAGE_BUDGET),
  tokenLogRequestShare: e.TOKEN_LOG_REQUEST_SHARE,
  settleMs: e.SYNC_SETTLE_MS,
  intervalMs: e.SYNC_INTERVAL_MS,
  leaseTtlMs: e.SYNC_LEASE_TTL_MS,
  laneMaxLagMs: { alerts: e.LANE_MAX_LAG_ALERTS_MS, rollups: e.LANE_MAX_LAG_ROLLUPS_MS, logs: e.LANE_MAX_LAG_LOGS_MS },
});

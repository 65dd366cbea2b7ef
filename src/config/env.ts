/**
 * The whole environment, validated once at start. Nothing else reads process.env.
 *
 * Values come from the one loader in sources.ts: the process environment over
 * NOTION_ENV_FILE (the ids setup:notion records) over `.env.local` over `.env`
 * (an empty value counts as unset).
 */
import { z } from 'zod';
import { DATASETS, notionIdVariables, type Dataset } from '../datasets.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { DEFAULT_NOTION_ENV_FILE, readEnvironment, type RawEnvironment } from './sources.js';
import { parseNotionId } from '../notion/ids.js';
import type { Lane } from '../sync/lanes.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const POSTGRES_URL_HINT =
  'a postgres:// or postgresql:// URL, e.g. postgres://postgres:PASSWORD@db.PROJECT.supabase.co:5432/postgres';
const REDIS_URL_HINT = 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379';

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A whole number of milliseconds, as text in the environment. */
const milliseconds = (example: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number of milliseconds, ${example}`)
    .transform(Number);

const NOTION_PAGE_HINT =
  'a page id (32 hex characters) or the page URL, e.g. https://www.notion.so/LLM-Costs-0123456789abcdef0123456789abcdef';

const notionId = (hint: string) =>
  z
    .string()
    .refine((v) => parseNotionId(v) !== undefined, `must be ${hint}`)
    .transform((v) => parseNotionId(v)!);

/** Written by setup:notion: where each dataset's database and data source live. */
const recordedNotionIds = Object.fromEntries(
  DATASETS.flatMap((dataset) =>
    Object.values(notionIdVariables(dataset)).map((name) => [name, notionId('a Notion id as written by npm run setup:notion').optional()]),
  ),
) as Record<string, z.ZodOptional<ReturnType<typeof notionId>>>;

/** Budgets, alerts and the report read up to this month and the previous one from the raw logs. */
export const MIN_LOG_RETENTION_DAYS = 62;

/** Raw-log pages in Notion when TOKEN_LOG_PAGE_BUDGET is unset: a Free workspace has 1,000 lifetime blocks in all. */
export const PAID_TOKEN_LOG_PAGE_BUDGET = 500;
export const FREE_TOKEN_LOG_PAGE_BUDGET = 200;

const envSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATABASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['postgres:', 'postgresql:']), `must be ${POSTGRES_URL_HINT}`)
    .optional(),
  SUPABASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['http:', 'https:']), 'must be the project URL, e.g. https://PROJECT.supabase.co')
    .optional(),
  SUPABASE_SERVICE_ROLE_KEY: z
    .string()
    .min(20, 'looks truncated; copy the service_role key from Project Settings → API keys')
    .optional(),
  SUPABASE_TRANSPORT: z.enum(['rpc', 'postgres']).optional(),
  REDIS_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['redis:', 'rediss:']), `must be ${REDIS_URL_HINT}`)
    .default('redis://127.0.0.1:6379'),
  REPORT_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone, e.g. UTC or Europe/Berlin')
    .default('UTC'),
  BUDGET_CHECK_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
  BUDGET_CHECK_CACHE_TTL_MS: milliseconds('e.g. 5000; 0 disables the cache').default(5000),
  BUDGET_CHECK_TIMEOUT_MS: milliseconds('e.g. 2000')
    .refine((v) => v > 0, 'must be more than 0, e.g. 2000')
    .default(2000),
  NOTION_TOKEN: z.string().min(10, "looks truncated; copy the integration's internal secret (ntn_…)").optional(),
  NOTION_PARENT_PAGE_ID: notionId(NOTION_PAGE_HINT).optional(),
  NOTION_BASE_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['http:', 'https:']), 'must be an http(s) URL, e.g. https://api.notion.com')
    .default('https://api.notion.com'),
  NOTION_ENV_FILE: z.string().default(DEFAULT_NOTION_ENV_FILE),
  NOTION_WORKSPACE_PLAN: z.enum(['free', 'paid']).default('paid'),
  NOTION_BLOCK_LIMIT_RETRY_MS: milliseconds('e.g. 3600000')
    .refine((v) => v >= 60_000, 'must be at least 60000, e.g. 3600000')
    .default(3_600_000),
  NOTION_REQUESTS_PER_SECOND: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of requests per second, e.g. 3')
    .transform(Number)
    .refine((v) => v > 0, 'must be more than 0, e.g. 3')
    .default(3),
  SYNC_SETTLE_MS: milliseconds('e.g. 1000').default(1000),
  SYNC_INTERVAL_MS: milliseconds('e.g. 60000')
    .refine((v) => v >= 1000, 'must be at least 1000, e.g. 60000')
    .default(60_000),
  SYNC_LEASE_TTL_MS: milliseconds('e.g. 30000')
    .refine((v) => v >= 1000, 'must be at least 1000, e.g. 30000')
    .default(30_000),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _, e.g. tokensync')
    .default('tokensync'),
  WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_HTTP_PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number, e.g. 9464')
    .transform(Number)
    .refine((v) => v < 65536, 'must be a port number below 65536, e.g. 9464')
    .default(9464),
  WORKER_SHUTDOWN_TIMEOUT_MS: milliseconds('e.g. 30000').default(30_000),
  WORKER_REDIS_STARTUP_TIMEOUT_MS: milliseconds('e.g. 10000')
    .refine((v) => v >= 1000, 'must be at least 1000, e.g. 10000')
    .default(10_000),
  ROLLUP_INTERVAL_MS: milliseconds('e.g. 300000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 300000').default(300_000),
  BUDGET_INTERVAL_MS: milliseconds('e.g. 300000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 300000').default(300_000),
  REPORT_INTERVAL_MS: milliseconds('e.g. 900000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 900000').default(900_000),
  NOTION_EDITS_INTERVAL_MS: milliseconds('e.g. 60000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 60000').default(60_000),
  NOTION_WEBHOOK_SECRET: z.string().min(8, 'looks truncated; it is the verification_token of the webhook subscription').optional(),
  ALERT_WEBHOOK_URL: z
    .string()
    .refine((v) => hasProtocol(v, ['https:', 'http:']), 'must be an http(s) URL, e.g. https://hooks.slack.com/services/…')
    .optional(),
  // How old a lane's oldest unsynced change may get before verify and /readyz say it cannot keep up.
  LANE_MAX_LAG_ALERTS_MS: milliseconds('e.g. 60000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 60000').default(60_000),
  LANE_MAX_LAG_ROLLUPS_MS: milliseconds('e.g. 300000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 300000').default(300_000),
  LANE_MAX_LAG_LOGS_MS: milliseconds('e.g. 900000').refine((v) => v >= 1000, 'must be at least 1000, e.g. 900000').default(900_000),
  CHANGE_NOTIFICATIONS: z.enum(['auto', 'off']).default('auto'),
  BUDGET_WAKE_WINDOW_MS: milliseconds('e.g. 250').refine((v) => v >= 10, 'must be at least 10, e.g. 250').default(250),
  LOG_WAKE_WINDOW_MS: milliseconds('e.g. 1000').refine((v) => v >= 10, 'must be at least 10, e.g. 1000').default(1000),
  ROLLUP_WAKE_WINDOW_MS: milliseconds('e.g. 15000').refine((v) => v >= 10, 'must be at least 10, e.g. 15000').default(15_000),
  SPEND_WAKE_WINDOW_MS: milliseconds('e.g. 60000').refine((v) => v >= 10, 'must be at least 10, e.g. 60000').default(60_000),
  TOKEN_LOG_WINDOW_DAYS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of days, e.g. 30')
    .transform(Number)
    .refine((v) => v > 0, 'must be at least 1, e.g. 30')
    .default(30),
  LOG_RETENTION_DAYS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of days, e.g. 90; 0 keeps raw logs for ever')
    .transform(Number)
    .refine(
      (v) => v === 0 || v >= MIN_LOG_RETENTION_DAYS,
      `must be 0 (keep for ever) or at least ${MIN_LOG_RETENTION_DAYS}: budgets, alerts and the report read this month and the weeks before it from the raw logs`,
    )
    .default(90),
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
  ...recordedNotionIds,
});

/** Every variable the program reads; docs (.env.example, README) are checked against it. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

type Env = z.infer<typeof envSchema>;

export interface SupabaseApiConfig {
  url: string;
  serviceRoleKey: string;
}

export interface NotionIds {
  databaseId: string | undefined;
  dataSourceId: string | undefined;
}

export interface NotionConfig {
  token: string | undefined;
  /** Dashed page id, parsed from an id or a page URL. */
  parentPageId: string | undefined;
  baseUrl: string;
  /** The file setup:notion records ids in. */
  envFile: string;
  /** Ids recorded by an earlier setup:notion, per dataset. */
  recorded: Record<Dataset, NotionIds>;
  /**
   * `free`: a Free workspace with more than one member, 1,000 lifetime blocks
   * (setup refuses budgets that do not fit); `paid`: no block limit. Notion's
   * API tells neither the plan nor the blocks used, so it is configured.
   */
  workspacePlan: 'free' | 'paid';
  /** While Notion refuses to create blocks, one create per this interval checks whether it still does. */
  blockLimitRetryMs: number;
}

export interface BudgetCheckConfig {
  /** What checkBudget answers when the database cannot: open allows, closed denies. */
  failMode: 'open' | 'closed';
  /** How long an answer is reused for the same question; 0 disables the cache. */
  cacheTtlMs: number;
  /** How long checkBudget waits for the database before failing open or closed. */
  timeoutMs: number;
}

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

export interface WorkerConfig {
  /** BullMQ's key prefix: workers sharing it share queues and the Notion rate limit. */
  queuePrefix: string;
  httpHost: string;
  httpPort: number;
  /** How long a stopping worker waits for jobs in flight before it gives up on them. */
  shutdownTimeoutMs: number;
  /** How long a starting worker waits for Redis before it exits with the fix. */
  redisStartupTimeoutMs: number;
}

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

export interface WakeConfig {
  /**
   * LISTEN for committed changes (needs DATABASE_URL: CHANGE_NOTIFICATIONS=auto
   * and a direct connection); otherwise only the intervals wake the worker.
   */
  listen: boolean;
  /** Woken budget evaluations: this long after the first change, and at least this far apart. */
  budgetsWindowMs: number;
  /** Changes to raw logs within one window wake one sync pass. */
  logsWindowMs: number;
  /** Changes within one window wake one pass per rollup dataset, so a busy row is written a bounded number of times. */
  rollupsWindowMs: number;
  /**
   * Spend that changed without raising an alert wakes one Budget Limits pass per
   * window: under load spend moves with every call, and each budget's page is one
   * write per window, whatever the call rate.
   */
  spendWindowMs: number;
}

export interface Config {
  logLevel: LogLevel;
  logFormat: 'auto' | 'json' | 'pretty';
  /** Direct Postgres connection; needed by db:migrate and the `postgres` transport. */
  databaseUrl: string | undefined;
  /** Supabase API (PostgREST) access; needed by the `rpc` transport. */
  supabase: SupabaseApiConfig | undefined;
  /** How SQL functions are called; undefined when no database is configured at all. */
  sourceTransport: 'rpc' | 'postgres' | undefined;
  redisUrl: string;
  reportTimezone: string;
  budgetCheck: BudgetCheckConfig;
  notion: NotionConfig;
  sync: SyncConfig;
  worker: WorkerConfig;
  reporting: ReportingConfig;
  wake: WakeConfig;
  /** Secret values, for the logger to scrub from every line. */
  secrets: readonly string[];
}

export { readEnvironment, readEnvironmentLayers, DEFAULT_NOTION_ENV_FILE, type RawEnvironment, type LayeredEnvironment } from './sources.js';

function withoutEmptyValues(env: RawEnvironment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[key] = value.trim();
  }
  return result;
}

function crossFieldIssues(env: Env): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
    issues.push({ variable: 'SUPABASE_SERVICE_ROLE_KEY', problem: 'is required when SUPABASE_URL is set' });
  }
  if (env.SUPABASE_SERVICE_ROLE_KEY && !env.SUPABASE_URL) {
    issues.push({ variable: 'SUPABASE_URL', problem: 'is required when SUPABASE_SERVICE_ROLE_KEY is set' });
  }
  if (env.SUPABASE_TRANSPORT === 'rpc' && !(env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY)) {
    issues.push({
      variable: 'SUPABASE_TRANSPORT',
      problem: 'is rpc, which needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; set them or use postgres',
    });
  }
  if (env.SUPABASE_TRANSPORT === 'postgres' && !env.DATABASE_URL) {
    issues.push({ variable: 'SUPABASE_TRANSPORT', problem: 'is postgres, which needs DATABASE_URL; set it or use rpc' });
  }
  return issues;
}

function chooseTransport(env: Env): Config['sourceTransport'] {
  if (env.SUPABASE_TRANSPORT) return env.SUPABASE_TRANSPORT;
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) return 'rpc';
  if (env.DATABASE_URL) return 'postgres';
  return undefined;
}

function secretsOf(env: Env): string[] {
  // A webhook URL authorises posting to a channel: it is a secret too.
  const secrets = [env.SUPABASE_SERVICE_ROLE_KEY, env.NOTION_TOKEN, env.ALERT_WEBHOOK_URL, env.NOTION_WEBHOOK_SECRET];
  for (const url of [env.DATABASE_URL, env.REDIS_URL]) {
    if (!url) continue;
    const password = new URL(url).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return [...new Set(secrets.filter((s): s is string => Boolean(s)))];
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: RawEnvironment = readEnvironment()): Config {
  const parsed = envSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        problem: issue.code === 'invalid_type' ? 'is required' : issue.message,
      })),
    );
  }
  const crossIssues = crossFieldIssues(parsed.data);
  if (crossIssues.length > 0) throw new ConfigError(crossIssues);

  const e = parsed.data;
  return {
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    databaseUrl: e.DATABASE_URL,
    supabase:
      e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY
        ? { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY }
        : undefined,
    sourceTransport: chooseTransport(e),
    redisUrl: e.REDIS_URL,
    reportTimezone: e.REPORT_TIMEZONE,
    budgetCheck: {
      failMode: e.BUDGET_CHECK_FAIL_MODE,
      cacheTtlMs: e.BUDGET_CHECK_CACHE_TTL_MS,
      timeoutMs: e.BUDGET_CHECK_TIMEOUT_MS,
    },
    notion: {
      token: e.NOTION_TOKEN,
      parentPageId: e.NOTION_PARENT_PAGE_ID,
      baseUrl: e.NOTION_BASE_URL,
      envFile: e.NOTION_ENV_FILE,
      workspacePlan: e.NOTION_WORKSPACE_PLAN,
      blockLimitRetryMs: e.NOTION_BLOCK_LIMIT_RETRY_MS,
      recorded: Object.fromEntries(
        DATASETS.map((dataset) => {
          const names = notionIdVariables(dataset);
          const recorded = e as Record<string, unknown>;
          return [
            dataset,
            { databaseId: recorded[names.databaseId] as string | undefined, dataSourceId: recorded[names.dataSourceId] as string | undefined },
          ];
        }),
      ) as Record<Dataset, NotionIds>,
    },
    sync: { notionRequestsPerSecond: e.NOTION_REQUESTS_PER_SECOND, tokenLogWindowDays: e.TOKEN_LOG_WINDOW_DAYS, tokenLogPageBudget: e.TOKEN_LOG_PAGE_BUDGET ?? (e.NOTION_WORKSPACE_PLAN === 'free' ? FREE_TOKEN_LOG_PAGE_BUDGET : PAID_TOKEN_LOG_PAGE_BUDGET), tokenLogRequestShare: e.TOKEN_LOG_REQUEST_SHARE, settleMs: e.SYNC_SETTLE_MS, intervalMs: e.SYNC_INTERVAL_MS, leaseTtlMs: e.SYNC_LEASE_TTL_MS,
      laneMaxLagMs: { alerts: e.LANE_MAX_LAG_ALERTS_MS, rollups: e.LANE_MAX_LAG_ROLLUPS_MS, logs: e.LANE_MAX_LAG_LOGS_MS } },
    reporting: {
      rollupIntervalMs: e.ROLLUP_INTERVAL_MS,
      budgetIntervalMs: e.BUDGET_INTERVAL_MS,
      reportIntervalMs: e.REPORT_INTERVAL_MS,
      notionEditsIntervalMs: e.NOTION_EDITS_INTERVAL_MS,
      alertWebhookUrl: e.ALERT_WEBHOOK_URL,
      notionWebhookSecret: e.NOTION_WEBHOOK_SECRET,
      logRetentionDays: e.LOG_RETENTION_DAYS,
    },
    wake: {
      listen: e.CHANGE_NOTIFICATIONS === 'auto' && e.DATABASE_URL !== undefined,
      budgetsWindowMs: e.BUDGET_WAKE_WINDOW_MS,
      logsWindowMs: e.LOG_WAKE_WINDOW_MS,
      rollupsWindowMs: e.ROLLUP_WAKE_WINDOW_MS,
      spendWindowMs: e.SPEND_WAKE_WINDOW_MS,
    },
    worker: {
      queuePrefix: e.QUEUE_PREFIX,
      httpHost: e.WORKER_HTTP_HOST,
      httpPort: e.WORKER_HTTP_PORT,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
      redisStartupTimeoutMs: e.WORKER_REDIS_STARTUP_TIMEOUT_MS,
    },
    secrets: secretsOf(e),
  };
}

/** NOTION_TOKEN and NOTION_PARENT_PAGE_ID, or a ConfigError naming what is missing and what needs it. */
export function requireNotion(config: Config, purpose: string): { token: string; parentPageId: string } {
  const issues: ConfigIssue[] = [];
  if (!config.notion.token) {
    issues.push({ variable: 'NOTION_TOKEN', problem: `is required for ${purpose}; create an internal integration at https://www.notion.so/profile/integrations and copy its secret` });
  }
  if (!config.notion.parentPageId) {
    issues.push({ variable: 'NOTION_PARENT_PAGE_ID', problem: `is required for ${purpose}; set it to ${NOTION_PAGE_HINT}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { token: config.notion.token!, parentPageId: config.notion.parentPageId! };
}

/** DATABASE_URL, or a ConfigError that says what needs it. */
export function requireDatabaseUrl(config: Config, purpose: string): string {
  if (config.databaseUrl) return config.databaseUrl;
  throw new ConfigError([{ variable: 'DATABASE_URL', problem: `is required for ${purpose}; set it to ${POSTGRES_URL_HINT}` }]);
}

/**
 * The whole environment, validated once at start. Nothing else reads process.env.
 *
 * Each concern declares its own variables and what they mean (logging.ts,
 * database.ts, notion.ts, sync.ts, worker.ts, reporting.ts, budget-check.ts,
 * pricing.ts, api.ts);
 * this module composes them into one schema, so that every bad variable is named
 * in one error, and into one Config.
 *
 * Values come from the one loader in sources.ts: the process environment over
 * NOTION_ENV_FILE (the ids setup:notion records) over `.env.local` over `.env`
 * (an empty value counts as unset).
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { apiConfig, apiVariables, type ApiConfig } from './api.js';
import { budgetCheckConfig, budgetCheckVariables, type BudgetCheckConfig } from './budget-check.js';
import { databaseConfig, databaseIssues, databaseVariables, type DatabaseConfig } from './database.js';
import { NOTION_PAGE_HINT, POSTGRES_URL_HINT } from './fields.js';
import { loggingConfig, loggingVariables, type LoggingConfig } from './logging.js';
import { notionConfig, notionVariables, type NotionConfig } from './notion.js';
import { pricingConfig, pricingVariables, type PricingConfig } from './pricing.js';
import { reportingConfig, reportingVariables, type ReportingConfig } from './reporting.js';
import { readEnvironment, type RawEnvironment } from './sources.js';
import { syncConfig, syncVariables, type SyncConfig } from './sync.js';
import { wakeConfig, workerConfig, workerVariables, type WakeConfig, type WorkerConfig } from './worker.js';

export { LOG_LEVELS, type LogLevel } from './logging.js';
export type { ApiConfig } from './api.js';
export type { BudgetCheckConfig } from './budget-check.js';
export type { SupabaseApiConfig } from './database.js';
export type { NotionConfig, NotionIds } from './notion.js';
export { ANY_PROVIDER, catalogueProviderId, type FallbackModel, type FallbackModels, type PricingConfig } from './pricing.js';
export { MIN_LOG_RETENTION_DAYS, type ReportingConfig } from './reporting.js';
export { FREE_TOKEN_LOG_PAGE_BUDGET, PAID_TOKEN_LOG_PAGE_BUDGET, type SyncConfig } from './sync.js';
export type { WakeConfig, WorkerConfig } from './worker.js';

const envSchema = z.object({
  ...loggingVariables,
  ...databaseVariables,
  ...notionVariables,
  ...syncVariables,
  ...workerVariables,
  ...reportingVariables,
  ...budgetCheckVariables,
  ...pricingVariables,
  ...apiVariables,
});

/** Every variable the program reads; docs (.env.example, docs/configuration.md) are checked against it. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

type Env = z.infer<typeof envSchema>;

export interface Config extends LoggingConfig, DatabaseConfig {
  redisUrl: string;
  reportTimezone: string;
  budgetCheck: BudgetCheckConfig;
  pricing: PricingConfig;
  notion: NotionConfig;
  sync: SyncConfig;
  worker: WorkerConfig;
  reporting: ReportingConfig;
  wake: WakeConfig;
  api: ApiConfig;
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

function secretsOf(env: Env): string[] {
  // A webhook URL authorises posting to a channel: it is a secret too.
  const secrets = [env.SUPABASE_SERVICE_ROLE_KEY, env.NOTION_TOKEN, env.ALERT_WEBHOOK_URL, env.NOTION_WEBHOOK_SECRET, env.SUPABASE_JWT_SECRET];
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
  const crossIssues = databaseIssues(parsed.data);
  if (crossIssues.length > 0) throw new ConfigError(crossIssues);

  const e = parsed.data;
  return {
    ...loggingConfig(e),
    ...databaseConfig(e),
    redisUrl: e.REDIS_URL,
    reportTimezone: e.REPORT_TIMEZONE,
    budgetCheck: budgetCheckConfig(e),
    pricing: pricingConfig(e),
    notion: notionConfig(e),
    sync: syncConfig(e, e.NOTION_WORKSPACE_PLAN),
    reporting: reportingConfig(e),
    wake: wakeConfig(e, e.DATABASE_URL !== undefined),
    worker: workerConfig(e),
    api: apiConfig(e),
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

/**
 * The Supabase side as the rest of tokensync sees it: typed calls to the SQL
 * functions of supabase/migrations, over whichever transport is configured.
 */
import { z } from 'zod';
import type { Config } from '../config/env.js';
import { DATASETS as SYNC_DATASET_NAMES, type Dataset as SyncDataset } from '../datasets.js';
import { ConfigError } from '../errors.js';
import { budgetRequestJson } from './budget-store.js';
import { createPostgresTransport } from './postgres-transport.js';
import {
  budgetDecision,
  budgetUsage,
  changedRowsResult,
  compactResult,
  editOutcome,
  costAlert,
  dayRollupsResult,
  purgeResult,
  logWindowStatus,
  refreshResult,
  reportFigures,
  rollupResult,
  unpricedModel,
  schemaStatus,
  syncChangesResult,
  type BudgetDecision,
  type BudgetUsage,
  type CostAlert,
  type DayRollups,
  type EditOutcome,
  type PurgeResult,
  type LogWindowStatus,
  type ReportFigures,
  type RollupResult,
  type SchemaStatus,
  type UnpricedModel,
} from './results.js';
import { createRpcTransport } from './rpc-transport.js';
import { callFunction, type JsonValue, type SqlFunctionArgs, type SqlFunctionName, type SqlFunctionTransport } from './transport.js';

export type {
  BudgetDecision,
  BudgetUsage,
  CostAlert,
  DayRollups,
  EditOutcome,
  LogWindowStatus,
  PurgeResult,
  ReportFigures,
  RollupResult,
  SchemaStatus,
  SpendLeader,
  UnpricedModel,
} from './results.js';

export { DATASETS as SYNC_DATASETS, type Dataset as SyncDataset } from '../datasets.js';

/** Position after the last row read: rows are ordered by (updated_at, id). */
export interface KeysetCursor {
  updatedAt: string;
  id: string;
}

export interface ChangedRowsPage {
  /** Whole rows, as the table holds them (snake_case, JSON values). */
  rows: Record<string, unknown>[];
  hasMore: boolean;
  /** Rows changed at or after this instant are left for a later page. */
  horizon: string;
  /** Where the next page starts; the given cursor when the page is empty. */
  nextCursor: KeysetCursor | null;
}

export interface ChangedRowsOptions {
  /** Rows per page, 1..10000 (default 500). */
  limit?: number;
  /** How far behind the clock a page stops, for writers still committing (default 1000 ms). */
  settleMs?: number;
}

/** A row the sync must write: its content hash differs from the one recorded for its page. */
export interface RowChange {
  /** The whole row, as the table holds it. */
  row: Record<string, unknown>;
  /** Hash of the columns the dataset shows, salted with its mapping. */
  hash: string;
  /** The live Notion page, or null (never created, trashed, or a create whose answer was lost). */
  pageId: string | null;
  /** A create was sent and its answer never recorded: look the key up in Notion first. */
  createPending: boolean;
}

export interface SyncChangesPage {
  /** Rows the page covers: changed, unchanged and expired. */
  scanned: number;
  /** Rows created before `createdAfter`, left out. */
  expired: number;
  /** Those of them that still have a page (or a create whose answer was lost): to trash. */
  expiredPages: { key: string; pageId: string | null; createPending: boolean }[];
  changes: RowChange[];
  hasMore: boolean;
  horizon: string;
  /** The last row the page covers; the given cursor when the page is empty. */
  nextCursor: KeysetCursor | null;
}

export interface SyncChangesOptions {
  /** Rows a page covers at most, 1..10000 (default 2000). */
  limit?: number;
  /** The page stops after this many changed rows (default 200). */
  maxChanges?: number;
  /** How far behind the clock a page stops (default 1000 ms). */
  settleMs?: number;
  /** Columns whose values the Notion page shows; the whole row when absent. */
  columns?: readonly string[];
  /** Mixed into every hash: a new salt makes every row a change. */
  salt?: string;
  /** Rows created before this instant are counted as expired, not returned. */
  createdAfter?: Date | null;
}

export interface SyncProgressRequest {
  dataset: SyncDataset;
  /** What the content hash covers and is salted with (the dataset's definition). */
  columns: readonly string[];
  salt: string;
  /** Rows created before this instant are out of scope (the raw logs' window). */
  createdAfter?: Date | null;
}

export interface SyncProgress {
  dataset: SyncDataset;
  rows: number;
  synced: number;
}

/** What the sync still has to write for a dataset, counted at the cost of the backlog (see *_sync_backlog.sql). */
export interface SyncBacklog {
  dataset: SyncDataset;
  /** Changes not yet in Notion: `changes` + `deletes`. */
  pending: number;
  /** Rows after the checkpoint whose page does not hold their content (in scope: raw logs inside the window). */
  changes: number;
  /** Deleted rows whose page is still live. */
  deletes: number;
  /** Rows the sync gave up on (refused by Notion, or invalid) and that are still not written. */
  failed: number;
  /** updated_at (or deletion time) of the oldest pending change; null when none is pending. */
  oldestPendingAt: string | null;
  /** updated_at of the oldest failed row; null when none failed. */
  oldestFailedAt: string | null;
  /** The count stopped at the limit: there are at least `changes` changes (the oldest is still exact). */
  capped: boolean;
}

export interface SyncBacklogReport {
  /** The database clock when the count started: ages are measured from it. */
  asOf: string;
  datasets: SyncBacklog[];
}

/** Local days, YYYY-MM-DD, both ends included. */
export interface DayRange {
  from: string;
  to: string;
  timezone?: string;
}

export interface ChangedRollupsOptions {
  timezone?: string;
  /** Local days reconverged per call at most, newest first (default 31); the rest stay marked. */
  maxDays?: number;
}

export interface PurgeOptions {
  /** Raw logs created before the local day this many days before `at` go (at least 1). */
  retentionDays: number;
  timezone?: string;
  /** Rows deleted per call at most, 1..100000 (default 5000). */
  batchSize?: number;
  at?: Date | string;
}

export interface BudgetCheckRequest {
  userId: string | null;
  sessionId: string | null;
  serviceType: string | null;
  estimatedCost: number;
  /** Default: those of the user's latest logged call. */
  organizationId?: string | null;
  tier?: string | null;
  agentId?: string | null;
  feature?: string | null;
  /** Tokens the call will use, for token quotas (default 0). */
  estimatedTokens?: number;
  at?: Date | string;
  timezone?: string;
}

/** Who edited which page of which row, and when (Notion's last_edited_time). */
export interface NotionEdit {
  rowId: string;
  pageId: string;
  editor: string | null;
  editedAt: string;
}

/** What a Budget Limits page shows of the editable fields; a field its data source lacks is left out (and left as it is). */
export interface BudgetEdit {
  daily_limit?: number | null | string;
  monthly_limit?: number | null | string;
  session_limit?: number | null | string;
  is_active?: boolean;
  grace_pct?: number | null;
  fail_mode?: string | null;
  /** Agents: the page's Paused Until (ISO) and Pause Reason; cleared, they unpause the agent. */
  paused_until?: string | null;
  pause_reason?: string | null;
}

/**
 * What tokensync_budget_housekeeping did: holds past their expiry dropped, pauses
 * whose period ended lifted, agents past a blocking limit and its grace paused.
 */
export interface HousekeepingResult {
  expiredHolds: number;
  liftedPauses: number;
  pausedAgents: number;
}

export interface SupabaseSource {
  readonly transport: SqlFunctionTransport['kind'];
  changedRows(dataset: SyncDataset, after: KeysetCursor | null, options?: ChangedRowsOptions): Promise<ChangedRowsPage>;
  /** One page of what the sync must write after `after`: rows diffed against the sync state in Postgres. */
  syncChanges(dataset: SyncDataset, after: KeysetCursor | null, options?: SyncChangesOptions): Promise<SyncChangesPage>;
  /** Per dataset: rows in scope, and rows whose page holds their current content. */
  syncProgress(datasets: readonly SyncProgressRequest[]): Promise<SyncProgress[]>;
  /**
   * Per dataset: what is still to be written and since when, with work that
   * grows with the backlog, not with history. `limit` bounds the rows read
   * after each checkpoint (default: none, exact at any size).
   */
  syncBacklog(datasets: readonly SyncProgressRequest[], options?: { limit?: number }): Promise<SyncBacklogReport>;
  rollupServicePerformance(range: DayRange): Promise<RollupResult>;
  rollupWorkflowAnalytics(range: DayRange): Promise<RollupResult>;
  /**
   * Claims the hours of usage logs changed since the last claim and reconverges
   * the local days they touch with every day rollup (services, workflows, daily
   * costs); `hasMore` when days were left for another call.
   */
  rollupChanged(options?: ChangedRollupsOptions): Promise<DayRollups>;
  /** Reconverges every day rollup over whole local days (a re-cost, a repair); days closed by retention are left alone. */
  rollupDays(range: DayRange): Promise<DayRollups>;
  /** Deletes one batch of raw usage logs past retention, leaving every rollup, spend bucket and alert as it is. */
  purgeLogs(options: PurgeOptions): Promise<PurgeResult>;
  /** Recomputes those local days of daily_cost_breakdown (day × service × provider × model, exact sums). */
  rollupDailyCosts(range: DayRange): Promise<RollupResult>;
  /**
   * Refreshes the three materialized reporting views over all history (rarely, off the hot path); milliseconds per view.
   * `timezone` (default REPORT_TIMEZONE) is stored as the zone of users with no organization zone in mv_user_spending_summary.
   */
  refreshReportingViews(options?: { timezone?: string }): Promise<Record<string, number>>;
  /** Merges the spend-bucket deltas of closed hours (keeps budget checks fast). */
  compactSpend(): Promise<{ merged_rows: number }>;
  /** Spend against every active limit and period at `at` (default now). */
  budgetStatus(options?: { at?: Date | string; timezone?: string }): Promise<BudgetUsage[]>;
  checkUserBudget(request: BudgetCheckRequest): Promise<BudgetDecision>;
  /** Recomputes what every budget limit has spent today and this month (shown in Notion); how many changed. */
  /**
   * Recomputes each limit's spend for Budget Limits; `minAgeMs` leaves figures younger
   * than that as they are unless a limit changed or a threshold was crossed.
   */
  refreshBudgetSpend(options?: { at?: Date | string; timezone?: string; minAgeMs?: number }): Promise<{ changed: number }>;
  /** Drops expired budget holds and lifts agent pauses whose period ended at `at` (audited). */
  budgetHousekeeping(options?: { at?: Date | string; timezone?: string }): Promise<HousekeepingResult>;
  /** Raises the alerts due at `at` (thresholds crossed, monthly forecasts) and returns only the new ones. */
  evaluateAlerts(options?: { at?: Date | string; timezone?: string }): Promise<CostAlert[]>;
  /** Every figure of the stakeholder report, as SQL computes it. */
  reportFigures(options?: { at?: Date | string; timezone?: string; top?: number }): Promise<ReportFigures>;
  /** Calls counted at a fallback price (no price for their model), per provider and model, created in [from, to) (default: all). */
  unpricedModels(options?: { from?: Date | string; to?: Date | string }): Promise<UnpricedModel[]>;
  /** Edits made in Notion, carried back in one call; outcomes in the same order (see *_notion_edits.sql). */
  applyAcknowledgements(edits: (NotionEdit & { acknowledged: boolean })[]): Promise<EditOutcome[]>;
  applyBudgetEdits(edits: (NotionEdit & { changes: BudgetEdit })[]): Promise<EditOutcome[]>;
  /** Where polling for Notion edits resumes (Notion's last_edited_time), per dataset. */
  editCursor(dataset: SyncDataset): Promise<string | null>;
  setEditCursor(dataset: SyncDataset, editedAfter: string): Promise<void>;
  /** Applied migrations, our functions, and RLS per table: what verify checks. */
  schemaStatus(): Promise<SchemaStatus>;
  /**
   * The Token Usage Logs window: live pages against the budget, calls mirrored
   * and left out today (report time zone) and in total, and the calls no pass
   * has covered yet (count, and the updated_at of the oldest).
   */
  logWindowStatus(options: { pageBudget?: number; windowDays: number; at?: Date | string; timezone?: string }): Promise<LogWindowStatus>;
  /** The newest day (YYYY-MM-DD) whose pages a dataset's page budget gave up, or null: Notion shows none up to it. */
  evictedThrough(dataset: SyncDataset): Promise<string | null>;
  close(): Promise<void>;
}

/** A month of days per call keeps one claim's transaction short; a backfill takes several calls. */
export const DEFAULT_ROLLUP_MAX_DAYS = 31;
/** Rows per purge call: short transactions beside the writers. */
export const DEFAULT_PURGE_BATCH_SIZE = 5000;

export interface SourceDefaults {
  /** Time zone for days and months when a call does not name one. */
  timezone: string;
}

const syncBacklogResult = z.object({
  as_of: z.string(),
  datasets: z.array(
    z.object({
      dataset: z.enum(SYNC_DATASET_NAMES),
      pending: z.number().int(),
      changes: z.number().int(),
      deletes: z.number().int(),
      failed: z.number().int(),
      oldest_pending_at: z.string().nullable(),
      oldest_failed_at: z.string().nullable(),
      capped: z.boolean(),
    }),
  ),
});

const editArgs = (e: NotionEdit) => ({ row_id: e.rowId, page_id: e.pageId, editor: e.editor, edited_at: e.editedAt });

/** An omitted instant is left out of the call, so the function uses the database clock. */
const atArg = (value: Date | string | undefined): { p_at?: string } =>
  value === undefined ? {} : { p_at: value instanceof Date ? value.toISOString() : value };

export function createSupabaseSource(transport: SqlFunctionTransport, defaults: SourceDefaults): SupabaseSource {
  const call = <F extends SqlFunctionName, S extends z.ZodType>(fn: F, args: SqlFunctionArgs<F>, schema: S) => callFunction(transport, fn, args, schema);

  type RollupFunction = 'tokensync_rollup_service_performance' | 'tokensync_rollup_workflow_analytics' | 'tokensync_rollup_daily_costs';
  const rollup = (fn: RollupFunction) => (range: DayRange) =>
    call(fn, { p_from: range.from, p_to: range.to, p_timezone: range.timezone ?? defaults.timezone }, rollupResult);

  return {
    transport: transport.kind,

    async changedRows(dataset, after, options = {}) {
      const page = await call(
        'tokensync_changed_rows',
        {
          p_dataset: dataset,
          p_after_updated_at: after?.updatedAt ?? null,
          p_after_id: after?.id ?? null,
          p_limit: options.limit ?? 500,
          p_settle_ms: options.settleMs ?? 1000,
        },
        changedRowsResult,
      );
      const last = page.rows.at(-1);
      return {
        rows: page.rows,
        hasMore: page.has_more,
        horizon: page.horizon,
        nextCursor: last ? { updatedAt: last.updated_at, id: last.id } : after,
      };
    },

    async syncChanges(dataset, after, options = {}) {
      const page = await call(
        'tokensync_sync_changes',
        {
          p_dataset: dataset,
          p_after_updated_at: after?.updatedAt ?? null,
          p_after_id: after?.id ?? null,
          p_limit: options.limit ?? 2000,
          p_max_changes: options.maxChanges ?? 200,
          p_settle_ms: options.settleMs ?? 1000,
          p_columns: options.columns ? [...options.columns] : null,
          p_salt: options.salt ?? '',
          p_created_after: options.createdAfter?.toISOString() ?? null,
        },
        syncChangesResult,
      );
      return {
        scanned: page.scanned,
        expired: page.expired,
        expiredPages: page.expired_pages.map((p) => ({ key: p.key, pageId: p.page_id, createPending: p.create_pending })),
        changes: page.changes.map((c) => ({ row: c.row, hash: c.hash, pageId: c.page_id, createPending: c.create_pending })),
        hasMore: page.has_more,
        horizon: page.horizon,
        nextCursor: page.next_cursor ? { updatedAt: page.next_cursor.updated_at, id: page.next_cursor.id } : after,
      };
    },

    syncProgress: (datasets) =>
      call(
        'tokensync_sync_progress',
        {
          p_datasets: datasets.map((d) => ({
            dataset: d.dataset,
            columns: [...d.columns],
            salt: d.salt,
            created_after: d.createdAfter?.toISOString() ?? null,
          })),
        },
        z.array(z.object({ dataset: z.enum(SYNC_DATASET_NAMES), rows: z.number().int(), synced: z.number().int() })),
      ),

    async syncBacklog(datasets, options = {}) {
      const report = await call(
        'tokensync_sync_backlog',
        {
          p_datasets: datasets.map((d) => ({
            dataset: d.dataset,
            columns: [...d.columns],
            salt: d.salt,
            created_after: d.createdAfter?.toISOString() ?? null,
          })),
          p_limit: options.limit ?? null,
        },
        syncBacklogResult,
      );
      return {
        asOf: report.as_of,
        datasets: report.datasets.map((d) => ({
          dataset: d.dataset,
          pending: d.pending,
          changes: d.changes,
          deletes: d.deletes,
          failed: d.failed,
          oldestPendingAt: d.oldest_pending_at,
          oldestFailedAt: d.oldest_failed_at,
          capped: d.capped,
        })),
      };
    },

    rollupServicePerformance: rollup('tokensync_rollup_service_performance'),
    rollupWorkflowAnalytics: rollup('tokensync_rollup_workflow_analytics'),
    rollupDailyCosts: rollup('tokensync_rollup_daily_costs'),

    rollupChanged: (options = {}) =>
      call(
        'tokensync_rollup_changed',
        { p_timezone: options.timezone ?? defaults.timezone, p_max_days: options.maxDays ?? DEFAULT_ROLLUP_MAX_DAYS },
        dayRollupsResult,
      ),

    rollupDays: (range) =>
      call('tokensync_rollup_days', { p_from: range.from, p_to: range.to, p_timezone: range.timezone ?? defaults.timezone }, dayRollupsResult),

    purgeLogs: (options) =>
      call(
        'tokensync_purge_logs',
        {
          p_retention_days: options.retentionDays,
          p_timezone: options.timezone ?? defaults.timezone,
          p_batch_size: options.batchSize ?? DEFAULT_PURGE_BATCH_SIZE,
          ...atArg(options.at),
        },
        purgeResult,
      ),

    refreshReportingViews: (options = {}) =>
      call('tokensync_refresh_reporting_views', { p_timezone: options.timezone ?? defaults.timezone }, refreshResult),

    compactSpend: () => call('tokensync_compact_spend', {}, compactResult),

    budgetStatus: (options = {}) =>
      call(
        'tokensync_budget_status',
        { ...atArg(options.at), p_timezone: options.timezone ?? defaults.timezone },
        budgetUsage.array(),
      ),

    // check_user_budget's question, with the whole answer (tokens, warnings, upgrade): see 20261205001200.
    checkUserBudget: (request) =>
      call(
        'tokensync_budget_question',
        {
          p_request: budgetRequestJson(request, request),
          ...atArg(request.at),
          p_timezone: request.timezone ?? defaults.timezone,
        },
        budgetDecision,
      ),

    refreshBudgetSpend: (options = {}) =>
      call(
        'tokensync_refresh_budget_spend',
        {
          ...atArg(options.at),
          p_timezone: options.timezone ?? defaults.timezone,
          ...(options.minAgeMs ? { p_min_age_ms: Math.round(options.minAgeMs) } : {}),
        },
        z.object({ changed: z.number().int() }),
      ),

    budgetHousekeeping: async (options = {}) => {
      const result = await call(
        'tokensync_budget_housekeeping',
        { ...atArg(options.at), p_timezone: options.timezone ?? defaults.timezone },
        z.object({ expired_holds: z.number().int(), lifted_pauses: z.number().int(), paused_agents: z.number().int() }),
      );
      return { expiredHolds: result.expired_holds, liftedPauses: result.lifted_pauses, pausedAgents: result.paused_agents };
    },

    evaluateAlerts: (options = {}) =>
      call(
        'tokensync_evaluate_alerts',
        { ...atArg(options.at), p_timezone: options.timezone ?? defaults.timezone },
        costAlert.array(),
      ),

    reportFigures: (options = {}) =>
      call(
        'tokensync_report_figures',
        { ...atArg(options.at), p_timezone: options.timezone ?? defaults.timezone, p_top: options.top ?? 5 },
        reportFigures,
      ),

    unpricedModels: (options = {}) =>
      call(
        'tokensync_unpriced_models',
        {
          ...(options.from === undefined ? {} : { p_from: new Date(options.from).toISOString() }),
          ...(options.to === undefined ? {} : { p_to: new Date(options.to).toISOString() }),
        },
        unpricedModel.array(),
      ),

    applyAcknowledgements: (edits) =>
      call(
        'tokensync_apply_acknowledgements',
        { p_edits: edits.map((e) => ({ ...editArgs(e), acknowledged: e.acknowledged })) },
        editOutcome.array(),
      ),

    applyBudgetEdits: (edits) =>
      call(
        'tokensync_apply_budget_edits',
        { p_edits: edits.map((e) => ({ ...editArgs(e), changes: e.changes as JsonValue })) },
        editOutcome.array(),
      ),

    editCursor: (dataset) => call('tokensync_edit_cursor', { p_dataset: dataset }, z.string().nullable()),

    setEditCursor: async (dataset, editedAfter) => {
      await transport.call('tokensync_set_edit_cursor', { p_dataset: dataset, p_edited_after: editedAfter });
    },

    schemaStatus: () => call('tokensync_schema_status', {}, schemaStatus),

    evictedThrough: (dataset) => call('tokensync_sync_evicted_through', { p_dataset: dataset }, z.string().nullable()),

    logWindowStatus: (options) => {
      const at = options.at === undefined ? new Date() : new Date(options.at);
      return call(
        'tokensync_log_window_status',
        {
          p_budget: options.pageBudget ?? null,
          p_created_after: new Date(at.getTime() - options.windowDays * 86_400_000).toISOString(),
          p_timezone: options.timezone ?? defaults.timezone,
          ...atArg(options.at),
        },
        logWindowStatus,
      );
    },

    close: () => transport.close(),
  };
}

export interface SourceOverrides {
  /** For the rpc transport: replaces global fetch. */
  fetch?: typeof fetch;
  /** For the postgres transport: let the process exit while pooled connections sit idle (default false). */
  allowExitOnIdle?: boolean;
}

/** The transport the configuration asks for: rpc when the Supabase pair is set, else postgres. */
export function openTransport(config: Config, overrides: SourceOverrides = {}): SqlFunctionTransport {
  if (config.sourceTransport === 'rpc' && config.supabase) {
    return createRpcTransport({
      supabaseUrl: config.supabase.url,
      serviceRoleKey: config.supabase.serviceRoleKey,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    });
  }
  if (config.sourceTransport === 'postgres' && config.databaseUrl) {
    return createPostgresTransport({ databaseUrl: config.databaseUrl, allowExitOnIdle: overrides.allowExitOnIdle ?? false });
  }
  throw new ConfigError([
    {
      variable: 'DATABASE_URL',
      problem: 'no database is configured: set DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY',
    },
  ]);
}

/** The source the configuration asks for: rpc when the Supabase pair is set, else postgres. */
export function openSupabaseSource(config: Config, overrides: SourceOverrides = {}): SupabaseSource {
  return createSupabaseSource(openTransport(config, overrides), { timezone: config.reportTimezone });
}

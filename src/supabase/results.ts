/** Shapes of what the SQL functions return, checked at the boundary and turned camelCase. */
import { z } from 'zod';
import { ENTITY_TYPES } from './budget-admin.js';

const timestamp = z.string().min(1);
const amount = z.number().finite();

export const changedRowsResult = z.object({
  rows: z.array(z.record(z.string(), z.unknown()).and(z.object({ id: z.string(), updated_at: timestamp }))),
  has_more: z.boolean(),
  horizon: timestamp,
});

const keysetCursor = z.object({ updated_at: timestamp, id: z.string() });

export const syncChangesResult = z.object({
  scanned: z.number().int(),
  expired: z.number().int(),
  expired_pages: z.array(z.object({ key: z.string(), page_id: z.string().nullable(), create_pending: z.boolean() })),
  // Rows are checked by their dataset's schema in the engine; here only the envelope.
  changes: z.array(
    z.object({
      row: z.record(z.string(), z.unknown()),
      hash: z.string(),
      page_id: z.string().nullable(),
      create_pending: z.boolean(),
    }),
  ),
  next_cursor: keysetCursor.nullable(),
  has_more: z.boolean(),
  horizon: timestamp,
});

export const rollupResult = z.object({ changed: z.number().int(), deleted: z.number().int() });
export type RollupResult = z.infer<typeof rollupResult>;

/** What tokensync_rollup_changed / tokensync_rollup_days did, per day rollup. */
export const dayRollupsResult = z
  .object({
    days: z.array(z.string()),
    hours: z.number().int(),
    skipped_closed_days: z.number().int(),
    has_more: z.boolean(),
    services: rollupResult,
    workflows: rollupResult,
    daily_costs: rollupResult,
  })
  .transform((r) => ({
    days: r.days,
    hours: r.hours,
    skippedClosedDays: r.skipped_closed_days,
    hasMore: r.has_more,
    services: r.services,
    workflows: r.workflows,
    dailyCosts: r.daily_costs,
  }));
export type DayRollups = z.output<typeof dayRollupsResult>;

export const purgeResult = z
  .object({ deleted: z.number().int(), tombstones: z.number().int(), cutoff: timestamp, horizon: timestamp, has_more: z.boolean() })
  // Instants as ISO strings, whichever transport rendered them.
  .transform((r) => ({
    deleted: r.deleted,
    tombstones: r.tombstones,
    cutoff: new Date(r.cutoff).toISOString(),
    horizon: new Date(r.horizon).toISOString(),
    hasMore: r.has_more,
  }));
export type PurgeResult = z.output<typeof purgeResult>;

export const compactResult = z.object({ merged_rows: z.number().int() });

export const refreshResult = z
  .object({ refreshed_ms: z.record(z.string(), z.number()) })
  .transform((r) => r.refreshed_ms);

export const budgetUsage = z
  .object({
    budget_limit_id: z.string(),
    entity_type: z.enum(ENTITY_TYPES),
    entity_id: z.string(),
    period: z.enum(['daily', 'monthly', 'session']),
    period_start: timestamp,
    session_id: z.string().nullable(),
    spent: amount,
    limit_amount: amount,
    utilisation_pct: amount.nullable(),
    exceeded: z.boolean(),
    alert_thresholds: z.array(amount),
    thresholds_reached: z.array(amount),
    breach_action: z.enum(['alert', 'block']),
  })
  .transform((u) => ({
    budgetLimitId: u.budget_limit_id,
    entityType: u.entity_type,
    entityId: u.entity_id,
    period: u.period,
    periodStart: u.period_start,
    sessionId: u.session_id,
    spent: u.spent,
    limitAmount: u.limit_amount,
    utilisationPct: u.utilisation_pct,
    exceeded: u.exceeded,
    alertThresholds: u.alert_thresholds,
    thresholdsReached: u.thresholds_reached,
    breachAction: u.breach_action,
  }));
export type BudgetUsage = z.infer<typeof budgetUsage>;

export const budgetDecision = z
  .object({
    allowed: z.boolean(),
    reason: z.string().nullable(),
    remaining_budget: amount.nullable(),
    remaining_tokens: z.number().int().nullable(),
    tokens_needed: z.number().int(),
    warnings: z.array(z.string()),
    upgrade: z.object({ would_allow: z.boolean(), tier: z.string().nullable() }).nullable(),
  })
  .transform((d) => ({
    allowed: d.allowed,
    reason: d.reason,
    remainingBudget: d.remaining_budget,
    remainingTokens: d.remaining_tokens,
    tokensNeeded: d.tokens_needed,
    warnings: d.warnings,
    upgrade: d.upgrade ? { wouldAllow: d.upgrade.would_allow, tier: d.upgrade.tier } : null,
  }));
export type BudgetDecision = z.infer<typeof budgetDecision>;

export const schemaStatus = z.object({
  migrations: z.array(z.string()),
  functions: z.array(z.string()),
  tables: z.record(z.string(), z.object({ rls: z.boolean(), anon_can_select: z.boolean() })),
});
export type SchemaStatus = z.infer<typeof schemaStatus>;

export const costAlert = z
  .object({
    id: z.string(),
    kind: z.enum(['threshold', 'forecast']),
    entity_type: z.string(),
    entity_id: z.string(),
    period: z.enum(['daily', 'monthly', 'session']),
    period_start: z.string(),
    session_id: z.string().nullable(),
    threshold_pct: z.number(),
    amount_spent: z.number(),
    limit_amount: z.number(),
    severity: z.enum(['info', 'warning', 'critical']),
    message: z.string(),
    projected_amount: z.number().nullable(),
    projected_date: z.string().nullable(),
    late: z.boolean(),
  })
  .transform((a) => ({
    id: a.id,
    kind: a.kind,
    entityType: a.entity_type,
    entityId: a.entity_id,
    period: a.period,
    periodStart: a.period_start,
    sessionId: a.session_id,
    thresholdPct: a.threshold_pct,
    amountSpent: a.amount_spent,
    limitAmount: a.limit_amount,
    severity: a.severity,
    message: a.message,
    projectedAmount: a.projected_amount,
    projectedDate: a.projected_date,
    /** Raised after its period had ended (the message says when it ended). */
    late: a.late,
  }));
export type CostAlert = z.infer<typeof costAlert>;

const leader = z.object({ name: z.string(), spent: z.number(), previous: z.number(), change: z.number(), change_pct: z.number().nullable() });
export type SpendLeader = z.infer<typeof leader>;

/** tokensync_unpriced_models: calls on a model with no price, counted at a fallback price until recost prices them. */
export const unpricedModel = z.object({
  provider: z.string(),
  model: z.string(),
  calls: z.number().int(),
  estimated_spend: z.number(),
  /** The fallback model of the latest such call, e.g. "openai/o1-pro". */
  priced_as: z.string().nullable(),
  first_seen: z.string(),
  last_seen: z.string(),
});
export type UnpricedModel = z.infer<typeof unpricedModel>;

/** What the stakeholder report shows; snake_case as SQL returns it, amounts in USD. */
export const reportFigures = z.object({
  generated_at: z.string(),
  timezone: z.string(),
  today: z.object({ start: z.string(), spent: z.number(), yesterday_same_time: z.number(), yesterday_total: z.number() }),
  week: z.object({ start: z.string(), spent: z.number(), last_week_same_span: z.number(), last_week_total: z.number() }),
  month: z.object({ start: z.string(), spent: z.number(), days_elapsed: z.number(), days_in_month: z.number(), projected: z.number().nullable() }),
  organization_budgets: z.array(
    z.object({
      organization: z.string(),
      monthly_limit: z.number(),
      spent: z.number(),
      utilisation_pct: z.number().nullable(),
      projected: z.number().nullable(),
      exhausted_on: z.string().nullable(),
    }),
  ),
  top_services: z.array(leader),
  top_models: z.array(leader),
  top_users: z.array(leader),
  drivers: z.array(z.object({ service: z.string(), model: z.string(), spent: z.number(), previous: z.number(), change: z.number() })),
  budgets: z.array(budgetUsage),
  /** This month's calls on unpriced models (absent before 20261205000600_estimated_costs.sql). */
  unpriced_models: z.array(unpricedModel).optional(),
  open_critical_alerts: z.array(
    z.object({ message: z.string(), raised_at: z.string(), entity_type: z.string(), entity_id: z.string(), period: z.string() }),
  ),
});
export type ReportFigures = z.infer<typeof reportFigures>;

/** What tokensync_apply_acknowledgement / tokensync_apply_budget_edit decided. */
export const editOutcome = z.object({
  outcome: z.enum(['unchanged', 'applied', 'superseded', 'rejected', 'gone']),
  reason: z.string().nullable().optional(),
  overwritten: z.record(z.string(), z.unknown()).nullable().optional(),
  current: z.record(z.string(), z.unknown()).optional(),
});
export type EditOutcome = z.infer<typeof editOutcome>;

/** tokensync_log_window_status: the raw-log window in Notion, as operators and the report see it. */
export const logWindowStatus = z
  .object({
    pages_live: z.number().int(),
    pages_trashed: z.number().int(),
    page_budget: z.number().int().nullable(),
    mirrored_today: z.number().int(),
    mirrored_total: z.number().int(),
    left_out_today: z.number().int(),
    left_out_total: z.number().int(),
    unmirrored: z.number().int(),
    oldest_unmirrored_at: timestamp.nullable(),
    failed: z.number().int(),
    oldest_failed_at: timestamp.nullable(),
    last_pass_at: timestamp.nullable(),
  })
  .transform((s) => ({
    pagesLive: s.pages_live,
    pagesTrashed: s.pages_trashed,
    pageBudget: s.page_budget,
    mirroredToday: s.mirrored_today,
    mirroredTotal: s.mirrored_total,
    leftOutToday: s.left_out_today,
    leftOutTotal: s.left_out_total,
    unmirrored: s.unmirrored,
    oldestUnmirroredAt: s.oldest_unmirrored_at,
    /** Calls Notion refused for good (or that failed validation), not written since: in the dead letters with their reason. */
    failed: s.failed,
    oldestFailedAt: s.oldest_failed_at,
    lastPassAt: s.last_pass_at,
  }));
export type LogWindowStatus = z.output<typeof logWindowStatus>;

/**
 * Budget administration as typed calls to the SQL admin functions
 * (20261205000500_budget_reservations.sql, 20261205000700_budget_admin.sql,
 * organizations' time zones: 20261205001700, 20261205001720),
 * over either transport. Every change names its actor, which the audit keeps.
 */
import { z } from 'zod';
import { callFunction, type SqlFunctionTransport } from './transport.js';

export const ENTITY_TYPES = ['organization', 'service', 'tier', 'user', 'session', 'agent', 'feature'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Entity {
  type: EntityType;
  id: string;
}

export interface LimitSettings {
  dailyLimit?: number;
  monthlyLimit?: number;
  sessionLimit?: number;
  breachAction?: 'alert' | 'block';
  gracePct?: number;
  failMode?: 'open' | 'closed';
  isActive?: boolean;
}

export type ResetPeriod = 'daily' | 'monthly' | 'both';

const timestamp = z.string().min(1);
const amount = z.number().finite();

/** A budget_limits row as the admin functions return it (the composite, as JSON). */
const limitRow = z.object({
  id: z.string(),
  entity_type: z.string(),
  entity_id: z.string(),
  daily_limit: amount.nullable(),
  monthly_limit: amount.nullable(),
  session_limit: amount.nullable(),
  breach_action: z.string(),
  grace_pct: amount,
  fail_mode: z.string(),
  is_active: z.boolean(),
  daily_reset_at: timestamp.nullable(),
  monthly_reset_at: timestamp.nullable(),
});
export type LimitRow = z.infer<typeof limitRow>;

const pauseRow = z.object({
  id: z.string(),
  agent_id: z.string(),
  paused_at: timestamp,
  paused_until: timestamp.nullable(),
  reason: z.string(),
  paused_by: z.string(),
});
export type PauseRow = z.infer<typeof pauseRow>;

const overview = z.object({
  at: timestamp,
  limits: z.array(
    limitRow.omit({ id: true }).extend({
      daily_spend: amount,
      monthly_spend: amount,
      daily_utilisation: amount.nullable(),
      monthly_utilisation: amount.nullable(),
      updated_at: timestamp,
      /** The zone the limit's day and month are reckoned in (its entity's). */
      time_zone: z.string(),
    }),
  ),
  pauses: z.array(pauseRow.omit({ id: true }).extend({ in_effect: z.boolean() })),
});
export type BudgetOverview = z.infer<typeof overview>;

const auditRow = z.object({
  id: z.number().int(),
  at: timestamp,
  actor: z.string(),
  action: z.string(),
  entity_type: z.string().nullable(),
  entity_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditRow = z.infer<typeof auditRow>;

/** What setting (or unsetting) an organization's zone did: tokensync_set_organization_time_zone. */
const zoneChange = z.object({
  organization_id: z.string(),
  before: z.string().nullable(),
  time_zone: z.string().nullable(),
  changed: z.boolean(),
  days_to_roll_up: z.number().int(),
});
export type ZoneChange = z.infer<typeof zoneChange>;

const organizationZones = z.object({
  default_time_zone: z.string(),
  organizations: z.array(z.object({ organization_id: z.string(), time_zone: z.string(), updated_at: timestamp })),
});
export type OrganizationZones = z.infer<typeof organizationZones>;

export interface BudgetAdmin {
  /** Creates the limit or changes only the settings given. */
  setLimit(entity: Entity, settings: LimitSettings, actor: string): Promise<LimitRow>;
  /** Spend before now stops counting toward the period; fails (P0002) when the entity has no limit. */
  resetSpend(entity: Entity, period: ResetPeriod, actor: string): Promise<LimitRow>;
  /** Pauses an agent until `until` (null: until unpaused), or extends its open pause. */
  pauseAgent(agentId: string, until: string | null, reason: string | undefined, actor: string): Promise<PauseRow>;
  unpauseAgent(agentId: string, actor: string): Promise<{ unpaused: boolean }>;
  /** Limits (all or one entity's) with spend and utilisation, and open pauses. */
  overview(entity: Entity | null, options?: { timezone?: string }): Promise<BudgetOverview>;
  /** Newest first. */
  audit(entity: Entity | null, limit: number): Promise<AuditRow[]>;
  /**
   * Sets an organization's time zone (null: it follows `defaultZone` again); its calls' days are
   * handed to the rollups. An unknown zone is refused (22023) by the database.
   */
  setOrganizationZone(organizationId: string, timeZone: string | null, defaultZone: string): Promise<ZoneChange>;
  /** The organizations with a zone of their own. */
  organizationZones(defaultZone: string): Promise<OrganizationZones>;
}

const entityArgs = (entity: Entity | null) => ({ p_entity_type: entity?.type ?? null, p_entity_id: entity?.id ?? null });

export function createBudgetAdmin(transport: SqlFunctionTransport): BudgetAdmin {
  return {
    setLimit: (entity, s, actor) =>
      callFunction(
        transport,
        'tokensync_admin_set_limit',
        {
          p_entity_type: entity.type,
          p_entity_id: entity.id,
          p_daily_limit: s.dailyLimit ?? null,
          p_monthly_limit: s.monthlyLimit ?? null,
          p_session_limit: s.sessionLimit ?? null,
          p_breach_action: s.breachAction ?? null,
          p_grace_pct: s.gracePct ?? null,
          p_fail_mode: s.failMode ?? null,
          p_is_active: s.isActive ?? null,
          p_actor: actor,
        },
        limitRow,
      ),
    resetSpend: (entity, period, actor) =>
      callFunction(transport, 'tokensync_admin_reset_spend', { ...entityArgs(entity), p_period: period, p_actor: actor }, limitRow),
    pauseAgent: (agentId, until, reason, actor) =>
      callFunction(
        transport,
        'tokensync_admin_pause_agent',
        { p_agent_id: agentId, p_until: until, ...(reason === undefined ? {} : { p_reason: reason }), p_actor: actor },
        pauseRow,
      ),
    unpauseAgent: (agentId, actor) =>
      callFunction(transport, 'tokensync_admin_unpause_agent', { p_agent_id: agentId, p_actor: actor }, z.object({ unpaused: z.boolean() })),
    overview: (entity, options = {}) =>
      callFunction(
        transport,
        'tokensync_admin_budget_overview',
        { ...entityArgs(entity), ...(options.timezone ? { p_timezone: options.timezone } : {}) },
        overview,
      ),
    audit: (entity, limit) => callFunction(transport, 'tokensync_admin_budget_audit', { ...entityArgs(entity), p_limit: limit }, z.array(auditRow)),
    setOrganizationZone: (organizationId, timeZone, defaultZone) =>
      callFunction(
        transport,
        'tokensync_set_organization_time_zone',
        { p_organization_id: organizationId, p_time_zone: timeZone, p_default: defaultZone },
        zoneChange,
      ),
    organizationZones: (defaultZone) =>
      callFunction(transport, 'tokensync_admin_organization_zones', { p_default: defaultZone }, organizationZones),
  };
}

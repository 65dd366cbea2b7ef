/**
 * Reservations as the SDK asks for them: typed calls to tokensync_reserve,
 * tokensync_settle and tokensync_release (20261205000500_budget_reservations.sql),
 * over either transport.
 */
import { z } from 'zod';
import { callFunction, type JsonValue, type SqlFunctionTransport } from './transport.js';
import type { UsageRow } from './usage-store.js';

/** Each entity type a budget applies to, by the request field and the JSON key that name it. */
export const ENTITY_FIELDS = [
  ['organization', 'organizationId', 'organization_id'],
  ['tier', 'tier', 'tier'],
  ['user', 'userId', 'user_id'],
  ['session', 'sessionId', 'session_id'],
  ['service', 'serviceType', 'service_type'],
  ['agent', 'agentId', 'agent_id'],
  ['feature', 'feature', 'feature'],
] as const;

/** The entities a call is counted against; each may be left out. */
export interface BudgetEntities {
  organizationId?: string | null;
  tier?: string | null;
  userId?: string | null;
  sessionId?: string | null;
  serviceType?: string | null;
  agentId?: string | null;
  feature?: string | null;
}

export interface ReservationAsk extends BudgetEntities {
  /** USD, exact to the cent or finer. */
  estimatedCost: number;
  estimatedTokens: number;
  /** The cost is a stand-in (a default, or an unknown model's fallback price). */
  estimated: boolean;
  ttlMs: number;
  at?: Date | string;
}

const amount = z.number().finite();

const decisionResult = z
  .object({
    allowed: z.boolean(),
    reason: z.string(),
    warnings: z.array(z.string()),
    hold_id: z.string().nullable(),
    expires_at: z.string().nullable(),
    remaining_budget: amount.nullable(),
    remaining_tokens: z.number().int().nullable(),
    estimated_cost: amount,
    tokens_needed: z.number().int(),
    upgrade: z.object({ would_allow: z.boolean(), tier: z.string().nullable() }).nullable(),
    organization_id: z.string().nullable(),
    tier: z.string().nullable(),
  })
  .transform((d) => ({
    allowed: d.allowed,
    reason: d.reason,
    warnings: d.warnings,
    hold: d.hold_id && d.expires_at ? { id: d.hold_id, expiresAt: d.expires_at } : null,
    remainingBudget: d.remaining_budget,
    remainingTokens: d.remaining_tokens,
    estimatedCost: d.estimated_cost,
    tokensNeeded: d.tokens_needed,
    upgrade: d.upgrade ? { wouldAllow: d.upgrade.would_allow, tier: d.upgrade.tier } : null,
    organizationId: d.organization_id,
    tier: d.tier,
  }));
export type StoredDecision = z.output<typeof decisionResult>;

const settleResult = z
  .object({ recorded: z.boolean(), duplicate: z.boolean(), hold: z.string(), held: amount.nullable() })
  .transform((s) => ({ recorded: s.recorded, duplicate: s.duplicate, holdFound: s.hold === 'settled', held: s.held }));
export type SettleResult = z.output<typeof settleResult>;

const failClosedResult = z.array(z.object({ entity_type: z.string(), entity_id: z.string() }));

export interface BudgetStore {
  /** Decides, and when allowed leaves a hold for the estimate. */
  reserve(ask: ReservationAsk): Promise<StoredDecision>;
  /** Logs the call and drops its hold, in one transaction. */
  settle(holdId: string, row: UsageRow): Promise<SettleResult>;
  /** Drops a hold; false when it was already gone. */
  release(holdId: string): Promise<boolean>;
  /** Active blocking limits that fail closed, as `entity_type:entity_id`. */
  failClosedLimits(): Promise<Set<string>>;
}

/** A budget question as tokensync_budget_decide reads it (p_request). */
export function budgetRequestJson(
  entities: BudgetEntities,
  estimate: { estimatedCost: number; estimatedTokens?: number | undefined },
): { [key: string]: JsonValue } {
  return {
    ...Object.fromEntries(ENTITY_FIELDS.map(([, field, key]) => [key, entities[field] ?? null])),
    // As text: Postgres reads it as an exact numeric, never through a binary float.
    estimated_cost: String(estimate.estimatedCost),
    estimated_tokens: estimate.estimatedTokens ?? 0,
  };
}

const requestJson = (ask: ReservationAsk): { [key: string]: JsonValue } => ({
  ...budgetRequestJson(ask, ask),
  estimated: ask.estimated,
  ttl_ms: ask.ttlMs,
});

export function createBudgetStore(transport: SqlFunctionTransport, defaults: { timezone: string }): BudgetStore {
  return {
    reserve: (ask) =>
      callFunction(
        transport,
        'tokensync_reserve',
        {
          p_request: requestJson(ask),
          ...(ask.at ? { p_at: ask.at instanceof Date ? ask.at.toISOString() : ask.at } : {}),
          p_timezone: defaults.timezone,
        },
        decisionResult,
      ),
    settle: (holdId, row) =>
      callFunction(
        transport,
        'tokensync_settle',
        { p_hold_id: holdId, p_row: row as unknown as { [key: string]: JsonValue }, p_timezone: defaults.timezone },
        settleResult,
      ),
    release: async (holdId) =>
      (await callFunction(transport, 'tokensync_release', { p_hold_id: holdId }, z.object({ released: z.boolean() }))).released,
    failClosedLimits: async () =>
      new Set(
        (await callFunction(transport, 'tokensync_fail_closed_limits', {}, failClosedResult)).map((l) => `${l.entity_type}:${l.entity_id}`),
      ),
  };
}

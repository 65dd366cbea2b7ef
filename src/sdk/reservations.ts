/**
 * reserve() / settle() / release(): budgets that hold under concurrency.
 *
 * reserve() asks Postgres to decide and, when it allows, to hold the call's
 * estimate until settle() logs the call (and drops the hold in the same
 * transaction), release() cancels it, or the hold expires. The decision is made
 * under per-limit locks in the database, so any number of processes and hosts
 * admit at most a limit plus its grace.
 *
 * An estimate is never missing: a cost given, else the tokens priced like the
 * call will be (at its service tier), else the configured default. When the
 * database cannot answer, the limits decide: a request any fail-closed limit
 * applies to is denied, others follow the configured policy
 * (BUDGET_CHECK_FAIL_MODE). The answer says which.
 */
import type { Logger } from '../logging/logger.js';
import { ENTITY_FIELDS, type BudgetEntities, type BudgetStore, type StoredDecision } from '../supabase/budget-store.js';
import { usdToMicros, microsToUsd } from './money.js';
import { storable } from './usage-event.js';
import { answerWithin, createFailPolicy, type BudgetFailMode } from './fail-policy.js';

/** What a call is expected to cost: dollars, or tokens of a model, or both. */
export interface CallEstimate {
  /** USD; wins over pricing the tokens. */
  costUsd?: number;
  /** Tokens the call will use (quotas count these); default promptTokens + completionTokens. */
  tokens?: number;
  provider?: string;
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  /**
   * The tier the call will be served on ('batch', 'flex', 'priority'…), as the
   * call will report it: the tokens are priced at that tier (absent or null: standard).
   */
  serviceTier?: string | null;
}

export interface ReserveRequest extends BudgetEntities {
  estimate?: CallEstimate;
  /** How long the hold lives if neither settled nor released (default BUDGET_HOLD_TTL_MS). */
  ttlMs?: number;
}

export interface BudgetHold {
  id: string;
  expiresAt: string;
  estimatedCost: number;
  estimatedTokens: number;
}

export interface BudgetDecision {
  allowed: boolean;
  /** Why it was denied, the warnings it was allowed with, or that every limit has room. */
  reason: string;
  warnings: string[];
  /** Present when allowed: pass it to settle() or release(). */
  hold: BudgetHold | null;
  /** The least left to the cap across the limits that apply (grace not counted); null when none applies. */
  remainingBudget: number | null;
  /** The least left of the token quotas that apply; null when none applies. */
  remainingTokens: number | null;
  estimatedCost: number;
  tokensNeeded: number;
  /** given: the caller's cost; priced: its tokens at the model's price; fallback: an unknown model at a stand-in price; default: the configured default. */
  estimate: 'given' | 'priced' | 'fallback' | 'default';
  /** When denied: whether a higher tier would allow it, and which. */
  upgrade: { wouldAllow: boolean; tier: string | null } | null;
  /** database: decided there; fail-open / fail-closed: the database could not answer. */
  source: 'database' | 'fail-open' | 'fail-closed';
}

/** What pricing an estimate gives: a cost in USD, and whether it is a stand-in. */
export type EstimatePricer = (estimate: CallEstimate) => Promise<{ costUsd: number; fallback: boolean } | undefined>;

export interface ReservationSettings {
  defaultCostUsd: number;
  defaultTokens: number;
  holdTtlMs: number;
  failMode: BudgetFailMode;
  timeoutMs: number;
}

export interface Reservations {
  reserve(request: ReserveRequest): Promise<BudgetDecision>;
}

const wholeTokens = (value: number | undefined) => (value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

/** A request the database could not take, said here with the field. */
function refusal(request: ReserveRequest): string | undefined {
  for (const [, field] of ENTITY_FIELDS) {
    const value = request[field];
    if (value != null && (typeof value !== 'string' || !storable(value) || value.length > 255)) {
      return `${field} must be text of at most 255 characters without NUL characters or unpaired surrogates`;
    }
  }
  const estimate = request.estimate ?? {};
  if (estimate.costUsd !== undefined && (!Number.isFinite(estimate.costUsd) || estimate.costUsd < 0)) {
    return `estimate.costUsd must be a finite amount >= 0, got ${estimate.costUsd}`;
  }
  // Checked here: pricing would throw on it, outside the fail policy.
  if (estimate.serviceTier != null && typeof estimate.serviceTier !== 'string') {
    return `estimate.serviceTier must be text, got ${typeof estimate.serviceTier}`;
  }
  for (const field of ['tokens', 'promptTokens', 'completionTokens'] as const) {
    if (estimate[field] !== undefined && wholeTokens(estimate[field]) === undefined) {
      return `estimate.${field} must be a whole number >= 0, got ${estimate[field]}`;
    }
  }
  if (request.ttlMs !== undefined && (!Number.isInteger(request.ttlMs) || request.ttlMs < 1000 || request.ttlMs > 86_400_000)) {
    return `ttlMs must be a whole number of milliseconds between 1000 and 86400000, got ${request.ttlMs}`;
  }
  return undefined;
}

export function createReservations(options: {
  store: BudgetStore;
  price: EstimatePricer;
  logger: Logger;
  settings: ReservationSettings;
}): Reservations {
  const { store, price, logger, settings } = options;
  const policy = createFailPolicy({ read: () => store.failClosedLimits(), fallback: settings.failMode, logger });

  async function estimateOf(estimate: CallEstimate = {}): Promise<{ costUsd: number; tokens: number; kind: BudgetDecision['estimate'] }> {
    const tokens = wholeTokens(estimate.tokens)
      ?? (estimate.promptTokens !== undefined || estimate.completionTokens !== undefined
        ? (estimate.promptTokens ?? 0) + (estimate.completionTokens ?? 0)
        : settings.defaultTokens);
    if (estimate.costUsd !== undefined) return { costUsd: estimate.costUsd, tokens, kind: 'given' };
    const priced = estimate.model && estimate.provider ? await price(estimate) : undefined;
    if (priced) return { costUsd: priced.costUsd, tokens, kind: priced.fallback ? 'fallback' : 'priced' };
    return { costUsd: settings.defaultCostUsd, tokens, kind: 'default' };
  }

  function failed(request: ReserveRequest, error: unknown, estimate: { costUsd: number; tokens: number; kind: BudgetDecision['estimate'] }): BudgetDecision {
    const mode = policy.modeFor(request);
    const problem = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error, failMode: mode, userId: request.userId, agentId: request.agentId }, `budget reservation failed; failing ${mode}`);
    return {
      allowed: mode === 'open',
      reason: `budget reservation failed (${problem}); failing ${mode}`,
      warnings: [],
      hold: null,
      remainingBudget: null,
      remainingTokens: null,
      estimatedCost: estimate.costUsd,
      tokensNeeded: estimate.tokens,
      estimate: estimate.kind,
      upgrade: null,
      source: mode === 'open' ? 'fail-open' : 'fail-closed',
    };
  }

  const fromStore = (stored: StoredDecision, estimate: { tokens: number; kind: BudgetDecision['estimate'] }): BudgetDecision => ({
    allowed: stored.allowed,
    reason: stored.reason,
    warnings: stored.warnings,
    hold: stored.hold
      ? { ...stored.hold, estimatedCost: stored.estimatedCost, estimatedTokens: stored.tokensNeeded }
      : null,
    remainingBudget: stored.remainingBudget,
    remainingTokens: stored.remainingTokens,
    estimatedCost: stored.estimatedCost,
    tokensNeeded: estimate.tokens,
    estimate: estimate.kind,
    upgrade: stored.upgrade,
    source: 'database',
  });

  return {
    async reserve(request) {
      const refused = refusal(request);
      if (refused) {
        // Like a check that could not be asked: the policy decides, and the reason names the field.
        return failed(request, new RangeError(refused), { costUsd: 0, tokens: 0, kind: 'default' });
      }
      const estimate = await estimateOf(request.estimate);
      // Exact to the micro-dollar, as money is everywhere else.
      const costUsd = microsToUsd(usdToMicros(estimate.costUsd) ?? 0);
      policy.refresh();
      try {
        const stored = await answerWithin(
          store.reserve({
            organizationId: request.organizationId ?? null,
            tier: request.tier ?? null,
            userId: request.userId ?? null,
            sessionId: request.sessionId ?? null,
            serviceType: request.serviceType ?? null,
            agentId: request.agentId ?? null,
            feature: request.feature ?? null,
            estimatedCost: costUsd,
            estimatedTokens: estimate.tokens,
            estimated: estimate.kind === 'default' || estimate.kind === 'fallback',
            ttlMs: request.ttlMs ?? settings.holdTtlMs,
          }),
          settings.timeoutMs,
        );
        return fromStore(stored, estimate);
      } catch (error) {
        return failed(request, error, { ...estimate, costUsd });
      }
    },
  };
}

/**
 * checkBudget: may this call go ahead? Asks check_user_budget (every active limit
 * that applies), remembers the answer briefly so that a hot path does not query
 * per call, and when the database cannot answer in time decides by policy: open
 * (allow, the default: a budget outage should not take the product down) or
 * closed (deny). Either way the failure is logged and the verdict says so.
 */
import type { Logger } from '../logging/logger.js';
import { ENTITY_FIELDS } from '../supabase/budget-store.js';
import type { BudgetCheckRequest, SupabaseSource } from '../supabase/source.js';
import { usdToMicros } from './money.js';
import { answerWithin, createFailPolicy, type BudgetFailMode } from './fail-policy.js';
import { storable } from './usage-event.js';

export const DEFAULT_BUDGET_CACHE_TTL_MS = 5_000;
export const DEFAULT_BUDGET_TIMEOUT_MS = 2_000;
/** Distinct questions remembered at once; the cache starts over beyond this. */
const MAX_CACHED_ANSWERS = 10_000;

export type { BudgetFailMode } from './fail-policy.js';

/**
 * check_user_budget's question, at the current time: estimatedCost in USD (e.g.
 * computeCost of an estimate). Without one, the configured default estimate is
 * asked about: an unknown cost is never taken as free.
 */
export type BudgetRequest = Omit<BudgetCheckRequest, 'at' | 'timezone' | 'estimatedCost'> & { estimatedCost?: number | null };

export interface BudgetVerdict {
  allowed: boolean;
  /** Why it was denied, the warnings it was allowed with, that every limit has room, or why the check failed. */
  reason: string | null;
  /** The least that is left across the limits that apply; null when none applies or the check failed. */
  remainingBudget: number | null;
  /** The least left of the token quotas that apply; null when none applies or the check failed. */
  remainingTokens: number | null;
  /** The tokens the question was about (estimatedTokens). */
  tokensNeeded: number;
  /** Alert-only limits past their cap, quotas past a warning percentage. */
  warnings: string[];
  /** When denied by a quota or a tier gate: whether a higher tier would allow it, and which. */
  upgrade: { wouldAllow: boolean; tier: string | null } | null;
  /** database: asked now; cache: asked within the TTL; fail-open / fail-closed: could not ask. */
  source: 'database' | 'cache' | 'fail-open' | 'fail-closed';
}

export interface BudgetCheckerOptions {
  source: Pick<SupabaseSource, 'checkUserBudget'>;
  /** Active blocking limits that fail closed (`entity_type:entity_id`); without it, failMode decides alone. */
  failClosedLimits?: () => Promise<Set<string>>;
  logger: Logger;
  /** How long an answer is reused for the same question (default 5000 ms; 0 disables the cache). */
  cacheTtlMs?: number;
  /** What to answer when the database cannot (default open). */
  failMode?: BudgetFailMode;
  /** How long to wait for the database (default 2000 ms). */
  timeoutMs?: number;
  /** What a question without an estimate asks about (default DEFAULT_ESTIMATE_USD). */
  defaultEstimateUsd?: number;
}

export const DEFAULT_ESTIMATE_USD = 0.1;

export type BudgetChecker = (request: BudgetRequest) => Promise<BudgetVerdict>;

/** The first text field of a request Postgres cannot take as text, if any. */
function unstorableField(request: BudgetRequest): string | undefined {
  return ENTITY_FIELDS.map(([, field]) => field).find((field) => !storable(request[field]));
}

export function createBudgetChecker(options: BudgetCheckerOptions): BudgetChecker {
  const ttlMs = options.cacheTtlMs ?? DEFAULT_BUDGET_CACHE_TTL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BUDGET_TIMEOUT_MS;
  const policy = createFailPolicy({
    ...(options.failClosedLimits ? { read: options.failClosedLimits } : {}),
    fallback: options.failMode ?? 'open',
    logger: options.logger,
  });
  // Promises, so that concurrent identical questions share one query.
  const answers = new Map<string, { at: number; verdict: Promise<BudgetVerdict> }>();

  function failed(request: BudgetRequest, error: unknown): BudgetVerdict {
    const failMode: BudgetFailMode = policy.modeFor(request);
    const problem = error instanceof Error ? error.message : String(error);
    options.logger.warn(
      { err: error, failMode, userId: request.userId, serviceType: request.serviceType },
      `budget check failed; failing ${failMode}`,
    );
    return {
      allowed: failMode === 'open',
      reason: `budget check failed (${problem}); failing ${failMode}`,
      remainingBudget: null,
      remainingTokens: null,
      tokensNeeded: request.estimatedTokens ?? 0,
      warnings: [],
      upgrade: null,
      source: failMode === 'open' ? 'fail-open' : 'fail-closed',
    };
  }

  async function ask(request: BudgetRequest & { estimatedCost: number }): Promise<BudgetVerdict> {
    const decision = await answerWithin(
      options.source.checkUserBudget({ ...request, organizationId: request.organizationId ?? null, tier: request.tier ?? null }),
      timeoutMs,
    );
    return { ...decision, source: 'database' };
  }

  return async (asked) => {
    const request = { ...asked, estimatedCost: asked.estimatedCost ?? options.defaultEstimateUsd ?? DEFAULT_ESTIMATE_USD };
    const estimate = Number.isFinite(request.estimatedCost) && request.estimatedCost >= 0 ? usdToMicros(request.estimatedCost) : undefined;
    if (estimate === undefined) {
      return failed(request, new RangeError(`estimatedCost must be a finite amount >= 0, got ${request.estimatedCost}`));
    }
    const unstorable = unstorableField(request);
    if (unstorable) {
      // Postgres would refuse the question; said here, with the field, instead of as a database error.
      return failed(request, new RangeError(`${unstorable} must not contain NUL characters or unpaired surrogates`));
    }
    const key = JSON.stringify([
      request.userId, request.sessionId, request.serviceType, request.organizationId ?? null, request.tier ?? null,
      request.agentId ?? null, request.feature ?? null, request.estimatedTokens ?? 0, estimate,
    ]);
    const now = performance.now();
    const cached = answers.get(key);
    if (cached && now - cached.at < ttlMs) {
      const verdict = await cached.verdict;
      return verdict.source === 'database' ? { ...verdict, source: 'cache' } : verdict;
    }

    policy.refresh();
    const verdict: Promise<BudgetVerdict> = ask(request).catch((error: unknown) => {
      // A failure is not an answer to remember: the next call asks again.
      if (answers.get(key)?.verdict === verdict) answers.delete(key);
      return failed(request, error);
    });
    if (ttlMs > 0) {
      if (answers.size >= MAX_CACHED_ANSWERS) answers.clear();
      answers.set(key, { at: now, verdict });
    }
    return verdict;
  };
}

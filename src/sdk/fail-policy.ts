/**
 * What a budget question answers when the database cannot: each limit says
 * (budget_limits.fail_mode), and the configured policy covers the rest. The
 * list of fail-closed limits is read while the database answers, so that it is
 * known when it does not.
 */
import type { Logger } from '../logging/logger.js';
import { ENTITY_FIELDS, type BudgetEntities } from '../supabase/budget-store.js';

export type BudgetFailMode = 'open' | 'closed';

/** How long the list of fail-closed limits is trusted before it is read again. */
const REFRESH_MS = 60_000;

export interface FailPolicy {
  /** Reads the list again when it is older than a minute; never waits, never throws. */
  refresh(): void;
  /** closed when a fail-closed limit applies to these entities, else the configured mode. */
  modeFor(entities: BudgetEntities): BudgetFailMode;
}

export function createFailPolicy(options: {
  read?: () => Promise<Set<string>>;
  fallback: BudgetFailMode;
  logger: Logger;
}): FailPolicy {
  let known: { at: number; keys: Set<string> } | undefined;
  return {
    refresh() {
      const { read } = options;
      if (!read || (known && performance.now() - known.at < REFRESH_MS)) return;
      const at = performance.now();
      known = { at, keys: known?.keys ?? new Set() };
      read().then(
        (keys) => (known = { at, keys }),
        (error: unknown) => options.logger.debug({ err: error }, 'could not read which budget limits fail closed'),
      );
    },
    modeFor(entities) {
      const closed = ENTITY_FIELDS.some(([type, field]) => entities[field] != null && known?.keys.has(`${type}:${entities[field]}`));
      return closed ? 'closed' : options.fallback;
    },
  };
}

/** A budget question the database did not answer in time: decided by the policy like any failure. */
export class BudgetAnswerTimeout extends Error {}

export function answerWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetAnswerTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * checkBudget() without a tracker: one shared checker over the configured
 * database (DATABASE_URL or the Supabase pair), opened on first use with the
 * BUDGET_CHECK_* policy. Its connections do not keep the process alive.
 */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../logging/logger.js';
import { createBudgetStore } from '../supabase/budget-store.js';
import { createSupabaseSource, openTransport, type SupabaseSource } from '../supabase/source.js';
import { createBudgetChecker, type BudgetChecker, type BudgetRequest, type BudgetVerdict } from './budget.js';

let shared: { check: BudgetChecker; source: SupabaseSource } | undefined;

function open(): { check: BudgetChecker; source: SupabaseSource } {
  const config = loadConfig();
  const transport = openTransport(config, { allowExitOnIdle: true });
  const source = createSupabaseSource(transport, { timezone: config.reportTimezone });
  const budgets = createBudgetStore(transport, { timezone: config.reportTimezone });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'tokensync-sdk' });
  return {
    check: createBudgetChecker({ source, logger, failClosedLimits: () => budgets.failClosedLimits(), ...config.budgetCheck }),
    source,
  };
}

/**
 * Would a call costing `estimatedCost` (USD) stay within every active budget
 * limit that applies? Answers are reused for BUDGET_CHECK_CACHE_TTL_MS; when the
 * database cannot answer, BUDGET_CHECK_FAIL_MODE decides (default open).
 * Rejects with ConfigError only when no database is configured at all.
 */
export async function checkBudget(request: BudgetRequest): Promise<BudgetVerdict> {
  shared ??= open();
  return shared.check(request);
}

/** Closes the shared checker's connections (tests, or a clean shutdown). */
export async function closeBudgetChecks(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.source.close();
}

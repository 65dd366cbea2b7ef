/**
 * What the routes call: the SDK's tracker (checkBudget, reserve, settle: the
 * same code an application runs in-process), the budget store it uses (release,
 * which the tracker would swallow), and budget administration, all over one
 * transport, so the API holds one pool.
 */
import type { Config } from '../config/env.js';
import type { Logger } from '../logging/logger.js';
import { createTracker, type Tracker } from '../sdk/tracker.js';
import { createBudgetAdmin, type BudgetAdmin } from '../supabase/budget-admin.js';
import { createBudgetStore, type BudgetStore } from '../supabase/budget-store.js';
import type { SqlFunctionTransport } from '../supabase/transport.js';
import { answerWithin } from '../sdk/fail-policy.js';
import { createPriceBook, type PriceBook } from '../sdk/pricing/price-book.js';
import type { FallbackModels } from '../config/env.js';
import { createUsageReads, type UsageReads } from '../supabase/usage-reads.js';
import { createUsageStore } from '../supabase/usage-store.js';

/** How long /readyz waits for the database. */
const READY_TIMEOUT_MS = 2_000;

export interface ApiServices {
  tracker: Tracker;
  budgets: BudgetStore;
  admin: BudgetAdmin;
  /** The usage reads (SQL functions), in REPORT_TIMEZONE by default. */
  usage: UsageReads;
  /** model_pricing overrides, as the SDK prices with them. */
  prices: PriceBook;
  fallbackModels: FallbackModels;
  /** The problems that keep the API from answering; empty when ready. */
  readiness(): Promise<string[]>;
  /** Writes what settles left buffered, then closes the transport. */
  close(): Promise<void>;
}

export function createApiServices(options: { config: Config; logger: Logger; transport: SqlFunctionTransport }): ApiServices {
  const { config, logger, transport } = options;
  const tracker = createTracker({ config, logger, transport });
  return {
    tracker,
    budgets: createBudgetStore(transport, { timezone: config.reportTimezone }),
    admin: createBudgetAdmin(transport),
    usage: createUsageReads(transport, { timezone: config.reportTimezone }),
    prices: createPriceBook({ load: createUsageStore(transport).modelPricing, logger }),
    fallbackModels: config.pricing.fallbackModels,
    async readiness() {
      try {
        await answerWithin(transport.call('tokensync_schema_status', {}), READY_TIMEOUT_MS);
        return [];
      } catch (error) {
        // The details (which may name hosts) go to the log, not to whoever asks.
        logger.warn({ err: error }, 'readiness: the database did not answer');
        return ['database: no answer (see the log)'];
      }
    },
    async close() {
      await tracker.close();
    },
  };
}

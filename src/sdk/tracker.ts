/**
 * createTracker: what application code uses to log its LLM calls.
 *
 * record() checks a call and buffers it, and returns at once; a writer prices
 * the buffered calls (model_pricing overrides, then the catalogue; a model neither
 * knows at a conservative fallback, flagged cost_estimated) and writes them in
 * batches through tokensync_record_usage, over whichever transport is configured.
 * Nothing it does throws into the application: refused, dropped and failed
 * records are logged, counted, and reported by flush() and close().
 */
import { loadConfig, type Config, type FallbackModels } from '../config/env.js';
import { ConfigError, DatabaseError } from '../errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createPostgresTransport } from '../supabase/postgres-transport.js';
import { createRpcTransport } from '../supabase/rpc-transport.js';
import { createSupabaseSource, openTransport } from '../supabase/source.js';
import type { SqlFunctionTransport } from '../supabase/transport.js';
import { createBudgetStore, type BudgetStore } from '../supabase/budget-store.js';
import { createUsageStore, type UsageStore } from '../supabase/usage-store.js';
import { BatchWriter } from './batch-writer.js';
import { createBudgetChecker, type BudgetFailMode, type BudgetRequest, type BudgetVerdict } from './budget.js';
import { computeCost, type CostResult } from './pricing/compute.js';
import { createPriceBook, DEFAULT_PRICING_REFRESH_MS, type PriceBook } from './pricing/price-book.js';
import { UsageReport, type FlushReport, type TrackerStats } from './report.js';
import { createReservations, type BudgetDecision, type BudgetHold, type CallEstimate, type ReserveRequest } from './reservations.js';
import { checkUsageEvent, hasGivenCost, toUsageRow, type UsageEvent, type ValidUsageEvent } from './usage-event.js';

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_BUFFERED_RECORDS = 50_000;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 250;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
export const DEFAULT_FLUSH_TIMEOUT_MS = 30_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** tokensync_record_usage takes at most this many rows per call. */
const MAX_BATCH_SIZE = 10_000;

export interface TrackerOptions {
  /** Direct Postgres (postgres://…). Default: the configuration (DATABASE_URL, or the Supabase pair). */
  databaseUrl?: string;
  /** Supabase API: the project URL and its service_role key. */
  supabaseUrl?: string;
  supabaseKey?: string;
  /** For the Supabase API: replaces global fetch. */
  fetch?: typeof fetch;
  /** A transport already open (a service sharing one pool); close() closes it. Wins over the connection options. */
  transport?: SqlFunctionTransport;
  /** Default: loadConfig() (the environment, .env.local, .env). */
  config?: Config;
  /** Default: a pino logger at the configured level. */
  logger?: Logger;
  /** Rows per write (default 500, at most 10000). */
  batchSize?: number;
  /** A partial batch is written after at most this long (default 1000 ms). */
  flushIntervalMs?: number;
  /** Records held while the database is unreachable; beyond this they are dropped (default 50000). */
  maxBufferedRecords?: number;
  /** First retry delay after a failed write (default 250 ms); doubles up to retryMaxDelayMs (default 30000 ms). */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  /** How long model_pricing overrides are reused before they are read again (default 5 minutes). */
  pricingRefreshMs?: number;
  /** checkBudget and reserve policy; defaults from BUDGET_CHECK_* and BUDGET_* variables. */
  budget?: {
    cacheTtlMs?: number;
    failMode?: BudgetFailMode;
    timeoutMs?: number;
    /** What a reservation without a usable estimate holds (default BUDGET_DEFAULT_ESTIMATE_USD / _TOKENS). */
    defaultEstimateUsd?: number;
    defaultEstimateTokens?: number;
    /** How long an unsettled hold lives (default BUDGET_HOLD_TTL_MS). */
    holdTtlMs?: number;
  };
}

export type Refusal = { accepted: false; reason: string };
/** What settle() and release() need of a hold: its id (a BudgetHold will do). */
export type HoldRef = Pick<BudgetHold, 'id'>;
export type RecordOutcome = { accepted: true } | Refusal;

/**
 * What settle() did with the call: logged with its hold dropped (settled), logged
 * though its hold had expired or been released (unheld), left to the buffer
 * because the database could not take it now (buffered; written later, the hold
 * expires), or refused as record() refuses.
 */
export type SettleOutcome =
  | { accepted: true; via: 'settled' | 'unheld' | 'duplicate' | 'buffered' }
  | Refusal;

/** A guarded call: denied before it ran, or run and settled. */
export type GuardedCall<T> =
  | { allowed: false; decision: BudgetDecision }
  | { allowed: true; decision: BudgetDecision; result: T; settled: SettleOutcome };

export interface Tracker {
  /** Checks and buffers one call; returns at once and never throws. */
  record(event: UsageEvent): RecordOutcome;
  /** Writes what was recorded before the call (waiting at most timeoutMs, default 30 s) and reports since the last report. */
  flush(options?: { timeoutMs?: number }): Promise<FlushReport>;
  /** Stops accepting records, flushes (at most timeoutMs, default 10 s), drops the rest, closes connections. */
  close(options?: { timeoutMs?: number }): Promise<FlushReport>;
  /** check_user_budget with the tracker's connection; see checkBudget. Read-only: it holds nothing. */
  checkBudget(request: BudgetRequest): Promise<BudgetVerdict>;
  /** Decides against every limit and quota that applies and, when allowed, holds the estimate. */
  reserve(request: ReserveRequest): Promise<BudgetDecision>;
  /** Logs the call the hold was for and drops the hold in one transaction; never throws. */
  settle(hold: HoldRef | null, event: UsageEvent): Promise<SettleOutcome>;
  /** Cancels a hold (the call did not happen); never throws. */
  release(hold: HoldRef | null): Promise<void>;
  /**
   * reserve(), then call() when allowed; settles with usage(result), or releases
   * when call() throws (and rethrows). usage is where an adapter goes, e.g.
   * (r) => fromOpenAIChatCompletion(r, context).
   */
  guard<T>(request: ReserveRequest, call: (decision: BudgetDecision) => Promise<T>, usage: (result: T) => UsageEvent): Promise<GuardedCall<T>>;
  stats(): TrackerStats;
}

function chooseTransport(options: TrackerOptions, config: Config): SqlFunctionTransport {
  if (options.transport) return options.transport;
  if (options.databaseUrl) {
    return createPostgresTransport({ databaseUrl: options.databaseUrl, allowExitOnIdle: true, applicationName: 'tokensync-sdk' });
  }
  if (options.supabaseUrl || options.supabaseKey) {
    if (!options.supabaseUrl || !options.supabaseKey) {
      throw new ConfigError([{ variable: options.supabaseUrl ? 'supabaseKey' : 'supabaseUrl', problem: 'is required with the other' }]);
    }
    return createRpcTransport({
      supabaseUrl: options.supabaseUrl,
      serviceRoleKey: options.supabaseKey,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }
  return openTransport(config, { allowExitOnIdle: true, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

/** Constraint violations and bad values are about the rows; anything else (connection, auth, a missing migration) is retried. */
function isRowProblem(error: unknown): boolean {
  return error instanceof DatabaseError && !error.retryable && /^2[23]/.test(error.sqlState ?? '');
}

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1 || chosen > max) {
    throw new ConfigError([{ variable: name, problem: `must be a whole number between 1 and ${max}, got ${chosen}` }]);
  }
  return chosen;
}

async function costOf(prices: PriceBook, fallbackModels: FallbackModels, event: ValidUsageEvent): Promise<CostResult | 'given'> {
  if (hasGivenCost(event)) return 'given';
  return computeCost(event, { at: new Date(event.createdAt), overrides: await prices.current(), fallbackModels });
}

async function priceAndWrite(store: UsageStore, prices: PriceBook, fallbackModels: FallbackModels, batch: readonly ValidUsageEvent[]) {
  const rows = await Promise.all(batch.map(async (event) => toUsageRow(event, await costOf(prices, fallbackModels, event))));
  return store.recordUsage(rows);
}

/** An estimate's tokens at the model's price and tier, as the call will be priced (an unknown model at its fallback). */
function estimatePricer(prices: PriceBook, fallbackModels: FallbackModels) {
  return async (estimate: CallEstimate) => {
    const cost = computeCost(
      {
        provider: estimate.provider!,
        model: estimate.model!,
        promptTokens: estimate.promptTokens ?? 0,
        completionTokens: estimate.completionTokens ?? 0,
        serviceTier: estimate.serviceTier ?? null,
      },
      { overrides: await prices.current(), fallbackModels },
    );
    return cost.known ? { costUsd: cost.totalCost, fallback: cost.estimate !== null } : undefined;
  };
}

/**
 * A tracker writing to `databaseUrl`, or to the Supabase API (`supabaseUrl` +
 * `supabaseKey`), or where the configuration points. Throws ConfigError here,
 * at start, when no database is configured or an option is out of range.
 */
export function createTracker(options: TrackerOptions = {}): Tracker {
  const config = options.config ?? loadConfig();
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'tokensync-sdk' });
  const batchSize = positive('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE);
  const writerSettings = {
    batchSize,
    flushIntervalMs: positive('flushIntervalMs', options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS),
    maxBuffered: positive('maxBufferedRecords', options.maxBufferedRecords, DEFAULT_MAX_BUFFERED_RECORDS),
    retryInitialDelayMs: positive('retryInitialDelayMs', options.retryInitialDelayMs, DEFAULT_RETRY_INITIAL_DELAY_MS),
    retryMaxDelayMs: positive('retryMaxDelayMs', options.retryMaxDelayMs, DEFAULT_RETRY_MAX_DELAY_MS),
  };

  const transport = chooseTransport(options, config);
  const store = createUsageStore(transport);
  const prices = createPriceBook({ load: store.modelPricing, refreshMs: options.pricingRefreshMs ?? DEFAULT_PRICING_REFRESH_MS, logger });
  const report = new UsageReport();
  const writer = new BatchWriter<ValidUsageEvent>({
    ...writerSettings,
    write: (batch) => priceAndWrite(store, prices, config.pricing.fallbackModels, batch),
    isRowProblem,
    idOf: (event) => event.requestId,
    report,
    logger,
  });
  const budgetSettings = options.budget ?? {};
  const budgetStore = createBudgetStore(transport, { timezone: config.reportTimezone });
  const checkBudget = createBudgetChecker({
    source: createSupabaseSource(transport, { timezone: config.reportTimezone }),
    failClosedLimits: () => budgetStore.failClosedLimits(),
    defaultEstimateUsd: budgetSettings.defaultEstimateUsd ?? config.budgetCheck.defaultEstimateUsd,
    logger,
    cacheTtlMs: budgetSettings.cacheTtlMs ?? config.budgetCheck.cacheTtlMs,
    failMode: budgetSettings.failMode ?? config.budgetCheck.failMode,
    timeoutMs: budgetSettings.timeoutMs ?? config.budgetCheck.timeoutMs,
  });
  const reservations = createReservations({
    store: budgetStore,
    price: estimatePricer(prices, config.pricing.fallbackModels),
    logger,
    settings: {
      defaultCostUsd: budgetSettings.defaultEstimateUsd ?? config.budgetCheck.defaultEstimateUsd,
      defaultTokens: budgetSettings.defaultEstimateTokens ?? config.budgetCheck.defaultEstimateTokens,
      holdTtlMs: budgetSettings.holdTtlMs ?? config.budgetCheck.holdTtlMs,
      failMode: budgetSettings.failMode ?? config.budgetCheck.failMode,
      timeoutMs: budgetSettings.timeoutMs ?? config.budgetCheck.timeoutMs,
    },
  });
  let closing: Promise<FlushReport> | undefined;

  async function release(hold: HoldRef | null): Promise<void> {
    if (!hold) return;
    // A release that fails costs nothing lasting: the hold expires by itself.
    await budgetStore.release(hold.id).catch((error: unknown) => logger.warn({ err: error, holdId: hold.id }, 'could not release a budget hold; it expires by itself'));
  }

  async function settle(hold: HoldRef | null, event: UsageEvent): Promise<SettleOutcome> {
    const checked = checkUsageEvent(event);
    if (!checked.ok || closing || !hold) {
      // Nothing to settle against (failed open, or refused): record() says what becomes of it.
      const outcome = tracker.record(event);
      if (!outcome.accepted) await release(hold);
      return outcome.accepted ? { accepted: true, via: 'buffered' } : outcome;
    }
    try {
      const row = toUsageRow(checked.event, await costOf(prices, config.pricing.fallbackModels, checked.event));
      const settled = await budgetStore.settle(hold.id, row);
      report.recorded += 1;
      report.written(settled.recorded ? 1 : 0, settled.duplicate ? 1 : 0);
      return { accepted: true, via: settled.duplicate ? 'duplicate' : settled.holdFound ? 'settled' : 'unheld' };
    } catch (error) {
      if (isRowProblem(error)) {
        await release(hold);
        return refuse(event, (error as Error).message);
      }
      // The call happened: it is written later with the other records; its hold expires meanwhile.
      logger.warn({ err: error, requestId: checked.event.requestId, holdId: hold.id }, 'could not settle a budget hold; the call is buffered instead');
      const outcome = tracker.record(event);
      return outcome.accepted ? { accepted: true, via: 'buffered' } : outcome;
    }
  }

  function refuse(event: unknown, reason: string): Refusal {
    const requestId = typeof (event as { requestId?: unknown })?.requestId === 'string' ? (event as { requestId: string }).requestId : null;
    report.rejected({ requestId, reason });
    logger.warn({ requestId, reason }, 'usage record refused');
    return { accepted: false, reason };
  }

  const tracker: Tracker = {
    record(event) {
      try {
        if (closing) return refuse(event, 'the tracker is closed');
        const checked = checkUsageEvent(event);
        if (!checked.ok) return refuse(event, checked.reason);
        if (!writer.add(checked.event)) {
          report.dropped(1);
          const reason = `buffer full (${writerSettings.maxBuffered} records waiting to be written)`;
          logger.warn({ requestId: checked.event.requestId, pending: writer.pending }, 'usage record dropped: buffer full');
          return { accepted: false, reason };
        }
        report.recorded += 1;
        return { accepted: true };
      } catch (error) {
        // Defensive: whatever the input, the application's call goes on.
        return refuse(event, `unexpected error: ${(error as Error).message}`);
      }
    },

    async flush(flushOptions = {}) {
      await writer.flush(flushOptions.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS);
      return report.take(writer.pending);
    },

    close(closeOptions = {}) {
      closing ??= (async () => {
        await writer.flush(closeOptions.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
        const lost = writer.stop();
        if (lost > 0) {
          report.dropped(lost);
          logger.error({ dropped: lost }, 'tracker closed before every usage record could be written');
        }
        await transport.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the database connection failed'));
        return report.take(0);
      })();
      return closing;
    },

    checkBudget: (request) => checkBudget(request),

    reserve: (request) => reservations.reserve(request),
    settle,
    release,

    async guard(request, call, usage) {
      const decision = await reservations.reserve(request);
      if (!decision.allowed) return { allowed: false, decision };
      let result;
      let event;
      try {
        result = await call(decision);
        // An adapter that cannot read the result leaves nothing to settle: the hold goes too.
        event = usage(result);
      } catch (error) {
        await release(decision.hold);
        throw error;
      }
      return { allowed: true, decision, result, settled: await settle(decision.hold, event) };
    },

    stats: () => report.stats(writer.pending),
  };
  return tracker;
}

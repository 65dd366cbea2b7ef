/**
 * Re-costing past rows after a price change (a model_pricing row added late, a
 * catalogue update): reads rows in (created_at, id) keyset pages, prices each as
 * of its own created_at, and writes the costs that differ. Rows whose costs the
 * caller gave (metadata.pricing.source = 'given') are the caller's numbers and
 * are left alone. Sums are exact (atto-dollars), rounded to micro-dollars only
 * for the summary's display figures.
 *
 * Estimated costs (a model with no price, counted at a fallback) are replaced
 * once the model has a price, and the flag is cleared; a model still unknown
 * stays estimated at the fallback price of today's configuration. Rows whose
 * tokens were estimated from text (metadata.usage_estimated) keep the flag.
 */
import type { FallbackModels } from '../config/env.js';
import type { CostUpdate, CreatedCursor, RecostRow, UsageStore } from '../supabase/usage-store.js';
import { formatExact, microsFromExact, parseExactUsd, type Exact } from './money.js';
import { computeCost } from './pricing/compute.js';
import type { PriceOverride } from './pricing/overrides.js';
import { isEstimated, pricingNote } from './usage-event.js';

export const DEFAULT_RECOST_BATCH_SIZE = 1000;

export interface RecostOptions {
  store: UsageStore;
  overrides: readonly PriceOverride[];
  /** PRICING_FALLBACK_MODELS: what a model still unknown is estimated at (default: its provider's dearest). */
  fallbackModels?: FallbackModels;
  /** Rows created at or after this instant. */
  from: string;
  /** …and before this one (default: no end). */
  to?: string | undefined;
  /** Only this model (exact). */
  model?: string | undefined;
  /** Compute and summarise; write nothing. */
  dryRun: boolean;
  batchSize?: number;
  onProgress?: (progress: RecostTotals) => void;
}

export interface RecostTotals {
  /** Rows read. */
  scanned: number;
  /** Rows whose costs differ (written, or would be in a dry run). */
  changed: number;
  unchanged: number;
  /** Rows with caller-given costs, left as they are. */
  skippedGiven: number;
  /** Rows without a price after re-costing (their costs are now null). */
  unknownAfter: number;
  /** Rows estimated before (a fallback price) that now have their model's own price. */
  estimatesReplaced: number;
  /** Rows still on a fallback price after re-costing: their model has no price yet. */
  estimatedAfter: number;
  /** Sums of total_cost over the rows read (unknown counts as 0), before and after: exact decimal USD. */
  totalBeforeUsd: string;
  totalAfterUsd: string;
  /** The same sums rounded to micro-dollars, for display. */
  totalBeforeMicros: number;
  totalAfterMicros: number;
}

export interface RecostSummary extends RecostTotals {
  /** Per model, ordered by the size of the difference. */
  byModel: { model: string; rows: number; changed: number; beforeMicros: number; afterMicros: number }[];
}

interface Repriced {
  update: CostUpdate;
  changed: boolean;
  before: Exact;
  after: Exact;
  unknown: boolean;
  /** Priced at a fallback: the model still has no price. */
  fallback: boolean;
  /** Flagged for tokens estimated from text, whatever the price. */
  usageEstimated: boolean;
}

function reprice(row: RecostRow, options: Pick<RecostOptions, 'overrides' | 'fallbackModels'>): Repriced {
  const cost = computeCost(row, { at: new Date(row.createdAt), overrides: options.overrides, fallbackModels: options.fallbackModels ?? {} });
  // Tokens estimated from text stay estimated whatever the price.
  const usageEstimated = row.usageEstimated;
  const fallback = isEstimated(cost);
  const estimated = fallback || (cost.known && usageEstimated);
  const before = [row.inputCost, row.outputCost, row.totalCost].map(parseExactUsd);
  const after = cost.known ? [cost.exact.input, cost.exact.output, cost.exact.total] : [null, null, null];
  return {
    update: {
      id: row.id,
      input_cost: cost.known ? cost.inputUsd : null,
      output_cost: cost.known ? cost.outputUsd : null,
      total_cost: cost.known ? cost.totalUsd : null,
      cost_estimated: estimated,
      pricing: pricingNote(cost),
    },
    // An estimate replaced by the same amount is still a change: the flag must clear.
    changed: before.some((value, i) => value !== after[i]) || row.costEstimated !== estimated,
    before: before[2] ?? 0n,
    after: after[2] ?? 0n,
    unknown: !cost.known,
    fallback,
    usageEstimated: cost.known && usageEstimated,
  };
}

type Counts = Omit<RecostTotals, 'totalBeforeUsd' | 'totalAfterUsd' | 'totalBeforeMicros' | 'totalAfterMicros'>;
interface ModelSums { model: string; rows: number; changed: number; before: Exact; after: Exact }

/** The exact sums, and their display rounding. */
function withSums(counts: Counts, before: Exact, after: Exact): RecostTotals {
  return {
    ...counts,
    totalBeforeUsd: formatExact(before),
    totalAfterUsd: formatExact(after),
    totalBeforeMicros: microsFromExact(before),
    totalAfterMicros: microsFromExact(after),
  };
}

export async function recost(options: RecostOptions): Promise<RecostSummary> {
  const totals: Counts = { scanned: 0, changed: 0, unchanged: 0, skippedGiven: 0, unknownAfter: 0, estimatesReplaced: 0, estimatedAfter: 0 };
  let totalBefore = 0n;
  let totalAfter = 0n;
  const byModel = new Map<string, ModelSums>();
  let cursor: CreatedCursor | null = null;
  for (;;) {
    const page = await options.store.usageToRecost({
      from: options.from,
      to: options.to,
      model: options.model,
      after: cursor,
      limit: options.batchSize ?? DEFAULT_RECOST_BATCH_SIZE,
    });
    const updates: CostUpdate[] = [];
    for (const row of page.rows) {
      totals.scanned += 1;
      const model = byModel.get(row.model) ?? { model: row.model, rows: 0, changed: 0, before: 0n, after: 0n };
      byModel.set(row.model, model);
      model.rows += 1;
      const sum = (before: Exact, after: Exact) => {
        totalBefore += before;
        totalAfter += after;
        model.before += before;
        model.after += after;
      };
      if (row.pricingSource === 'given') {
        const given = parseExactUsd(row.totalCost) ?? 0n;
        sum(given, given);
        totals.skippedGiven += 1;
        continue;
      }
      const result = reprice(row, options);
      sum(result.before, result.after);
      if (result.unknown) totals.unknownAfter += 1;
      if (result.fallback) totals.estimatedAfter += 1;
      else if (row.costEstimated && !result.unknown && !result.usageEstimated) totals.estimatesReplaced += 1;
      if (result.changed) {
        totals.changed += 1;
        model.changed += 1;
        updates.push(result.update);
      } else {
        totals.unchanged += 1;
      }
    }
    if (updates.length > 0 && !options.dryRun) await options.store.applyCosts(updates);
    options.onProgress?.(withSums(totals, totalBefore, totalAfter));
    const last = page.rows.at(-1);
    if (!page.hasMore || !last) break;
    cursor = { createdAt: last.createdAt, id: last.id };
  }
  const moved = (m: ModelSums) => (m.after > m.before ? m.after - m.before : m.before - m.after);
  const ordered = [...byModel.values()]
    .sort((a, b) => (moved(b) > moved(a) ? 1 : moved(b) < moved(a) ? -1 : a.model.localeCompare(b.model)))
    .map(({ before, after, ...m }) => ({ ...m, beforeMicros: microsFromExact(before), afterMicros: microsFromExact(after) }));
  return { ...withSums(totals, totalBefore, totalAfter), byModel: ordered };
}

/**
 * Re-costing past rows after a price change (a model_pricing row added late, a
 * catalogue update): reads rows in (created_at, id) keyset pages, prices each as
 * of its own created_at, and writes the costs that differ. Rows whose costs the
 * caller gave (metadata.pricing.source = 'given') are the caller's numbers and
 * are left alone. Sums are exact micro-dollars.
 *
 * Estimated costs (a model with no price, counted at a fallback) are replaced
 * once the model has a price, and the flag is cleared; a model still unknown
 * stays estimated at the fallback price of today's configuration. Rows whose
 * tokens were estimated from text (metadata.usage_estimated) keep the flag.
 */
import type { FallbackModels } from '../config/env.js';
import type { CostUpdate, CreatedCursor, RecostRow, UsageStore } from '../supabase/usage-store.js';
import { formatMicros, parseUsdText } from './money.js';
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
  /** Sums of total_cost over the rows read (unknown counts as 0), before and after. */
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
  beforeMicros: number;
  afterMicros: number;
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
  const before = [row.inputCost, row.outputCost, row.totalCost].map(parseUsdText);
  const after = cost.known ? [cost.inputMicros, cost.outputMicros, cost.totalMicros] : [null, null, null];
  return {
    update: {
      id: row.id,
      input_cost: cost.known ? formatMicros(cost.inputMicros) : null,
      output_cost: cost.known ? formatMicros(cost.outputMicros) : null,
      total_cost: cost.known ? formatMicros(cost.totalMicros) : null,
      cost_estimated: estimated,
      pricing: pricingNote(cost),
    },
    // An estimate replaced by the same amount is still a change: the flag must clear.
    changed: before.some((value, i) => value !== after[i]) || row.costEstimated !== estimated,
    beforeMicros: before[2] ?? 0,
    afterMicros: after[2] ?? 0,
    unknown: !cost.known,
    fallback,
    usageEstimated: cost.known && usageEstimated,
  };
}

export async function recost(options: RecostOptions): Promise<RecostSummary> {
  const totals: RecostTotals = {
    scanned: 0, changed: 0, unchanged: 0, skippedGiven: 0, unknownAfter: 0, estimatesReplaced: 0, estimatedAfter: 0,
    totalBeforeMicros: 0, totalAfterMicros: 0,
  };
  const byModel = new Map<string, RecostSummary['byModel'][number]>();
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
      const model = byModel.get(row.model) ?? { model: row.model, rows: 0, changed: 0, beforeMicros: 0, afterMicros: 0 };
      byModel.set(row.model, model);
      model.rows += 1;
      const sum = (before: number, after: number) => {
        totals.totalBeforeMicros += before;
        totals.totalAfterMicros += after;
        model.beforeMicros += before;
        model.afterMicros += after;
      };
      if (row.pricingSource === 'given') {
        const given = parseUsdText(row.totalCost) ?? 0;
        sum(given, given);
        totals.skippedGiven += 1;
        continue;
      }
      const result = reprice(row, options);
      sum(result.beforeMicros, result.afterMicros);
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
    options.onProgress?.({ ...totals });
    const last = page.rows.at(-1);
    if (!page.hasMore || !last) break;
    cursor = { createdAt: last.createdAt, id: last.id };
  }
  const ordered = [...byModel.values()].sort(
    (a, b) => Math.abs(b.afterMicros - b.beforeMicros) - Math.abs(a.afterMicros - a.beforeMicros) || a.model.localeCompare(b.model),
  );
  return { ...totals, byModel: ordered };
}

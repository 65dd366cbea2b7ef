/**
 * Price overrides from the model_pricing table: a row replaces the catalogue's
 * price of one provider's model from its effective_from on, until a later row.
 */
import { z } from 'zod';
import { parseRate } from '../money.js';
import type { PriceSheet, Rates } from './price-sheet.js';

/** Rates as decimal text (exact), USD per million tokens. */
const rateText = z.string().refine((v) => parseRate(v) !== undefined, 'must be a non-negative decimal');
const optionalRate = rateText.nullable().optional().transform((v) => v ?? null);

/** One model_pricing row, as tokensync_model_pricing() returns it. */
export const priceOverrideRow = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    effective_from: z.string().min(1),
    input_per_mtok: rateText,
    output_per_mtok: rateText,
    cache_read_per_mtok: optionalRate,
    cache_write_per_mtok: optionalRate,
    reasoning_per_mtok: optionalRate,
    long_context_threshold_tokens: z.number().int().positive().nullable().optional().transform((v) => v ?? null),
    long_context_input_per_mtok: optionalRate,
    long_context_output_per_mtok: optionalRate,
    long_context_cache_read_per_mtok: optionalRate,
    long_context_cache_write_per_mtok: optionalRate,
    long_context_reasoning_per_mtok: optionalRate,
  })
  .transform((row): PriceOverride => ({
    provider: row.provider,
    model: row.model,
    effectiveFrom: row.effective_from,
    inputPerMtok: row.input_per_mtok,
    outputPerMtok: row.output_per_mtok,
    cacheReadPerMtok: row.cache_read_per_mtok,
    cacheWritePerMtok: row.cache_write_per_mtok,
    reasoningPerMtok: row.reasoning_per_mtok,
    longContext:
      row.long_context_threshold_tokens !== null && row.long_context_input_per_mtok && row.long_context_output_per_mtok
        ? {
            aboveInputTokens: row.long_context_threshold_tokens,
            inputPerMtok: row.long_context_input_per_mtok,
            outputPerMtok: row.long_context_output_per_mtok,
            cacheReadPerMtok: row.long_context_cache_read_per_mtok,
            cacheWritePerMtok: row.long_context_cache_write_per_mtok,
            reasoningPerMtok: row.long_context_reasoning_per_mtok,
          }
        : null,
  }));

/** Rates in USD per million tokens, as decimal text ("3", "0.075") or numbers. */
export interface OverrideRates {
  inputPerMtok: string | number;
  outputPerMtok: string | number;
  /** null: the input rate. */
  cacheReadPerMtok?: string | number | null;
  /** null: the input rate. */
  cacheWritePerMtok?: string | number | null;
  /** null: the output rate. */
  reasoningPerMtok?: string | number | null;
}

export interface PriceOverride extends OverrideRates {
  provider: string;
  model: string;
  /** ISO instant from which this price applies. */
  effectiveFrom: string;
  /** Whole call at these rates when its input tokens exceed aboveInputTokens. */
  longContext?: (OverrideRates & { aboveInputTokens: number }) | null;
}

function rate(value: string | number | null | undefined): bigint | null {
  if (value === null || value === undefined) return null;
  const parsed = parseRate(value);
  if (parsed === undefined) throw new RangeError(`invalid rate ${JSON.stringify(value)}: expected a non-negative decimal`);
  return parsed;
}

function ratesOf(o: OverrideRates): Rates {
  return {
    input: rate(o.inputPerMtok),
    output: rate(o.outputPerMtok),
    cacheRead: rate(o.cacheReadPerMtok),
    cacheWrite: rate(o.cacheWritePerMtok),
    // model_pricing has no one-hour column: such writes fall back to 2 × input.
    cacheWrite1h: null,
    reasoning: rate(o.reasoningPerMtok),
  };
}

export function sheetFromOverride(override: PriceOverride): PriceSheet {
  const long = override.longContext;
  return {
    source: 'override',
    pricedAs: `${override.provider}/${override.model}`,
    effectiveFrom: new Date(override.effectiveFrom).toISOString(),
    base: ratesOf(override),
    tiers: long ? [{ aboveInputTokens: long.aboveInputTokens, rates: ratesOf(long) }] : [],
  };
}

/** The override in force for this provider and model at `at`: the latest effective_from not after it. */
export function findOverride(
  overrides: readonly PriceOverride[],
  provider: string,
  model: string,
  at: Date,
): PriceOverride | undefined {
  const wantedProvider = provider.trim().toLowerCase();
  const wantedModel = model.trim().toLowerCase();
  let best: PriceOverride | undefined;
  let bestFrom = -Infinity;
  for (const o of overrides) {
    if (o.provider.toLowerCase() !== wantedProvider || o.model.toLowerCase() !== wantedModel) continue;
    const from = Date.parse(o.effectiveFrom);
    if (from <= at.getTime() && from > bestFrom) {
      best = o;
      bestFrom = from;
    }
  }
  return best;
}

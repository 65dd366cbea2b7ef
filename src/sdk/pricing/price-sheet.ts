/**
 * One model's prices at one instant, whatever their source: the catalogue or a
 * model_pricing override. Rates are USD per million tokens (see money.ts).
 */
import type { Rate } from '../money.js';

/**
 * A rate left null falls back as providers bill it: cache reads and writes at the
 * input rate, reasoning at the output rate, one-hour cache writes at twice the
 * input rate (Anthropic's published multiplier).
 */
export interface Rates {
  input: Rate | null;
  output: Rate | null;
  cacheRead: Rate | null;
  /** Five-minute cache writes (and any cache write whose TTL is not reported). */
  cacheWrite: Rate | null;
  /** One-hour cache writes (Anthropic `ephemeral_1h_input_tokens`). */
  cacheWrite1h: Rate | null;
  reasoning: Rate | null;
}

export interface LongContextTier {
  /** The tier applies to the whole call when its input tokens exceed this. */
  aboveInputTokens: number;
  rates: Rates;
}

export type PriceSource = 'catalogue' | 'override';

export interface PriceSheet {
  source: PriceSource;
  /** What the call was priced as, e.g. "anthropic/claude-sonnet-4-5". */
  pricedAs: string;
  /** For an override: the effective_from of the row that applied. */
  effectiveFrom: string | null;
  base: Rates;
  /** Ascending by threshold; the highest one exceeded applies. */
  tiers: readonly LongContextTier[];
}

export type PriceLookup = { found: true; sheet: PriceSheet } | { found: false; reason: string };

/** The rates that apply to a call with this many input tokens, and whether a long-context tier did. */
export function ratesFor(sheet: PriceSheet, inputTokens: number): { rates: Rates; longContext: boolean } {
  let chosen: LongContextTier | undefined;
  for (const tier of sheet.tiers) if (inputTokens > tier.aboveInputTokens) chosen = tier;
  return chosen ? { rates: chosen.rates, longContext: true } : { rates: sheet.base, longContext: false };
}

/**
 * Service tiers: the same model billed at other prices by how the call was served.
 * The provider's response says which tier served it (OpenAI `service_tier`,
 * Anthropic `usage.service_tier`); the catalogue has standard prices only.
 *
 * - batch (OpenAI Batch API, Anthropic Message Batches): 50 % of standard, every
 *   token kind (openai.com/api/pricing, docs.claude.com "Batch processing", read 2025-09).
 * - flex (OpenAI): OpenAI publishes flex prices equal to its Batch prices for
 *   every model that offers flex (o3, o4-mini, gpt-5, gpt-5-mini, gpt-5-nano):
 *   50 % of standard. The catalogue has no flex prices; this rule is ours.
 * - priority (OpenAI): the published priority prices below; for a model not
 *   listed, standard rates (an underestimate, said in the pricing note).
 * - anything else (default, auto, standard, scale…): standard.
 */
import type { PriceSheet, Rates } from './price-sheet.js';
import { parseRate } from '../money.js';

export interface TierPricing {
  sheet: PriceSheet;
  /** Applied to each side's exact sum before rounding: [numerator, denominator]. */
  factor: readonly [bigint, bigint];
  /** What was applied, for the row's pricing note; null for standard. */
  rule: string | null;
}

const rate = (usdPerMtok: string) => parseRate(usdPerMtok)!;
const priority = (input: string, cacheRead: string, output: string): Rates => ({
  input: rate(input),
  output: rate(output),
  cacheRead: rate(cacheRead),
  cacheWrite: null,
  cacheWrite1h: null,
  reasoning: null,
});

/** OpenAI priority processing, USD per MTok (input, cached input, output); openai.com/api/pricing, read 2025-09. */
const OPENAI_PRIORITY: Readonly<Record<string, Rates>> = {
  'openai/gpt-5': priority('2.50', '0.25', '20.00'),
  'openai/gpt-5-mini': priority('0.45', '0.045', '3.60'),
  'openai/gpt-4.1': priority('3.50', '0.875', '14.00'),
  'openai/gpt-4.1-mini': priority('0.70', '0.175', '2.80'),
  'openai/gpt-4.1-nano': priority('0.20', '0.05', '0.80'),
  'openai/gpt-4o': priority('4.25', '2.125', '17.00'),
  'openai/gpt-4o-mini': priority('0.25', '0.125', '1.00'),
  'openai/o3': priority('3.50', '0.875', '14.00'),
  'openai/o4-mini': priority('2.00', '0.50', '8.00'),
};

const STANDARD = [1n, 1n] as const;
const HALF = [1n, 2n] as const;

/** How a call served in `tier` is priced from the model's standard sheet. */
export function tierPricing(sheet: PriceSheet, provider: string, tier: string | null | undefined): TierPricing {
  const name = tier?.trim().toLowerCase();
  const vendor = provider.trim().toLowerCase();
  if (name === 'batch' && (vendor === 'openai' || vendor === 'anthropic')) {
    return { sheet, factor: HALF, rule: 'batch: 50% of standard' };
  }
  if (name === 'flex' && vendor === 'openai') return { sheet, factor: HALF, rule: 'flex: 50% of standard (OpenAI flex = Batch prices)' };
  if (name === 'priority' && vendor === 'openai') {
    // A model_pricing override is the price agreed for the model: it stands, whatever the tier.
    if (sheet.source === 'override') return { sheet, factor: STANDARD, rule: 'priority: the model_pricing override’s rates' };
    const rates = OPENAI_PRIORITY[sheet.pricedAs];
    if (rates) return { sheet: { ...sheet, base: rates, tiers: [] }, factor: STANDARD, rule: 'priority: published priority prices' };
    return { sheet, factor: STANDARD, rule: 'priority: no priority price known for this model; standard rates' };
  }
  return { sheet, factor: STANDARD, rule: null };
}

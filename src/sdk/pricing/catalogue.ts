/**
 * The maintained price catalogue: @pydantic/genai-prices, used from the data
 * bundled in the package (it never fetches: tokensync does not call its
 * updatePrices). Newer prices arrive with `npm update @pydantic/genai-prices`;
 * anything sooner or negotiated goes in the model_pricing table.
 *
 * The library resolves provider, model (its own matching rules, dated snapshots
 * included) and the price in force at an instant; the arithmetic is ours, in
 * integers, because the library's is floating point.
 */
import { calcPrice, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import { parseRate } from '../money.js';
import type { LongContextTier, PriceLookup, PriceSheet, Rates } from './price-sheet.js';

/** The per-token price keys we bill; others (per request, web searches, audio…) are not in a usage record. */
const PRICE_KEYS = {
  input: 'input_mtok',
  output: 'output_mtok',
  cacheRead: 'cache_read_mtok',
  cacheWrite: 'cache_write_mtok',
  cacheWrite1h: 'cache_write_1h_mtok',
  reasoning: 'output_reasoning_mtok',
} as const satisfies Record<keyof Rates, string>;

type CataloguePrice = ModelPrice[string];

/** The rate of one key for a call whose input exceeds `threshold` (undefined: the base rate). */
function rateAt(price: CataloguePrice, threshold: number | undefined): ReturnType<typeof parseRate> | null {
  if (price === undefined) return null;
  if (typeof price === 'number') return parseRate(price) ?? null;
  let chosen = price.base;
  // genai-prices applies a tier when the input tokens are greater than its start.
  for (const tier of price.tiers) if (threshold !== undefined && threshold >= tier.start) chosen = tier.price;
  return parseRate(chosen) ?? null;
}

function ratesAt(price: ModelPrice, threshold: number | undefined): Rates {
  const entries = Object.entries(PRICE_KEYS).map(([field, key]) => [field, rateAt(price[key], threshold)]);
  return Object.fromEntries(entries) as Rates;
}

/** Each distinct tier start of any key becomes one tier of the sheet with every key's rate above it. */
export function sheetFromCatalogue(price: ModelPrice, pricedAs: string): PriceSheet {
  const starts = new Set<number>();
  for (const key of Object.values(PRICE_KEYS)) {
    const value = price[key];
    if (value !== undefined && typeof value !== 'number') for (const tier of value.tiers) starts.add(tier.start);
  }
  const tiers: LongContextTier[] = [...starts]
    .sort((a, b) => a - b)
    .map((start) => ({ aboveInputTokens: start, rates: ratesAt(price, start) }));
  return { source: 'catalogue', pricedAs, effectiveFrom: null, base: ratesAt(price, undefined), tiers };
}

function hasTimeOfDayPrices(model: ModelInfo): boolean {
  return Array.isArray(model.prices) && model.prices.some((p) => p.constraint?.type === 'time_of_date');
}

/** Lookups repeat (every call of a model on a day): remembered per provider, model and UTC day. */
const MAX_REMEMBERED = 2000;
const remembered = new Map<string, PriceLookup>();

function remember(key: string, lookup: PriceLookup): PriceLookup {
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(key, lookup);
  return lookup;
}

/** The catalogue's price of `model` from `provider` in force at `at`. */
export function lookupCatalogue(provider: string, model: string, at: Date): PriceLookup {
  // Dated catalogue prices start at midnight UTC, so one day has one price…
  const key = `${provider.toLowerCase()}\u0000${model.toLowerCase()}\u0000${at.toISOString().slice(0, 10)}`;
  const known = remembered.get(key);
  if (known) return known;

  const result = calcPrice({}, model, { providerId: provider, timestamp: at });
  if (!result) {
    return remember(key, {
      found: false,
      reason: `no price for model ${JSON.stringify(model)} of provider ${JSON.stringify(provider)} in the catalogue (@pydantic/genai-prices) or model_pricing`,
    });
  }
  const lookup: PriceLookup = {
    found: true,
    sheet: sheetFromCatalogue(result.model_price, `${result.provider.id}/${result.model.id}`),
  };
  // …except for off-peak prices by time of day, which are looked up every time.
  return hasTimeOfDayPrices(result.model) ? lookup : remember(key, lookup);
}

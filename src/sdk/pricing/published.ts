/**
 * Prices the providers publish that the bundled catalogue (@pydantic/genai-prices
 * 0.1.8, the newest on npm on 2026-12-05) gets wrong or lacks. Each entry names
 * its source; a newer catalogue that has the price makes the entry redundant
 * (the Sonnet 4 tier steps aside when the catalogue has tiers of its own).
 * Negotiated or later prices belong in model_pricing (`npm run prices -- --apply`).
 */
import { parseRate } from '../money.js';
import type { PriceSheet, Rates } from './price-sheet.js';

const rate = (usdPerMtok: string) => parseRate(usdPerMtok)!;

function rates(input: string, output: string, cacheRead: string | null, cacheWrite: string | null = null, cacheWrite1h: string | null = null): Rates {
  return {
    input: rate(input),
    output: rate(output),
    cacheRead: cacheRead === null ? null : rate(cacheRead),
    cacheWrite: cacheWrite === null ? null : rate(cacheWrite),
    cacheWrite1h: cacheWrite1h === null ? null : rate(cacheWrite1h),
    reasoning: null,
  };
}

/**
 * Claude Sonnet 4 with more than 200k input tokens (cache reads and writes
 * counted): every token of the call at the long-context rates. Source: Anthropic,
 * "Pricing › Long context pricing", docs.claude.com/en/docs/about-claude/pricing
 * (read 2025-09): input $6, output $22.50 per MTok; cache multipliers apply on
 * top (5-minute write 1.25×, 1-hour write 2×, read 0.1× of $6). The catalogue
 * has this tier for Sonnet 4.5 only.
 */
const SONNET_4_LONG_CONTEXT = { aboveInputTokens: 200_000, rates: rates('6', '22.5', '0.6', '7.5', '12') };
const LONG_CONTEXT_MISSING = new Set(['anthropic/claude-sonnet-4-0']);

/**
 * DeepSeek's price changes the catalogue does not have: it still applies the
 * off-peak discount (ended 2025-09-05 16:00 UTC) and the V3 prices. Sources:
 * api-docs.deepseek.com/quick_start/pricing and its news of 2025-08-21 (V3.1:
 * from 2025-09-05 16:00 UTC, no off-peak, $0.56 cache miss / $0.07 cache hit /
 * $1.68 output per MTok) and 2025-09-29 (V3.2-Exp: $0.28 / $0.028 / $0.42,
 * "effective immediately"; UTC midnight taken as its start). The same prices
 * apply to deepseek-chat and deepseek-reasoner.
 */
const DEEPSEEK_CHANGES: readonly { from: Date; rates: Rates }[] = [
  { from: new Date('2025-09-05T16:00:00Z'), rates: rates('0.56', '1.68', '0.07') },
  { from: new Date('2025-09-29T00:00:00Z'), rates: rates('0.28', '0.42', '0.028') },
];
const DEEPSEEK_MODELS = new Set(['deepseek/deepseek-chat', 'deepseek/deepseek-reasoner']);

/** The catalogue's sheet with the published prices it lacks at `at`. */
export function withPublishedPrices(sheet: PriceSheet, at: Date): PriceSheet {
  if (sheet.source !== 'catalogue') return sheet;
  if (LONG_CONTEXT_MISSING.has(sheet.pricedAs) && sheet.tiers.length === 0) {
    return { ...sheet, tiers: [SONNET_4_LONG_CONTEXT] };
  }
  if (DEEPSEEK_MODELS.has(sheet.pricedAs)) {
    const change = DEEPSEEK_CHANGES.filter((c) => at >= c.from).at(-1);
    if (change) return { ...sheet, base: change.rates, tiers: [] };
  }
  return sheet;
}

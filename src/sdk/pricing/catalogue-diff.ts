/**
 * What a newer catalogue would change, for the models the logs have seen: the
 * price calls would be billed at now, with the newer package against the
 * bundled one, rate by rate. Our published corrections (published.ts) apply on
 * top of either package, so both sides are compared with them: a change the
 * package makes under a correction does not move a bill, and is listed apart
 * so the correction can be retired once the package agrees.
 */
import type { calcPrice as CalcPrice } from '@pydantic/genai-prices';
import { RATE_DECIMALS, type Rate } from '../money.js';
import { lookupCatalogue, sheetFromCatalogue } from './catalogue.js';
import { withPublishedPrices } from './published.js';
import type { PriceLookup, PriceSheet, Rates } from './price-sheet.js';

export interface ModelRef {
  provider: string;
  model: string;
}

export interface PriceChange extends ModelRef {
  /** e.g. ["input 0.27 → 0.28", "long-context tiers: none → above 200000"]; empty: what is billed is unchanged. */
  changes: string[];
  /** The package's own changes that a published correction overrides (billing unchanged): the correction may be retired when they agree. */
  underCorrection: string[];
}

const RATE_NAMES: Record<keyof Rates, string> = {
  input: 'input',
  output: 'output',
  cacheRead: 'cache read',
  cacheWrite: 'cache write',
  cacheWrite1h: 'one-hour cache write',
  reasoning: 'reasoning',
};

/** A rate as USD per million tokens, trailing zeros dropped. */
export function formatRate(rate: Rate | null): string {
  if (rate === null) return '—';
  const scale = 10n ** BigInt(RATE_DECIMALS);
  const fraction = (rate % scale).toString().padStart(RATE_DECIMALS, '0').replace(/0+$/, '');
  return `${rate / scale}${fraction ? `.${fraction}` : ''}`;
}

function rateChanges(before: Rates, after: Rates, prefix: string): string[] {
  return (Object.keys(RATE_NAMES) as (keyof Rates)[])
    .filter((key) => before[key] !== after[key])
    .map((key) => `${prefix}${RATE_NAMES[key]} ${formatRate(before[key])} → ${formatRate(after[key])}`);
}

const tierList = (sheet: PriceSheet) => (sheet.tiers.length === 0 ? 'none' : sheet.tiers.map((t) => `above ${t.aboveInputTokens}`).join(', '));

function sheetChanges(before: PriceSheet, after: PriceSheet): string[] {
  const changes = rateChanges(before.base, after.base, '');
  if (tierList(before) !== tierList(after)) changes.push(`long-context tiers: ${tierList(before)} → ${tierList(after)}`);
  else before.tiers.forEach((tier, i) => changes.push(...rateChanges(tier.rates, after.tiers[i]!.rates, `above ${tier.aboveInputTokens}: `)));
  return changes;
}

function newerLookup(calcPrice: typeof CalcPrice, ref: ModelRef, at: Date): PriceLookup {
  const result = calcPrice({}, ref.model, { providerId: ref.provider, timestamp: at });
  return result ? { found: true, sheet: sheetFromCatalogue(result.model_price, `${result.provider.id}/${result.model.id}`) } : { found: false, reason: 'no price' };
}

/** Each model's changes from the bundled catalogue to `newer` (its calcPrice), at `at`. */
export function diffCatalogues(newer: typeof CalcPrice, models: readonly ModelRef[], at: Date): PriceChange[] {
  return models.map((ref) => {
    const before = lookupCatalogue(ref.provider, ref.model, at);
    const after = newerLookup(newer, ref, at);
    if (!before.found && !after.found) return { ...ref, changes: [], underCorrection: [] };
    if (!before.found) return { ...ref, changes: ['priced only by the newer catalogue'], underCorrection: [] };
    if (!after.found) return { ...ref, changes: ['no longer priced by the newer catalogue'], underCorrection: [] };
    const changes = sheetChanges(withPublishedPrices(before.sheet, at), withPublishedPrices(after.sheet, at));
    if (before.sheet.pricedAs !== after.sheet.pricedAs) changes.unshift(`priced as ${before.sheet.pricedAs} → ${after.sheet.pricedAs}`);
    const underCorrection = changes.length === 0 ? sheetChanges(before.sheet, after.sheet) : [];
    return { ...ref, changes, underCorrection };
  });
}

/**
 * What a call on an unknown model costs until it is priced: unpriced is never
 * free. The rule, in order:
 *
 * 1. The model PRICING_FALLBACK_MODELS names for the call's provider.
 * 2. Otherwise the provider's dearest known model: of its catalogue models and
 *    its model_pricing overrides in force at the call's time, the one with the
 *    highest base input rate (USD per million tokens, below any long-context
 *    tier); a tie goes to the higher base output rate, then to the name. That
 *    model's whole price sheet applies (output, cache and long-context rates).
 * 3. A provider neither knows: the model configured for `*`, else the dearest
 *    model, by the same measure, across every provider of the catalogue and
 *    every override.
 *
 * Input first because prompts are most of the tokens of most calls; the dearest
 * input rate comes with a dear output rate in every catalogue so far.
 */
import { findProvider, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import { ANY_PROVIDER, catalogueProviderId, type FallbackModels } from '../../config/env.js';
import { sheetFromCatalogue } from './catalogue.js';
import { sheetFromOverride, type PriceOverride } from './overrides.js';
import type { PriceLookup, PriceSheet } from './price-sheet.js';

export type FallbackRule = 'configured' | 'dearest of provider' | 'dearest of all providers';

export interface Fallback {
  sheet: PriceSheet;
  rule: FallbackRule;
}

/**
 * Every provider of the bundled catalogue. The library does not list them, so
 * they are named here; test/sdk/pricing-fallback.test.ts fails when an update
 * of @pydantic/genai-prices drops one.
 */
export const CATALOGUE_PROVIDERS = [
  'anthropic', 'arcee', 'avian', 'aws', 'azure', 'baseten', 'cerebras', 'cloudflare', 'cohere', 'cursor', 'deepseek',
  'doubleword', 'fireworks', 'github-copilot', 'google', 'groq', 'huggingface_cerebras', 'huggingface_fireworks-ai',
  'huggingface_groq', 'huggingface_hyperbolic', 'huggingface_nebius', 'huggingface_novita', 'huggingface_nscale',
  'huggingface_ovhcloud', 'huggingface_publicai', 'huggingface_sambanova', 'huggingface_together', 'minimax', 'mistral',
  'modal', 'moonshotai', 'novita', 'openai', 'openrouter', 'ovhcloud', 'perplexity', 'quicksilverpro', 'together',
  'typesafe', 'voyageai', 'x-ai', 'zai', 'zhipuai',
] as const;

/** Dearer first: base input rate, then base output rate, then name (so the choice is stable). */
function dearer(a: PriceSheet, b: PriceSheet): PriceSheet {
  const byInput = (a.base.input ?? -1n) - (b.base.input ?? -1n);
  if (byInput !== 0n) return byInput > 0n ? a : b;
  const byOutput = (a.base.output ?? -1n) - (b.base.output ?? -1n);
  if (byOutput !== 0n) return byOutput > 0n ? a : b;
  return a.pricedAs <= b.pricedAs ? a : b;
}

const canPrice = (sheet: PriceSheet) => sheet.base.input !== null && sheet.base.output !== null;

function dearest(sheets: Iterable<PriceSheet>): PriceSheet | undefined {
  let best: PriceSheet | undefined;
  for (const sheet of sheets) if (canPrice(sheet)) best = best ? dearer(best, sheet) : sheet;
  return best;
}

/**
 * A catalogue model's price at `at`: the latest dated price in force. Off-peak
 * prices by time of day are passed over: the full price is the conservative one.
 */
function priceInForce(model: ModelInfo, at: Date): ModelPrice | undefined {
  if (!Array.isArray(model.prices)) return model.prices;
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const { constraint, prices } = model.prices[i]!;
    if (!constraint) return prices;
    if (constraint.type === 'start_date' && at >= new Date(constraint.start_date)) return prices;
  }
  return undefined;
}

function* catalogueSheets(providerId: string, at: Date): Generator<PriceSheet> {
  const provider = findProvider({ providerId });
  if (!provider) return;
  for (const model of provider.models) {
    const price = priceInForce(model, at);
    if (price) yield sheetFromCatalogue(price, `${provider.id}/${model.id}`);
  }
}

/** The dearest catalogue model of a provider (or of all), per UTC day: prices change at midnight UTC at most. */
const dearestByDay = new Map<string, PriceSheet | null>();

function dearestInCatalogue(providerIds: readonly string[], at: Date): PriceSheet | undefined {
  const key = `${providerIds.join(',')}\u0000${at.toISOString().slice(0, 10)}`;
  if (!dearestByDay.has(key)) {
    if (dearestByDay.size >= 1000) dearestByDay.clear();
    dearestByDay.set(key, dearest(providerIds.flatMap((id) => [...catalogueSheets(id, at)])) ?? null);
  }
  return dearestByDay.get(key) ?? undefined;
}

/** The override in force at `at` of each model (of `provider`, or of every provider), as sheets. */
function overrideSheets(overrides: readonly PriceOverride[], at: Date, providers?: readonly string[]): PriceSheet[] {
  const latest = new Map<string, PriceOverride>();
  for (const o of overrides) {
    if (providers !== undefined && !providers.includes(o.provider.trim().toLowerCase())) continue;
    if (Date.parse(o.effectiveFrom) > at.getTime()) continue;
    const key = `${o.provider.toLowerCase()}\u0000${o.model.toLowerCase()}`;
    const held = latest.get(key);
    if (!held || Date.parse(held.effectiveFrom) < Date.parse(o.effectiveFrom)) latest.set(key, o);
  }
  return [...latest.values()].map(sheetFromOverride);
}

export interface FallbackOptions {
  at: Date;
  overrides: readonly PriceOverride[];
  /** PRICING_FALLBACK_MODELS. */
  configured: FallbackModels;
  /** Prices a named model (override first, then the catalogue). */
  lookup: (provider: string, model: string) => PriceLookup;
}

function configuredSheet(key: string, options: FallbackOptions): PriceSheet | undefined {
  const chosen = options.configured[key];
  if (!chosen) return undefined;
  const lookup = options.lookup(chosen.provider, chosen.model);
  // A configured model with no price at the call's time (before its first dated price) gives way to the rule.
  return lookup.found && canPrice(lookup.sheet) ? lookup.sheet : undefined;
}

/** The price an unknown model of `provider` is counted at, and by which rule; undefined only when nothing at all is priced. */
export function fallbackPrice(provider: string, options: FallbackOptions): Fallback | undefined {
  const catalogueId = catalogueProviderId(provider);
  const named = provider.trim().toLowerCase();
  const own = catalogueId ?? named;
  const configured = configuredSheet(own, options);
  if (configured) return { sheet: configured, rule: 'configured' };

  const ownOverrides = overrideSheets(options.overrides, options.at, [own, named]);
  const ownCatalogue = catalogueId ? dearestInCatalogue([catalogueId], options.at) : undefined;
  const ofProvider = dearest([...(ownCatalogue ? [ownCatalogue] : []), ...ownOverrides]);
  if (ofProvider) return { sheet: ofProvider, rule: 'dearest of provider' };

  const anyConfigured = configuredSheet(ANY_PROVIDER, options);
  if (anyConfigured) return { sheet: anyConfigured, rule: 'configured' };
  const everyCatalogue = dearestInCatalogue(CATALOGUE_PROVIDERS, options.at);
  const ofAll = dearest([...(everyCatalogue ? [everyCatalogue] : []), ...overrideSheets(options.overrides, options.at)]);
  return ofAll ? { sheet: ofAll, rule: 'dearest of all providers' } : undefined;
}

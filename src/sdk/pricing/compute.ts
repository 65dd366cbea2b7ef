/**
 * The cost of one call, exact to the micro-dollar.
 *
 * Token counts follow OpenAI's convention, which every adapter maps to:
 * promptTokens counts every input token, cached reads and cache writes included;
 * completionTokens counts every output token, reasoning included. So
 *
 *   input  = (prompt − cached − cacheWrite) × input + cached × cacheRead
 *            + (cacheWrite − cacheWrite1h) × cacheWrite + cacheWrite1h × cacheWrite1h
 *   output = (completion − reasoning) × output + reasoning × reasoning
 *
 * each kept exact (atto-dollars, money.ts), and total = input + output. Nothing is
 * rounded: the micro-dollar figures are the exact ones rounded for display.
 * A long-context tier prices the whole call when promptTokens exceeds its threshold.
 * A service tier (batch, flex, priority) scales or replaces the rates: service-tier.ts.
 */
import type { FallbackModels } from '../../config/env.js';
import { withPublishedPrices } from './published.js';
import { tierPricing } from './service-tier.js';
import { exactFromScaled, exactToUsd, formatExact, microsFromExact, scaledCostOf, type Exact, type Rate } from '../money.js';
import { lookupCatalogue } from './catalogue.js';
import { fallbackPrice, type FallbackRule } from './fallback.js';
import { findOverride, sheetFromOverride, type PriceOverride } from './overrides.js';
import { ratesFor, type PriceLookup, type PriceSheet, type PriceSource } from './price-sheet.js';

export interface TokenUsage {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Input tokens read from the provider's cache (part of promptTokens). */
  cachedTokens?: number;
  /** Input tokens written to the provider's cache (part of promptTokens). */
  cacheWriteTokens?: number;
  /** Of cacheWriteTokens, those written with a one-hour TTL (Anthropic); the rest are five-minute writes. */
  cacheWrite1hTokens?: number;
  /** How the provider served the call: 'default', 'batch', 'flex', 'priority'… (null or absent: standard). */
  serviceTier?: string | null;
  /** Reasoning tokens (part of completionTokens). */
  reasoningTokens?: number;
}

export interface CostOptions {
  /** When the call happened: prices are dated (default now). */
  at?: Date;
  /** model_pricing rows; they win over the catalogue from their effective_from on. */
  overrides?: readonly PriceOverride[];
  /** PRICING_FALLBACK_MODELS: what an unknown model is priced as, per provider (default: its dearest known model). */
  fallbackModels?: FallbackModels;
}

/** Why a cost is a stand-in: the model had no price, so it was priced as another. */
export interface Estimate {
  rule: FallbackRule;
  /** Why the model itself has no price. */
  reason: string;
}

export interface KnownCost {
  known: true;
  /** The exact cost in atto-dollars (10^-18 USD): what is stored and summed. */
  exact: { input: Exact; output: Exact; total: Exact };
  /** The exact cost as decimal USD text, as stored (e.g. "0.0000015"). */
  inputUsd: string;
  outputUsd: string;
  totalUsd: string;
  /** Each exact figure rounded to whole micro-dollars, for display only. */
  inputMicros: number;
  outputMicros: number;
  totalMicros: number;
  /** USD, for display (the nearest double to the exact cost). */
  inputCost: number;
  outputCost: number;
  totalCost: number;
  source: PriceSource;
  pricedAs: string;
  effectiveFrom: string | null;
  longContext: boolean;
  /** The service-tier rule applied (e.g. "batch: 50% of standard"); null for standard prices. */
  tierRule: string | null;
  /** Set when the model has no price and pricedAs is a fallback (see fallback.ts): the cost is an estimate. */
  estimate: Estimate | null;
}

export interface UnknownCost {
  known: false;
  inputCost: null;
  outputCost: null;
  totalCost: null;
  /** Why no price applies; recorded with the row. */
  reason: string;
}

export type CostResult = KnownCost | UnknownCost;

const unknown = (reason: string): UnknownCost => ({ known: false, inputCost: null, outputCost: null, totalCost: null, reason });

const overrideSheets = new WeakMap<PriceOverride, PriceSheet>();

/** Override first, then the catalogue; never another model's price. */
export function lookupPrice(provider: string, model: string, at: Date, overrides: readonly PriceOverride[] = []): PriceLookup {
  const override = findOverride(overrides, provider, model, at);
  if (!override) {
    const lookup = lookupCatalogue(provider, model, at);
    return lookup.found ? { found: true, sheet: withPublishedPrices(lookup.sheet, at) } : lookup;
  }
  let sheet = overrideSheets.get(override);
  if (!sheet) {
    sheet = sheetFromOverride(override);
    overrideSheets.set(override, sheet);
  }
  return { found: true, sheet };
}

function invalidUsage(usage: TokenUsage): string | undefined {
  const counts = {
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    cachedTokens: usage.cachedTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
    cacheWrite1hTokens: usage.cacheWrite1hTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
  };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) return `${name} must be a whole number >= 0, got ${value}`;
  }
  if (counts.cachedTokens + counts.cacheWriteTokens > counts.promptTokens) {
    return 'cachedTokens + cacheWriteTokens exceed promptTokens (promptTokens counts every input token)';
  }
  if (counts.cacheWrite1hTokens > counts.cacheWriteTokens) {
    return 'cacheWrite1hTokens exceed cacheWriteTokens (one-hour writes are part of the cache writes)';
  }
  if (counts.reasoningTokens > counts.completionTokens) {
    return 'reasoningTokens exceed completionTokens (completionTokens counts every output token)';
  }
  return undefined;
}

/** Sums tokens × rate; a missing rate is only an error when tokens need it. */
function priceParts(parts: readonly [tokens: number, rate: Rate | null, what: string][]): bigint | string {
  let sum = 0n;
  for (const [tokens, rate, what] of parts) {
    if (tokens === 0) continue;
    if (rate === null) return what;
    sum += scaledCostOf(tokens, rate);
  }
  return sum;
}

/** The cost of a call priced by this sheet. */
export function costFromSheet(standard: PriceSheet, usage: TokenUsage): CostResult {
  const problem = invalidUsage(usage);
  if (problem) return unknown(`invalid usage: ${problem}`);
  const cached = usage.cachedTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const cacheWrite1h = usage.cacheWrite1hTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  const tier = tierPricing(standard, usage.provider, usage.serviceTier);
  const sheet = tier.sheet;
  const { rates, longContext } = ratesFor(sheet, usage.promptTokens);

  const input = priceParts([
    [usage.promptTokens - cached - cacheWrite, rates.input, 'input'],
    [cached, rates.cacheRead ?? rates.input, 'cached input'],
    [cacheWrite - cacheWrite1h, rates.cacheWrite ?? rates.input, 'cache write'],
    // Anthropic's published rule where no one-hour rate is listed: 2 × base input.
    [cacheWrite1h, rates.cacheWrite1h ?? (rates.input === null ? null : rates.input * 2n), 'one-hour cache write'],
  ]);
  const output = priceParts([
    [usage.completionTokens - reasoning, rates.output, 'output'],
    [reasoning, rates.reasoning ?? rates.output, 'reasoning'],
  ]);
  for (const part of [input, output]) {
    if (typeof part === 'string') return unknown(`${sheet.pricedAs} (${sheet.source}) has no ${part} token price`);
  }
  const [numerator, denominator] = tier.factor;
  const exact = {
    input: exactFromScaled(input as bigint, numerator, denominator),
    output: exactFromScaled(output as bigint, numerator, denominator),
    total: 0n,
  };
  exact.total = exact.input + exact.output;
  return {
    known: true,
    exact,
    inputUsd: formatExact(exact.input),
    outputUsd: formatExact(exact.output),
    totalUsd: formatExact(exact.total),
    inputMicros: microsFromExact(exact.input),
    outputMicros: microsFromExact(exact.output),
    totalMicros: microsFromExact(exact.total),
    inputCost: exactToUsd(exact.input),
    outputCost: exactToUsd(exact.output),
    totalCost: exactToUsd(exact.total),
    source: sheet.source,
    pricedAs: sheet.pricedAs,
    effectiveFrom: sheet.effectiveFrom,
    longContext,
    tierRule: tier.rule,
    estimate: null,
  };
}

/** An unknown model's cost at its fallback price: never free, marked as an estimate. */
function estimatedCost(usage: TokenUsage, at: Date, options: CostOptions, reason: string): CostResult {
  const overrides = options.overrides ?? [];
  const fallback = fallbackPrice(usage.provider.trim(), {
    at,
    overrides,
    configured: options.fallbackModels ?? {},
    lookup: (provider, model) => lookupPrice(provider, model, at, overrides),
  });
  if (!fallback) return unknown(reason);
  const cost = costFromSheet(fallback.sheet, usage);
  return cost.known ? { ...cost, estimate: { rule: fallback.rule, reason } } : cost;
}

/**
 * The cost of one call from the catalogue, or from an override in force at
 * `options.at`; a model neither knows is priced at a fallback and marked as an
 * estimate (`estimate` set). Never throws: invalid counts, or a bad override,
 * give `{ known: false, reason }` and null costs.
 */
export function computeCost(usage: TokenUsage, options: CostOptions = {}): CostResult {
  const at = options.at ?? new Date();
  if (Number.isNaN(at.getTime())) return unknown('invalid usage: the call time is not a valid date');
  if (!usage.provider?.trim() || !usage.model?.trim()) return unknown('invalid usage: provider and model are required');
  try {
    const lookup = lookupPrice(usage.provider.trim(), usage.model.trim(), at, options.overrides);
    return lookup.found ? costFromSheet(lookup.sheet, usage) : estimatedCost(usage, at, options, lookup.reason);
  } catch (error) {
    return unknown(`invalid price override: ${(error as Error).message}`);
  }
}

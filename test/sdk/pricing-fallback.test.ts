/**
 * The fallback price of a model nobody prices (src/sdk/pricing/fallback.ts) and
 * its configuration. Amounts are computed by hand from the providers' published
 * price sheets, never read from the catalogue we ship:
 *   OpenAI API pricing page (platform.openai.com/docs/pricing):
 *     o1-pro   $150.00/MTok input, $600.00/MTok output (since its launch, 2025-03): OpenAI's dearest by input
 *     gpt-4.1  $2.00/MTok input, $8.00/MTok output (since its launch, 2025-04)
 *   Anthropic pricing page (anthropic.com/pricing#api):
 *     Claude Opus 4.1  $15/MTok input, $75/MTok output (since its launch, 2025-08)
 * A rate in USD per million tokens times a token count is a cost in micro-dollars (µ$).
 */
import { findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { CATALOGUE_PROVIDERS } from '../../src/sdk/pricing/fallback.js';
import type { PriceOverride } from '../../src/sdk/pricing/overrides.js';

const call = (provider: string, model: string) => ({ provider, model, promptTokens: 1000, completionTokens: 200 });
const fallbackModels = (value: string) => loadConfig({ PRICING_FALLBACK_MODELS: value }).pricing.fallbackModels;

function configProblem(value: string): string {
  try {
    loadConfig({ PRICING_FALLBACK_MODELS: value });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected PRICING_FALLBACK_MODELS=${value} to be refused`);
}

describe('the default fallback: the dearest known model', () => {
  it('an unknown model of a known provider is priced as that provider’s dearest model', () => {
    // o1-pro: 1000 × 150 + 200 × 600 = 150,000 + 120,000 = 270,000 µ$
    expect(computeCost(call('openai', 'house-model-7'))).toMatchObject({
      inputMicros: 150_000, outputMicros: 120_000, totalMicros: 270_000, pricedAs: 'openai/o1-pro', estimate: { rule: 'dearest of provider' },
    });
  });

  it('a provider unknown to the catalogue and to model_pricing: the dearest model of all', () => {
    expect(computeCost(call('in-house', 'llama-house'))).toMatchObject({ totalMicros: 270_000, pricedAs: 'openai/o1-pro', estimate: { rule: 'dearest of all providers' } });
  });

  it('a provider only model_pricing knows: its dearest override in force', () => {
    const overrides: PriceOverride[] = [
      { provider: 'acme', model: 'small', effectiveFrom: '2026-01-01T00:00:00Z', inputPerMtok: '1', outputPerMtok: '50' },
      { provider: 'acme', model: 'big', effectiveFrom: '2026-01-01T00:00:00Z', inputPerMtok: '20', outputPerMtok: '40' },
      { provider: 'acme', model: 'later', effectiveFrom: '2027-01-01T00:00:00Z', inputPerMtok: '99', outputPerMtok: '99' },
    ];
    // big, by input rate (20 > 1): 1000 × 20 + 200 × 40 = 20,000 + 8,000 = 28,000 µ$; "later" is not in force yet
    expect(computeCost(call('ACME', 'new-thing'), { overrides, at: new Date('2026-06-01T00:00:00Z') }))
      .toMatchObject({ totalMicros: 28_000, pricedAs: 'acme/big', source: 'override', estimate: { rule: 'dearest of provider' } });
  });

  it('names every provider of the bundled catalogue that still exists (a dropped one fails here)', () => {
    expect(CATALOGUE_PROVIDERS.filter((id) => findProvider({ providerId: id })?.id !== id)).toEqual([]);
  });
});

describe('PRICING_FALLBACK_MODELS', () => {
  it('is honoured per provider, and for unknown providers with *', () => {
    const configured = fallbackModels('openai=gpt-4.1, anthropic=claude-opus-4-1, *=openai/gpt-4.1');
    // gpt-4.1: 1000 × 2 + 200 × 8 = 2,000 + 1,600 = 3,600 µ$
    expect(computeCost(call('openai', 'house-model-7'), { fallbackModels: configured }))
      .toMatchObject({ totalMicros: 3_600, pricedAs: 'openai/gpt-4.1', estimate: { rule: 'configured' } });
    // Claude Opus 4.1: 1000 × 15 + 200 × 75 = 15,000 + 15,000 = 30,000 µ$
    expect(computeCost(call('anthropic', 'claude-house'), { fallbackModels: configured }))
      .toMatchObject({ totalMicros: 30_000, pricedAs: 'anthropic/claude-opus-4-1', estimate: { rule: 'configured' } });
    expect(computeCost(call('in-house', 'llama-house'), { fallbackModels: configured })).toMatchObject({ totalMicros: 3_600, pricedAs: 'openai/gpt-4.1' });
    // A provider not listed keeps the default rule.
    expect(computeCost(call('openai', 'house-model-7'), { fallbackModels: fallbackModels('anthropic=claude-opus-4-1') })).toMatchObject({ pricedAs: 'openai/o1-pro' });
  });

  it('an override of the configured model prices the estimate', () => {
    const overrides: PriceOverride[] = [{ provider: 'openai', model: 'gpt-4.1', effectiveFrom: '2020-01-01T00:00:00Z', inputPerMtok: '1', outputPerMtok: '1' }];
    // 1000 × 1 + 200 × 1 = 1,200 µ$
    expect(computeCost(call('openai', 'house-model-7'), { overrides, fallbackModels: fallbackModels('openai=gpt-4.1') }))
      .toMatchObject({ totalMicros: 1_200, source: 'override', estimate: { rule: 'configured' } });
  });

  it('is keyed by the catalogue’s provider id', () => {
    expect(fallbackModels('xai=grok-3')).toEqual({ 'x-ai': { provider: 'x-ai', model: 'grok-3' } });
    expect(loadConfig({}).pricing).toEqual({ fallbackModels: {}, catalogueMaxAgeDays: 60 });
  });

  it('PRICING_CATALOGUE_MAX_AGE_DAYS is a whole number of days', () => {
    expect(loadConfig({ PRICING_CATALOGUE_MAX_AGE_DAYS: '30' }).pricing.catalogueMaxAgeDays).toBe(30);
    expect(() => loadConfig({ PRICING_CATALOGUE_MAX_AGE_DAYS: '0' })).toThrow(/PRICING_CATALOGUE_MAX_AGE_DAYS/);
    expect(() => loadConfig({ PRICING_CATALOGUE_MAX_AGE_DAYS: 'soon' })).toThrow(/PRICING_CATALOGUE_MAX_AGE_DAYS/);
  });

  it.each([
    ['an unknown model', 'openai=gpt-9000', /PRICING_FALLBACK_MODELS: "gpt-9000" is not a model of openai in the price catalogue.*e\.g\. openai=gpt-4\.1/],
    ['an unknown provider', 'nobody=gpt-4.1', /PRICING_FALLBACK_MODELS: provider "nobody" is not in the price catalogue/],
    ['no model', 'openai', /PRICING_FALLBACK_MODELS: "openai" is not provider=model/],
    ['a provider twice', 'openai=gpt-4.1,openai=gpt-4o', /PRICING_FALLBACK_MODELS: names openai twice/],
    ['* without a provider', '*=gpt-4.1', /PRICING_FALLBACK_MODELS: \* takes provider\/model/],
  ])('refuses %s, naming the variable and the fix', (_name, value, message) => {
    expect(configProblem(value)).toMatch(message);
  });
});

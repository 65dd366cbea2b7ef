import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { computeCost, type TokenUsage } from '../../src/sdk/pricing/compute.js';
import type { PriceOverride } from '../../src/sdk/pricing/overrides.js';

// Catalogue rates used below, USD per million tokens (@pydantic/genai-prices data):
//   openai/gpt-4o          input 2.5   cached 1.25                 output 10
//   openai/gpt-4o-mini     input 0.15  cached 0.075                output 0.6
//   anthropic/claude-sonnet-4-0  input 3  cache write 3.75  cache read 0.3  output 15
//   anthropic/claude-sonnet-4-5  the same, and above 200k input tokens: input 6, write 7.5, read 0.6, output 22.5
//   openai/o3              since 2025-06-10: input 2, output 8; before: input 10, output 40
// A rate in USD per million tokens times a token count is a cost in micro-dollars (µ$).

const known = (usage: TokenUsage, at?: string) => {
  const cost = computeCost(usage, at ? { at: new Date(at) } : {});
  if (!cost.known) throw new Error(`expected a price: ${cost.reason}`);
  return cost;
};

describe('computeCost from the catalogue, exact to the micro-dollar', () => {
  it('plain input and output', () => {
    // 1000 × 2.5 = 2500 µ$; 200 × 10 = 2000 µ$
    const cost = known({ provider: 'openai', model: 'gpt-4o', promptTokens: 1000, completionTokens: 200 });
    expect(cost).toMatchObject({ inputMicros: 2500, outputMicros: 2000, totalMicros: 4500, totalCost: 0.0045, source: 'catalogue', pricedAs: 'openai/gpt-4o' });
  });

  it('cached input at the cache-read rate, kept exact and rounded only for display', () => {
    // uncached 1234 − 566 = 668 × 0.15 = 100.2 µ$; cached 566 × 0.075 = 42.45 µ$; input = 142.65 µ$
    // output 89 × 0.6 = 53.4 µ$; total 196.05 µ$ (rounding each side first would give 143 + 53 = 196)
    const cost = known({ provider: 'openai', model: 'gpt-4o-mini', promptTokens: 1234, cachedTokens: 566, completionTokens: 89 });
    expect([cost.inputUsd, cost.outputUsd, cost.totalUsd]).toEqual(['0.00014265', '0.0000534', '0.00019605']);
    expect([cost.inputMicros, cost.outputMicros, cost.totalMicros]).toEqual([143, 53, 196]);
    expect(cost.totalCost).toBe(0.00019605);
  });

  it('cache writes and cache reads (Anthropic)', () => {
    // prompt 62,000 = 2,000 uncached + 10,000 written + 50,000 read
    // 2000 × 3 + 10000 × 3.75 + 50000 × 0.3 = 6000 + 37500 + 15000 = 58,500 µ$; output 700 × 15 = 10,500 µ$
    const cost = known({
      provider: 'anthropic', model: 'claude-sonnet-4-20250514',
      promptTokens: 62_000, cacheWriteTokens: 10_000, cachedTokens: 50_000, completionTokens: 700,
    });
    expect([cost.inputMicros, cost.outputMicros, cost.totalMicros]).toEqual([58_500, 10_500, 69_000]);
    expect(cost.pricedAs).toBe('anthropic/claude-sonnet-4-0');
  });

  it('reasoning tokens are output tokens (at the output rate when no reasoning rate is listed)', () => {
    // input 1500 × 2 = 3000 µ$; output (5000 − 4000) × 8 + 4000 × 8 = 40,000 µ$
    const cost = known({ provider: 'openai', model: 'o3', promptTokens: 1500, completionTokens: 5000, reasoningTokens: 4000 }, '2026-01-01');
    expect([cost.inputMicros, cost.outputMicros, cost.totalMicros]).toEqual([3000, 40_000, 43_000]);
  });

  it('catalogue prices are dated: o3 before its 2025-06-10 price cut', () => {
    // 1500 × 10 = 15,000 µ$; 5000 × 40 = 200,000 µ$
    const cost = known({ provider: 'openai', model: 'o3', promptTokens: 1500, completionTokens: 5000, reasoningTokens: 4000 }, '2025-05-01');
    expect([cost.inputMicros, cost.outputMicros]).toEqual([15_000, 200_000]);
  });

  it('above 200k input tokens the whole call moves to the long-context rates', () => {
    // 250,000 input (100,000 cached): 150000 × 6 + 100000 × 0.6 = 900,000 + 60,000 = 960,000 µ$
    // output 1000 × 22.5 = 22,500 µ$; total 982,500 µ$ = $0.9825
    const above = known({ provider: 'anthropic', model: 'claude-sonnet-4-5', promptTokens: 250_000, cachedTokens: 100_000, completionTokens: 1000 });
    expect([above.inputMicros, above.outputMicros, above.totalMicros, above.longContext]).toEqual([960_000, 22_500, 982_500, true]);
    // exactly 200,000 is not above: 200000 × 3 = 600,000 µ$; 1000 × 15 = 15,000 µ$
    const at = known({ provider: 'anthropic', model: 'claude-sonnet-4-5', promptTokens: 200_000, completionTokens: 1000 });
    expect([at.inputMicros, at.outputMicros, at.longContext]).toEqual([600_000, 15_000, false]);
  });

  it('agrees with the catalogue library’s own (floating-point) arithmetic', () => {
    const cases: [TokenUsage, Record<string, number>][] = [
      [{ provider: 'openai', model: 'gpt-4o-mini', promptTokens: 123_457, cachedTokens: 99_999, completionTokens: 7_777 }, { input_tokens: 123_457, cache_read_tokens: 99_999, output_tokens: 7_777 }],
      [{ provider: 'anthropic', model: 'claude-sonnet-4-5', promptTokens: 345_678, cacheWriteTokens: 12_345, cachedTokens: 200_001, completionTokens: 4_321 }, { input_tokens: 345_678, cache_write_tokens: 12_345, cache_read_tokens: 200_001, output_tokens: 4_321 }],
    ];
    for (const [usage, libraryUsage] of cases) {
      const ours = known(usage);
      const theirs = calcPrice(libraryUsage, usage.model, { providerId: usage.provider })!;
      // Ours is theirs rounded to the micro-dollar: within half a µ$ (plus their float noise).
      expect(Math.abs(ours.inputMicros - theirs.input_price * 1e6)).toBeLessThanOrEqual(0.500001);
      expect(Math.abs(ours.outputMicros - theirs.output_price * 1e6)).toBeLessThanOrEqual(0.500001);
    }
  });
});

describe('computeCost never prices a model as another without saying so', () => {
  // OpenAI API pricing page (platform.openai.com/docs/pricing), o1-pro: $150.00/MTok input, $600.00/MTok output,
  // its price since launch (2025-03); OpenAI's dearest model by input price. The fallback of an unknown model (fallback.ts).
  it('an unknown model is estimated at its provider’s dearest model, and says why', () => {
    // The catalogue matches dated snapshots of a model, not any name that starts like one.
    expect(computeCost({ provider: 'openai', model: 'gpt-4o-but-not-really-9000x', promptTokens: 10, completionTokens: 10 }))
      .toMatchObject({ known: true, pricedAs: 'openai/o1-pro', estimate: { rule: 'dearest of provider' } });
    const unknownModel = computeCost({ provider: 'openai', model: 'house-model-7', promptTokens: 10, completionTokens: 10 });
    // 10 × 150 = 1,500 µ$ input; 10 × 600 = 6,000 µ$ output
    expect(unknownModel).toMatchObject({
      known: true, inputMicros: 1_500, outputMicros: 6_000, totalMicros: 7_500, pricedAs: 'openai/o1-pro',
      estimate: { rule: 'dearest of provider', reason: expect.stringMatching(/no price for model "house-model-7" of provider "openai"/) },
    });
  });

  it('a known model under a provider the catalogue does not know is not priced as that model, but estimated', () => {
    // An unknown provider: the dearest model of every provider, o1-pro again: 10 × 150 + 10 × 600 = 7,500 µ$ (not gpt-4o's 125 µ$).
    expect(computeCost({ provider: 'my-gateway', model: 'gpt-4o', promptTokens: 10, completionTokens: 10 }))
      .toMatchObject({ totalMicros: 7_500, pricedAs: 'openai/o1-pro', estimate: { rule: 'dearest of all providers' } });
  });

  it('a model the catalogue knows is not an estimate', () => {
    expect(computeCost({ provider: 'openai', model: 'gpt-4o', promptTokens: 10, completionTokens: 10 })).toMatchObject({ estimate: null });
  });

  it.each([
    ['negative tokens', { promptTokens: -1 }, /promptTokens must be a whole number >= 0/],
    ['NaN tokens', { completionTokens: Number.NaN }, /completionTokens must be a whole number/],
    ['fractional tokens', { promptTokens: 1.5 }, /promptTokens must be a whole number/],
    ['cache larger than the input', { cachedTokens: 900, cacheWriteTokens: 200 }, /exceed promptTokens/],
    ['reasoning larger than the output', { reasoningTokens: 101 }, /exceed completionTokens/],
    ['an empty model', { model: ' ' }, /provider and model are required/],
  ])('%s is an unknown cost with the reason, not an exception', (_name, overrides, reason) => {
    const cost = computeCost({ provider: 'openai', model: 'gpt-4o', promptTokens: 1000, completionTokens: 100, ...overrides });
    expect(cost).toMatchObject({ known: false, totalCost: null, reason: expect.stringMatching(reason) });
  });
});

describe('computeCost with model_pricing overrides', () => {
  const overrides: PriceOverride[] = [
    { provider: 'openai', model: 'gpt-4o', effectiveFrom: '2026-12-01T00:00:00Z', inputPerMtok: '2', outputPerMtok: '8' },
    { provider: 'openai', model: 'gpt-4o', effectiveFrom: '2027-01-01T00:00:00Z', inputPerMtok: '1.5', outputPerMtok: '8', cacheReadPerMtok: '0.333333' },
    {
      provider: 'acme', model: 'thinker-1', effectiveFrom: '2026-01-01T00:00:00Z',
      inputPerMtok: '1', outputPerMtok: '4', reasoningPerMtok: '12', cacheWritePerMtok: '1.25',
      longContext: { aboveInputTokens: 100_000, inputPerMtok: '2', outputPerMtok: '6' },
    },
  ];
  const gpt4o = { provider: 'OpenAI', model: 'GPT-4o', promptTokens: 1000, completionTokens: 200 };

  it('applies from its effective_from on, the latest one in force winning', () => {
    // before the first override: the catalogue, 1000 × 2.5 + 200 × 10 = 4500 µ$
    expect(computeCost(gpt4o, { overrides, at: new Date('2026-11-30T23:59:59Z') })).toMatchObject({ totalMicros: 4500, source: 'catalogue' });
    // from 2026-12-01: 1000 × 2 + 200 × 8 = 2000 + 1600 = 3600 µ$
    expect(computeCost(gpt4o, { overrides, at: new Date('2026-12-01T00:00:00Z') })).toMatchObject({
      inputMicros: 2000, outputMicros: 1600, totalMicros: 3600, source: 'override', effectiveFrom: '2026-12-01T00:00:00.000Z',
    });
    // from 2027-01-01: 1000 × 1.5 + 200 × 8 = 1500 + 1600 = 3100 µ$
    expect(computeCost(gpt4o, { overrides, at: new Date('2027-02-01T00:00:00Z') })).toMatchObject({ totalMicros: 3100, effectiveFrom: '2027-01-01T00:00:00.000Z' });
  });

  it('rates with many decimals stay exact', () => {
    // 700 uncached × 1.5 = 1050 µ$; 300 cached × 0.333333 = 99.9999 µ$ → 1149.9999 → 1150 µ$
    const cost = computeCost({ ...gpt4o, cachedTokens: 300 }, { overrides, at: new Date('2027-02-01T00:00:00Z') });
    expect(cost).toMatchObject({ inputMicros: 1150 });
  });

  it('prices a model the catalogue does not have: reasoning, cache writes and its long-context tier', () => {
    const thinker = { provider: 'acme', model: 'thinker-1' };
    // input (10000 − 2000) × 1 + 2000 × 1.25 = 8000 + 2500 = 10,500 µ$
    // output (3000 − 1000) × 4 + 1000 × 12 = 8000 + 12000 = 20,000 µ$
    expect(computeCost({ ...thinker, promptTokens: 10_000, cacheWriteTokens: 2_000, completionTokens: 3_000, reasoningTokens: 1_000 }, { overrides }))
      .toMatchObject({ inputMicros: 10_500, outputMicros: 20_000, totalMicros: 30_500, source: 'override', pricedAs: 'acme/thinker-1' });
    // above 100k input, the whole call at the long-context rates; its missing reasoning rate is its output rate:
    // input 150000 × 2 = 300,000 µ$; output 3000 × 6 = 18,000 µ$
    expect(computeCost({ ...thinker, promptTokens: 150_000, completionTokens: 3_000, reasoningTokens: 1_000 }, { overrides }))
      .toMatchObject({ inputMicros: 300_000, outputMicros: 18_000, longContext: true });
  });

  it('an override in force only later leaves an earlier call estimated, not priced at the later price', () => {
    // acme has no price in force yet and the catalogue does not know it: o1-pro (see above), 1 × 150 + 1 × 600 = 750 µ$
    expect(computeCost({ provider: 'acme', model: 'thinker-1', promptTokens: 1, completionTokens: 1 }, { overrides, at: new Date('2025-12-31T00:00:00Z') }))
      .toMatchObject({ totalMicros: 750, pricedAs: 'openai/o1-pro', estimate: { rule: 'dearest of all providers' } });
  });

  it('a malformed override is an unknown cost, not an exception', () => {
    const bad = [{ provider: 'openai', model: 'gpt-4o', effectiveFrom: '2020-01-01T00:00:00Z', inputPerMtok: 'lots', outputPerMtok: '1' }];
    expect(computeCost(gpt4o, { overrides: bad })).toMatchObject({ known: false, reason: expect.stringMatching(/invalid price override/) });
  });
});

/**
 * Golden prices, each computed by hand from the provider's published price sheet
 * (never from the catalogue package): the source and the date it was read are
 * given per group, the arithmetic per case. A rate in USD per million tokens
 * (MTok) times a token count is a cost in micro-dollars (µ$); nothing is
 * rounded, and each case is matched exactly (to the atto-dollar, well past the nano-dollar).
 *
 * Sources
 *   [A]  Anthropic, "Pricing", docs.claude.com/en/docs/about-claude/pricing, read 2025-09:
 *        cache write 5 min = 1.25 × base input, 1 h = 2 × base input, cache read = 0.1 × base input;
 *        Sonnet 4 / 4.5 $3 in / $15 out, above 200k input tokens (reads and writes counted)
 *        $6 in / $22.50 out for the whole call; Haiku 4.5 $1 / $5; Opus 4.1 $15 / $75;
 *        Message Batches: 50 % of standard.
 *   [O]  OpenAI, "Pricing", openai.com/api/pricing, read 2025-09 (Standard, Batch, Flex, Priority):
 *        gpt-4o 2.50 / cached 1.25 / out 10 (batch 1.25 / 5; priority 4.25 / 2.125 / 17);
 *        gpt-4o-mini 0.15 / 0.075 / 0.60 (batch 0.075 / 0.30); gpt-5 1.25 / 0.125 / 10
 *        (batch and flex 0.625 / 0.0625 / 5; priority 2.50 / 0.25 / 20); o3 2 / 0.50 / 8
 *        (flex 1 / 0.25 / 4); o4-mini 1.10 / 0.275 / 4.40 (flex 0.55 / 0.1375 / 2.20).
 *   [D]  DeepSeek, api-docs.deepseek.com/quick_start/pricing and its news, read 2025-10:
 *        until 2025-09-05 16:00 UTC deepseek-chat 0.27 miss / 0.07 hit / 1.10 out, 50 % off
 *        16:30–00:30 UTC (0.135 / 0.035 / 0.55); from then (V3.1, no off-peak) 0.56 / 0.07 / 1.68;
 *        from 2025-09-29 (V3.2-Exp) 0.28 / 0.028 / 0.42, chat and reasoner alike.
 */
import { describe, expect, it } from 'vitest';
import { parseExactUsd } from '../../src/sdk/money.js';
import { computeCost, type TokenUsage } from '../../src/sdk/pricing/compute.js';

interface Golden {
  name: string;
  usage: TokenUsage;
  at?: string;
  /** Exact USD, as decimal text. */
  input: string;
  output: string;
}

const anthropic = (model: string, counts: Omit<TokenUsage, 'provider' | 'model'>): TokenUsage => ({ provider: 'anthropic', model, ...counts });
const openai = (model: string, counts: Omit<TokenUsage, 'provider' | 'model'>): TokenUsage => ({ provider: 'openai', model, ...counts });
const deepseek = (model: string, counts: Omit<TokenUsage, 'provider' | 'model'>): TokenUsage => ({ provider: 'deepseek', model, ...counts });

const GOLDEN: Golden[] = [
  // ── Anthropic cache-write TTLs [A] ──
  {
    // 1,000 × 3 + 10,000 × 3.75 = 3,000 + 37,500 = 40,500; 500 × 15 = 7,500
    name: 'Sonnet 4, five-minute cache writes at 1.25 × input',
    usage: anthropic('claude-sonnet-4-20250514', { promptTokens: 11_000, cacheWriteTokens: 10_000, completionTokens: 500 }),
    input: '0.0405', output: '0.0075',
  },
  {
    // 1,000 × 3 + 10,000 × 6 = 3,000 + 60,000 = 63,000; 500 × 15 = 7,500
    name: 'Sonnet 4, one-hour cache writes at 2 × input',
    usage: anthropic('claude-sonnet-4-20250514', { promptTokens: 11_000, cacheWriteTokens: 10_000, cacheWrite1hTokens: 10_000, completionTokens: 500 }),
    input: '0.063', output: '0.0075',
  },
  {
    // 1,000 × 1 + 20,000 × 0.1 + 6,000 × 1.25 + 4,000 × 2 = 1,000 + 2,000 + 7,500 + 8,000 = 18,500; 2,000 × 5 = 10,000
    name: 'Haiku 4.5, reads and both TTLs in one call',
    usage: anthropic('claude-haiku-4-5', { promptTokens: 31_000, cachedTokens: 20_000, cacheWriteTokens: 10_000, cacheWrite1hTokens: 4_000, completionTokens: 2_000 }),
    input: '0.0185', output: '0.01',
  },
  {
    // 500 × 15 + 2,000 × 30 = 7,500 + 60,000 = 67,500; 100 × 75 = 7,500
    name: 'Opus 4.1, one-hour cache writes',
    usage: anthropic('claude-opus-4-1', { promptTokens: 2_500, cacheWriteTokens: 2_000, cacheWrite1hTokens: 2_000, completionTokens: 100 }),
    input: '0.0675', output: '0.0075',
  },
  // ── Anthropic long context [A] ──
  {
    // above 200k: 150,000 × 6 + 100,000 × 0.6 = 900,000 + 60,000 = 960,000; 2,000 × 22.5 = 45,000
    name: 'Sonnet 4 above 200k input tokens, cache reads at the long-context read rate',
    usage: anthropic('claude-sonnet-4-20250514', { promptTokens: 250_000, cachedTokens: 100_000, completionTokens: 2_000 }),
    input: '0.96', output: '0.045',
  },
  {
    // 100,000 × 6 + 150,000 × 0.6 + 30,000 × 7.5 + 20,000 × 12 = 600,000 + 90,000 + 225,000 + 240,000 = 1,155,000;
    // 1,000 × 22.5 = 22,500
    name: 'Sonnet 4 above 200k, reads and both TTLs at long-context rates',
    usage: anthropic('claude-sonnet-4-0', { promptTokens: 300_000, cachedTokens: 150_000, cacheWriteTokens: 50_000, cacheWrite1hTokens: 20_000, completionTokens: 1_000 }),
    input: '1.155', output: '0.0225',
  },
  {
    // exactly 200k is not above it: 200,000 × 3 = 600,000; 1,000 × 15 = 15,000
    name: 'Sonnet 4 at exactly 200k input tokens: standard rates',
    usage: anthropic('claude-sonnet-4-0', { promptTokens: 200_000, completionTokens: 1_000 }),
    input: '0.6', output: '0.015',
  },
  {
    // cached reads count toward the threshold: 10,000 × 6 + 200,000 × 0.6 = 60,000 + 120,000 = 180,000; 1,000 × 22.5 = 22,500
    name: 'Sonnet 4.5 above 200k, mostly cache reads',
    usage: anthropic('claude-sonnet-4-5', { promptTokens: 210_000, cachedTokens: 200_000, completionTokens: 1_000 }),
    input: '0.18', output: '0.0225',
  },
  {
    // 50 %: 100,000 × 3 / 2 = 150,000; 10,000 × 15 / 2 = 75,000
    name: 'Sonnet 4 Message Batches',
    usage: anthropic('claude-sonnet-4-0', { promptTokens: 100_000, completionTokens: 10_000, serviceTier: 'batch' }),
    input: '0.15', output: '0.075',
  },
  // ── OpenAI service tiers [O] ──
  {
    // 10,000 × 1.25 = 12,500; 2,000 × 5 = 10,000
    name: 'gpt-4o Batch',
    usage: openai('gpt-4o', { promptTokens: 10_000, completionTokens: 2_000, serviceTier: 'batch' }),
    input: '0.0125', output: '0.01',
  },
  {
    // 12,000 × 0.625 + 8,000 × 0.0625 = 7,500 + 500 = 8,000; 3,000 × 5 = 15,000 (reasoning billed as output)
    name: 'gpt-5 Batch with cached input and reasoning',
    usage: openai('gpt-5', { promptTokens: 20_000, cachedTokens: 8_000, completionTokens: 3_000, reasoningTokens: 2_000, serviceTier: 'batch' }),
    input: '0.008', output: '0.015',
  },
  {
    // 7 × 0.075 = 0.525 µ$; 3 × 0.30 = 0.9 µ$: sub-micro-dollar amounts, kept exactly (no rounding)
    name: 'gpt-4o-mini Batch, fractions of a micro-dollar kept',
    usage: openai('gpt-4o-mini', { promptTokens: 7, completionTokens: 3, serviceTier: 'batch' }),
    input: '0.000000525', output: '0.0000009',
  },
  {
    // 40,000 × 1 + 10,000 × 0.25 = 42,500; 20,000 × 4 = 80,000
    name: 'o3 flex',
    usage: openai('o3', { promptTokens: 50_000, cachedTokens: 10_000, completionTokens: 20_000, serviceTier: 'flex' }),
    at: '2026-11-01T12:00:00Z',
    input: '0.0425', output: '0.08',
  },
  {
    // 10,000 × 0.55 = 5,500; 5,000 × 2.2 = 11,000
    name: 'o4-mini flex',
    usage: openai('o4-mini', { promptTokens: 10_000, completionTokens: 5_000, serviceTier: 'flex' }),
    input: '0.0055', output: '0.011',
  },
  {
    // 60,000 × 0.625 + 40,000 × 0.0625 = 37,500 + 2,500 = 40,000; 10,000 × 5 = 50,000
    name: 'gpt-5 flex',
    usage: openai('gpt-5', { promptTokens: 100_000, cachedTokens: 40_000, completionTokens: 10_000, serviceTier: 'flex' }),
    input: '0.04', output: '0.05',
  },
  {
    // 8,000 × 2.5 + 2,000 × 0.25 = 20,000 + 500 = 20,500; 1,000 × 20 = 20,000
    name: 'gpt-5 priority',
    usage: openai('gpt-5', { promptTokens: 10_000, cachedTokens: 2_000, completionTokens: 1_000, serviceTier: 'priority' }),
    input: '0.0205', output: '0.02',
  },
  {
    // 1,000 × 4.25 = 4,250; 100 × 17 = 1,700
    name: 'gpt-4o priority',
    usage: openai('gpt-4o', { promptTokens: 1_000, completionTokens: 100, serviceTier: 'priority' }),
    input: '0.00425', output: '0.0017',
  },
  {
    // standard: 1,000 × 2.5 = 2,500; 100 × 10 = 1,000
    name: 'gpt-4o default tier: standard prices',
    usage: openai('gpt-4o', { promptTokens: 1_000, completionTokens: 100, serviceTier: 'default' }),
    input: '0.0025', output: '0.001',
  },
  // ── DeepSeek [D] ──
  {
    // 20:00 UTC was off-peak on the old sheet; no longer: 40,000 × 0.28 + 60,000 × 0.028 = 11,200 + 1,680 = 12,880;
    // 10,000 × 0.42 = 4,200
    name: 'deepseek-chat at current prices, in the old off-peak hours',
    usage: deepseek('deepseek-chat', { promptTokens: 100_000, cachedTokens: 60_000, completionTokens: 10_000 }),
    at: '2026-11-20T20:00:00Z',
    input: '0.01288', output: '0.0042',
  },
  {
    // 10,000 × 0.28 = 2,800; 20,000 × 0.42 = 8,400
    name: 'deepseek-reasoner at current prices',
    usage: deepseek('deepseek-reasoner', { promptTokens: 10_000, completionTokens: 20_000, reasoningTokens: 15_000 }),
    at: '2026-11-20T10:00:00Z',
    input: '0.0028', output: '0.0084',
  },
  {
    // V3.1 prices, no off-peak: 10,000 × 0.56 = 5,600; 1,000 × 1.68 = 1,680
    name: 'deepseek-chat between 2025-09-05 16:00 and 2025-09-29',
    usage: deepseek('deepseek-chat', { promptTokens: 10_000, completionTokens: 1_000 }),
    at: '2025-09-10T20:00:00Z',
    input: '0.0056', output: '0.00168',
  },
  {
    // before the change, off-peak still applied: 10,000 × 0.135 = 1,350; 1,000 × 0.55 = 550
    name: 'deepseek-chat off-peak before 2025-09-05 (history keeps its price)',
    usage: deepseek('deepseek-chat', { promptTokens: 10_000, completionTokens: 1_000 }),
    at: '2025-08-01T20:00:00Z',
    input: '0.00135', output: '0.00055',
  },
];

describe('golden prices, computed by hand from the providers’ sheets', () => {
  it.each(GOLDEN.map((g) => [g.name, g] as const))('%s', (_name, golden) => {
    const cost = computeCost(golden.usage, { at: new Date(golden.at ?? '2026-12-01T12:00:00Z') });
    expect(cost).toMatchObject({ known: true, estimate: null });
    if (!cost.known) return;
    const [input, output] = [parseExactUsd(golden.input)!, parseExactUsd(golden.output)!];
    expect(cost.exact).toEqual({ input, output, total: input + output });
    expect(parseExactUsd(cost.totalUsd)).toBe(input + output);
  });

  it('says which tier rule priced a call', () => {
    const batch = computeCost(openai('gpt-4o', { promptTokens: 10, completionTokens: 1, serviceTier: 'batch' }));
    expect(batch).toMatchObject({ tierRule: 'batch: 50% of standard' });
    const unlisted = computeCost(openai('gpt-4o', { promptTokens: 10, completionTokens: 1, serviceTier: 'scale' }));
    expect(unlisted).toMatchObject({ tierRule: null });
  });

  it('prices one-hour writes at 2 × input when the sheet has no one-hour rate (a model_pricing override)', () => {
    // override at Sonnet 4's published rates [A], no one-hour column: 1,000 × 3 + 1,000 × 6 = 9,000; 0 output
    const overrides = [{ provider: 'anthropic', model: 'claude-sonnet-4-0', effectiveFrom: '2025-01-01T00:00:00Z', inputPerMtok: '3', outputPerMtok: '15', cacheReadPerMtok: '0.3', cacheWritePerMtok: '3.75' }];
    const usage = anthropic('claude-sonnet-4-0', { promptTokens: 2_000, cacheWriteTokens: 1_000, cacheWrite1hTokens: 1_000, completionTokens: 0 });
    expect(computeCost(usage, { overrides })).toMatchObject({ source: 'override', inputMicros: 9_000 });
  });

  it('refuses more one-hour writes than cache writes', () => {
    const cost = computeCost(anthropic('claude-sonnet-4-0', { promptTokens: 10, cacheWriteTokens: 2, cacheWrite1hTokens: 3, completionTokens: 1 }));
    expect(cost).toMatchObject({ known: false });
  });
});

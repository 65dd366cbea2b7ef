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
 *
 * Added groups (sheets read 2026-12-05; where the provider's own page was read through a
 * stored copy, the copy is named too):
 *   [A2] Anthropic, "Pricing", platform.claude.com/docs/en/about-claude/pricing and its earlier
 *        address docs.anthropic.com/en/docs/about-claude/pricing: model table (base input / 5 m write /
 *        1 h write / cache hit / output) Opus 4.5 $5 / 6.25 / 10 / 0.50 / 25; Opus 4.1 $15 / 18.75 / 30 /
 *        1.50 / 75; Haiku 3.5 $0.80 / 1 / 1.6 / 0.08 / 4; batch table Opus 4.1 $7.50 / 37.50;
 *        long context (Sonnet 4 / 4.5, > 200K input) $6 in / $22.50 out.
 *        Extended-thinking tokens are output tokens.
 *   [O2] OpenAI, "Pricing", developers.openai.com/api/docs/pricing (= openai.com/api/pricing), read
 *        through chatgptpricing-akr.pages.dev/api-pricing and the per-model pages
 *        developers.openai.com/api/docs/models/gpt-5-nano: gpt-4.1 $2 / cached 0.50 / 8 (priority
 *        3.50 / 0.875 / 14); gpt-5-mini 0.25 / 0.025 / 2;
 *        gpt-5-nano 0.05 / 0.005 / 0.40; gpt-4o-mini cached 0.075; embeddings text-embedding-3-small
 *        $0.02 (Batch $0.01), text-embedding-3-large $0.13 (Batch $0.065), input only.
 *        Reasoning tokens are billed as output tokens.
 *   [O3] OpenAI o3 price cut of 2025-06-10 (80 %): $10 in / $40 out before, $2 / $8 from then
 *        (aitoolrate.com/blog/2025-guide-how-much-does-openais-o3-model-cost-per-generation-explained,
 *        OpenAI's sheet above for the current price).
 *   [G]  Google, "Gemini Developer API pricing", ai.google.dev/gemini-api/docs/pricing (paid tier,
 *        standard), read through deploybase.ai/articles/gemini-api-pricing-2026 and
 *        hivebook.wiki/wiki/gemini-2-5-google-s-multimodal-flagship-family: 2.5 Pro $1.25 in / $10 out
 *        for prompts <= 200k tokens, $2.50 / $15 above; 2.5 Flash $0.30 / $2.50; 2.5 Flash-Lite
 *        $0.10 / $0.40; output prices include thinking tokens.
 *   [D2] DeepSeek, api-docs.deepseek.com/quick_start/pricing-details-usd (before 2025-09-05):
 *        deepseek-chat 0.07 hit / 0.27 miss / 1.10 out, deepseek-reasoner 0.14 / 0.55 / 2.19; off-peak
 *        16:30–00:30 UTC (V3 50 % off, R1 75 % off) both 0.035 / 0.135 / 0.55 (DeepSeek's off-peak
 *        notice of 2025-02-26, as reported by techgethub.com/?p=9801: "The two models are now priced
 *        identically during off-peak hours").
 *   [M]  Mistral, "Pricing", mistral.ai/pricing (La Plateforme), read through
 *        developer.puter.com/tutorials/mistral-api-pricing and tokenmix.ai/blog/mistral-api-pricing:
 *        Codestral $0.30 in / $0.90 out; Magistral Medium $2 / $5, its reasoning billed as output.
 *        (Mistral Medium 3 is left out: the copies disagree, $0.40 / $2 against $1 / $3.)
 */
import { describe, expect, it } from 'vitest';
import { formatExact, parseExactUsd } from '../../src/sdk/money.js';
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
const mistral = (model: string, counts: Omit<TokenUsage, 'provider' | 'model'>): TokenUsage => ({ provider: 'mistral', model, ...counts });
const google = (model: string, counts: Omit<TokenUsage, 'provider' | 'model'>): TokenUsage => ({ provider: 'google', model, ...counts });

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
  },  // ── Anthropic standard, cache and batch rates [A2] ──
  {
    // 5,000 × 5 + 20,000 × 0.5 + 5,000 × 6.25 = 25,000 + 10,000 + 31,250 = 66,250; 1,000 × 25 = 25,000
    name: 'Opus 4.5, cache reads and five-minute writes',
    usage: anthropic('claude-opus-4-5', { promptTokens: 30_000, cachedTokens: 20_000, cacheWriteTokens: 5_000, completionTokens: 1_000 }),
    input: '0.06625', output: '0.025',
  },
  {
    // 3,000 × 0.8 + 2,000 × 0.08 + 4,000 × 1 + 1,000 × 1.6 = 2,400 + 160 + 4,000 + 1,600 = 8,160; 500 × 4 = 2,000
    name: 'Haiku 3.5, reads and both TTLs at its own listed rates',
    usage: anthropic('claude-3-5-haiku-latest', { promptTokens: 10_000, cachedTokens: 2_000, cacheWriteTokens: 5_000, cacheWrite1hTokens: 1_000, completionTokens: 500 }),
    input: '0.00816', output: '0.002',
  },
  {
    // 2,000 × 7.5 = 15,000; 1,000 × 37.5 = 37,500 (800 of them thinking, billed as output)
    name: 'Opus 4.1 Message Batches with extended thinking',
    usage: anthropic('claude-opus-4-1', { promptTokens: 2_000, completionTokens: 1_000, reasoningTokens: 800, serviceTier: 'batch' }),
    input: '0.015', output: '0.0375',
  },
  {
    // not above 200k: 50,000 × 3 + 100,000 × 0.3 = 150,000 + 30,000 = 180,000; 2,000 × 15 = 30,000
    name: 'Sonnet 4.5 below 200k: standard rates, cache reads at 0.1 ×',
    usage: anthropic('claude-sonnet-4-5', { promptTokens: 150_000, cachedTokens: 100_000, completionTokens: 2_000 }),
    input: '0.18', output: '0.03',
  },
  {
    // above 200k: 200,000 × 6 + 50,000 × 12 (1 h write = 2 × $6) = 1,200,000 + 600,000 = 1,800,000; 1,000 × 22.5 = 22,500
    name: 'Sonnet 4.5 above 200k with one-hour writes at 2 × the long-context input',
    usage: anthropic('claude-sonnet-4-5', { promptTokens: 250_000, cacheWriteTokens: 50_000, cacheWrite1hTokens: 50_000, completionTokens: 1_000 }),
    input: '1.8', output: '0.0225',
  },
  {
    // 1 × 0.1 / 2 = 0.05 µ$ (one cached token, batch); 1 × 5 / 2 = 2.5 µ$
    name: 'Haiku 4.5 batch, one cached token: 5 hundredths of a micro-dollar',
    usage: anthropic('claude-haiku-4-5', { promptTokens: 1, cachedTokens: 1, completionTokens: 1, serviceTier: 'batch' }),
    input: '0.00000005', output: '0.0000025',
  },
  // ── OpenAI standard rates, reasoning, dated prices, embeddings [O2] [O3] ──
  {
    // 60,000 × 2 + 40,000 × 0.5 = 120,000 + 20,000 = 140,000; 5,000 × 8 = 40,000
    name: 'gpt-4.1 with cached input',
    usage: openai('gpt-4.1', { promptTokens: 100_000, cachedTokens: 40_000, completionTokens: 5_000 }),
    input: '0.14', output: '0.04',
  },
  {
    // 10,000 × 0.25 + 10,000 × 0.025 = 2,500 + 250 = 2,750; 4,000 × 2 = 8,000 (3,000 reasoning, billed as output)
    name: 'gpt-5-mini with cached input and reasoning',
    usage: openai('gpt-5-mini', { promptTokens: 20_000, cachedTokens: 10_000, completionTokens: 4_000, reasoningTokens: 3_000 }),
    input: '0.00275', output: '0.008',
  },
  {
    // 8,000 × 3.5 + 2,000 × 0.875 = 28,000 + 1,750 = 29,750; 1,000 × 14 = 14,000
    name: 'gpt-4.1 priority',
    usage: openai('gpt-4.1', { promptTokens: 10_000, cachedTokens: 2_000, completionTokens: 1_000, serviceTier: 'priority' }),
    input: '0.02975', output: '0.014',
  },
  {
    // before the cut: 10,000 × 10 = 100,000; 2,000 × 40 = 80,000
    name: 'o3 before the 2025-06-10 price cut',
    usage: openai('o3', { promptTokens: 10_000, completionTokens: 2_000, reasoningTokens: 1_500 }),
    at: '2025-05-01T12:00:00Z',
    input: '0.1', output: '0.08',
  },
  {
    // after the cut: 10,000 × 2 = 20,000; 2,000 × 8 = 16,000
    name: 'o3 after the 2025-06-10 price cut',
    usage: openai('o3', { promptTokens: 10_000, completionTokens: 2_000, reasoningTokens: 1_500 }),
    at: '2025-06-11T12:00:00Z',
    input: '0.02', output: '0.016',
  },
  {
    // 1,234 × 0.02 = 24.68 µ$; no output tokens
    name: 'text-embedding-3-small',
    usage: openai('text-embedding-3-small', { promptTokens: 1_234, completionTokens: 0 }),
    input: '0.00002468', output: '0',
  },
  {
    // 8,191 × 0.13 = 1,064.83 µ$; no output tokens
    name: 'text-embedding-3-large, a full 8,191-token input',
    usage: openai('text-embedding-3-large', { promptTokens: 8_191, completionTokens: 0 }),
    input: '0.00106483', output: '0',
  },
  {
    // 1 × 0.02 / 2 = 0.01 µ$ = $0.00000001
    name: 'text-embedding-3-small Batch, one token: a hundredth of a micro-dollar',
    usage: openai('text-embedding-3-small', { promptTokens: 1, completionTokens: 0, serviceTier: 'batch' }),
    input: '0.00000001', output: '0',
  },
  // ── Exactness: fractions of a micro-dollar and of a nano-dollar [O2] ──
  {
    // 1 × 0.075 / 2 = 0.0375 µ$ = 37.5 n$ = $0.0000000375
    name: 'gpt-4o-mini Batch, one cached token: half a nano-dollar kept',
    usage: openai('gpt-4o-mini', { promptTokens: 1, cachedTokens: 1, completionTokens: 0, serviceTier: 'batch' }),
    input: '0.0000000375', output: '0',
  },
  {
    // 1 × 0.005 / 2 = 0.0025 µ$ = 2.5 n$ = $0.0000000025
    name: 'gpt-5-nano Batch, one cached token: 2.5 nano-dollars',
    usage: openai('gpt-5-nano', { promptTokens: 1, cachedTokens: 1, completionTokens: 0, serviceTier: 'batch' }),
    input: '0.0000000025', output: '0',
  },
  {
    // 7 × 0.10 = 0.7 µ$; 3 × 0.40 = 1.2 µ$
    name: 'Gemini 2.5 Flash-Lite, a handful of tokens',
    usage: google('gemini-2.5-flash-lite', { promptTokens: 7, completionTokens: 3 }),
    input: '0.0000007', output: '0.0000012',
  },
  // ── Google Gemini [G] ──
  {
    // <= 200k: 100,000 × 1.25 = 125,000; 5,000 × 10 = 50,000 (4,000 thinking, billed as output)
    name: 'Gemini 2.5 Pro at or below 200k, thinking billed as output',
    usage: google('gemini-2.5-pro', { promptTokens: 100_000, completionTokens: 5_000, reasoningTokens: 4_000 }),
    input: '0.125', output: '0.05',
  },
  {
    // exactly 200k is "<= 200k": 200,000 × 1.25 = 250,000; 1,000 × 10 = 10,000
    name: 'Gemini 2.5 Pro at exactly 200k: standard rates',
    usage: google('gemini-2.5-pro', { promptTokens: 200_000, completionTokens: 1_000 }),
    input: '0.25', output: '0.01',
  },
  {
    // > 200k: 300,000 × 2.5 = 750,000; 4,000 × 15 = 60,000
    name: 'Gemini 2.5 Pro above 200k: long-context rates',
    usage: google('gemini-2.5-pro', { promptTokens: 300_000, completionTokens: 4_000 }),
    input: '0.75', output: '0.06',
  },
  {
    // 10,000 × 0.3 = 3,000; 3,000 × 2.5 = 7,500 (2,500 thinking)
    name: 'Gemini 2.5 Flash with thinking',
    usage: google('gemini-2.5-flash', { promptTokens: 10_000, completionTokens: 3_000, reasoningTokens: 2_500 }),
    input: '0.003', output: '0.0075',
  },
  // ── Mistral [M] ──
  {
    // 20,000 × 0.3 = 6,000; 2,000 × 0.9 = 1,800
    name: 'Codestral 2508',
    usage: mistral('codestral-2508', { promptTokens: 20_000, completionTokens: 2_000 }),
    input: '0.006', output: '0.0018',
  },
  {
    // 5,000 × 2 = 10,000; 4,000 × 5 = 20,000 (3,000 reasoning, billed as output)
    name: 'Magistral Medium with reasoning',
    usage: mistral('magistral-medium-2509', { promptTokens: 5_000, completionTokens: 4_000, reasoningTokens: 3_000 }),
    input: '0.01', output: '0.02',
  },
  // ── DeepSeek before 2025-09-05: peak and off-peak by time of day [D2] ──
  {
    // peak (10:00 UTC): 6,000 × 0.55 + 4,000 × 0.14 = 3,300 + 560 = 3,860; 5,000 × 2.19 = 10,950
    name: 'deepseek-reasoner at peak before 2025-09-05',
    usage: deepseek('deepseek-reasoner', { promptTokens: 10_000, cachedTokens: 4_000, completionTokens: 5_000, reasoningTokens: 4_000 }),
    at: '2025-08-01T10:00:00Z',
    input: '0.00386', output: '0.01095',
  },
  {
    // off-peak (20:00 UTC), R1 75 % off as listed: 6,000 × 0.135 + 4,000 × 0.035 = 810 + 140 = 950; 5,000 × 0.55 = 2,750
    name: 'deepseek-reasoner off-peak before 2025-09-05',
    usage: deepseek('deepseek-reasoner', { promptTokens: 10_000, cachedTokens: 4_000, completionTokens: 5_000, reasoningTokens: 4_000 }),
    at: '2025-08-01T20:00:00Z',
    input: '0.00095', output: '0.00275',
  },
  {
    // 00:15 UTC is still in the 16:30–00:30 window: 10,000 × 0.135 = 1,350; 1,000 × 0.55 = 550
    name: 'deepseek-chat off-peak after midnight UTC (window wraps)',
    usage: deepseek('deepseek-chat', { promptTokens: 10_000, completionTokens: 1_000 }),
    at: '2025-08-02T00:15:00Z',
    input: '0.00135', output: '0.00055',
  },
  {
    // 00:45 UTC is peak again: 10,000 × 0.27 = 2,700; 1,000 × 1.1 = 1,100
    name: 'deepseek-chat at peak just after the window closes',
    usage: deepseek('deepseek-chat', { promptTokens: 10_000, completionTokens: 1_000 }),
    at: '2025-08-02T00:45:00Z',
    input: '0.0027', output: '0.0011',
  },
  {
    // off-peak, one cache-hit token: 1 × 0.035 = 0.035 µ$ = 35 n$
    name: 'deepseek-chat off-peak, one cache-hit token',
    usage: deepseek('deepseek-chat', { promptTokens: 1, cachedTokens: 1, completionTokens: 0 }),
    at: '2025-08-01T20:00:00Z',
    input: '0.000000035', output: '0',
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

  it('a million identical small calls sum to exactly a million times the price', () => {
    // gpt-4o-mini [O]: 10 input tokens × $0.15/MTok = 1.5 µ$ = $0.0000015 a call;
    // 1,000,000 × $0.0000015 = $1.50 exactly (a sum of doubles would drift).
    const usage = openai('gpt-4o-mini', { promptTokens: 10, completionTokens: 0 });
    const at = new Date('2026-12-01T12:00:00Z');
    const cost = computeCost(usage, { at });
    if (!cost.known) throw new Error(cost.reason);
    expect(cost.totalUsd).toBe('0.0000015');
    let sum = 0n;
    for (let i = 0; i < 1_000_000; i++) sum += cost.exact.total;
    expect(sum).toBe(parseExactUsd('1.5'));
    expect(formatExact(sum)).toBe('1.500000');
    expect(sum).toBe(parseExactUsd('0.0000015')! * 1_000_000n);
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

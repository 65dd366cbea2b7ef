import { describe, expect, it } from 'vitest';
import { computeCost } from '../../src/sdk/pricing/compute.js';
import { checkUsageEvent, toUsageRow, type UsageEvent } from '../../src/sdk/usage-event.js';
import { usageCall } from '../support/fixtures.js';

const call = usageCall('req-1');

describe('checkUsageEvent', () => {
  it('accepts a call and fills the defaults', () => {
    const checked = checkUsageEvent({ ...call, latencyMs: 812.6 });
    expect(checked).toMatchObject({
      ok: true,
      event: { cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, success: true, latencyMs: 813, tier: null, createdAt: '2026-11-20T12:00:00.000Z' },
    });
  });

  it.each([
    ['negative tokens', { promptTokens: -1 }, /^promptTokens: must be >= 0/],
    ['NaN tokens', { completionTokens: Number.NaN }, /^completionTokens: /],
    ['fractional tokens', { promptTokens: 10.5 }, /^promptTokens: must be a whole number/],
    ['tokens past the integer column', { promptTokens: 2 ** 31 }, /^promptTokens: /],
    ['an empty model', { model: '  ' }, /^model: must not be empty/],
    ['a missing request id', { requestId: undefined }, /^requestId: /],
    ['a 10k-character user id', { userId: 'u'.repeat(10_000) }, /^userId: must be at most 255 characters/],
    ['cache larger than the prompt', { cachedTokens: 800, cacheWriteTokens: 201 }, /^cachedTokens: .*exceed promptTokens/],
    ['reasoning larger than the completion', { reasoningTokens: 201 }, /^reasoningTokens: exceed completionTokens/],
    ['a negative cost', { inputCost: -0.01 }, /^inputCost: must be >= 0/],
    ['an infinite cost', { totalCost: Number.POSITIVE_INFINITY }, /^totalCost: /],
    ['a total that is not input + output', { inputCost: 0.1, outputCost: 0.2, totalCost: 0.31 }, /^totalCost: differs from inputCost \+ outputCost/],
    ['an unreadable date', { createdAt: 'yesterday-ish' }, /^createdAt: must be a Date or an ISO timestamp/],
    ['metadata that is not JSON', { metadata: { big: 10n } }, /^metadata: must be JSON-serialisable/],
    ['metadata over 32 KiB', { metadata: { blob: 'x'.repeat(40_000) } }, /^metadata: is \d+ bytes as JSON; at most 32768/],
    ['a cost past the numeric(14,6) column', { totalCost: 100_000_000 }, /^totalCost: must be at most 99999999.999999/],
    ['a NUL in a model name', { model: 'gpt\u00004o' }, /^model: must not contain NUL characters/],
    ['an unpaired surrogate in a user id', { userId: 'user-\ud800' }, /^userId: must not contain NUL characters or unpaired surrogates/],
    ['a NUL deep in metadata', { metadata: { nested: [{ note: 'a\u0000b' }] } }, /^metadata: must not contain NUL/],
    ['an unpaired surrogate in a metadata key', { metadata: { ['\udc00key']: 1 } }, /^metadata: must not contain NUL/],
    ['a date past year 9999', { createdAt: new Date(Date.UTC(10_000, 0, 1)) }, /^createdAt: must be within the years 0001 to 9999, got 10000/],
    ['Postgres infinity', { createdAt: 'infinity' }, /^createdAt: must be a Date or an ISO timestamp/],
  ])('refuses %s with a reason', (_name, overrides, reason) => {
    const checked = checkUsageEvent({ ...call, ...overrides });
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toMatch(reason);
  });

  it('keeps what Postgres stores and the sync sanitises: emoji, control characters, commas, the largest cost', () => {
    const checked = checkUsageEvent({ ...call, model: 'gpt-4o, preview 🚀\u0007', agentName: 'a\tb\u001b[31m', metadata: { '🚀': 'x\u0001' }, totalCost: 99_999_999.999999 });
    expect(checked).toMatchObject({ ok: true, event: { model: 'gpt-4o, preview 🚀\u0007', agentName: 'a\tb\u001b[31m' } });
  });

  it.each([null, undefined, 42, 'a string', []])('refuses %j without throwing', (input) => {
    expect(checkUsageEvent(input)).toMatchObject({ ok: false, reason: expect.any(String) });
  });

  it('0.1 + 0.2 is 0.3 when the caller gives costs', () => {
    expect(checkUsageEvent({ ...call, inputCost: 0.1, outputCost: 0.2, totalCost: 0.3 }).ok).toBe(true);
  });
});

describe('toUsageRow', () => {
  const event = (overrides: Partial<UsageEvent> = {}) => {
    const checked = checkUsageEvent({ ...call, ...overrides });
    if (!checked.ok) throw new Error(checked.reason);
    return checked.event;
  };

  it('writes priced costs as exact decimal text and notes where they came from', () => {
    const e = event({ metadata: { feature: 'summary', pricing: 'mine' } });
    const row = toUsageRow(e, computeCost(e, { at: new Date(e.createdAt) }));
    expect(row).toMatchObject({
      request_id: 'req-1', service_type: 'workflow', prompt_tokens: 1000, completion_tokens: 200,
      input_cost: '0.002500', output_cost: '0.002000', total_cost: '0.004500',
      created_at: '2026-11-20T12:00:00.000Z',
      metadata: { feature: 'summary', pricing: { source: 'catalogue', priced_as: 'openai/gpt-4o' } },
    });
  });

  it('stores the service tier and the one-hour cache writes in metadata, and prices by them', () => {
    const e = event({ serviceTier: 'batch' });
    const row = toUsageRow(e, computeCost(e, { at: new Date(e.createdAt) }));
    // gpt-4o Batch (openai.com/api/pricing, 2025-09): 1000 × 1.25 = 1250 µ$; 200 × 5 = 1000 µ$
    expect(row).toMatchObject({
      input_cost: '0.001250', output_cost: '0.001000',
      metadata: { service_tier: 'batch', pricing: { source: 'catalogue', service_tier_rule: 'batch: 50% of standard' } },
    });
    const cached = event({ provider: 'anthropic', model: 'claude-sonnet-4-0', cacheWriteTokens: 500, cacheWrite1hTokens: 300 });
    expect(toUsageRow(cached, 'given').metadata).toMatchObject({ cache_write_1h_tokens: 300 });
    expect(checkUsageEvent({ ...call, cacheWriteTokens: 1, cacheWrite1hTokens: 2 })).toMatchObject({ ok: false });
  });

  it('keeps the caller’s costs exactly, below the micro-dollar too', () => {
    const row = toUsageRow(event({ inputCost: 0.0000015, outputCost: 0.25 }), 'given');
    expect(row).toMatchObject({ input_cost: '0.0000015', output_cost: '0.250000', total_cost: null, metadata: { pricing: { source: 'given' } } });
  });

  it('writes an unknown model at its fallback price, flagged as estimated, with the model that priced it', () => {
    const e = event({ model: 'house-model-7' });
    const row = toUsageRow(e, computeCost(e, { at: new Date(e.createdAt) }));
    // OpenAI API pricing page, o1-pro $150.00/MTok input, $600.00/MTok output (since 2025-03):
    // 1000 × 150 = 150,000 µ$; 200 × 600 = 120,000 µ$
    expect(row).toMatchObject({
      input_cost: '0.150000', output_cost: '0.120000', total_cost: '0.270000', cost_estimated: true,
      metadata: { pricing: { source: 'estimated', priced_as: 'openai/o1-pro', fallback: 'dearest of provider', reason: expect.stringContaining('house-model-7') } },
    });
  });

  it('a given cost and a priced one are never estimated', () => {
    expect(toUsageRow(event({ model: 'house-model-7', totalCost: 0.01 }), 'given').cost_estimated).toBe(false);
    const e = event();
    expect(toUsageRow(e, computeCost(e, { at: new Date(e.createdAt) })).cost_estimated).toBe(false);
  });

  it('writes invalid usage as null costs with the reason', () => {
    const row = toUsageRow(event(), { known: false, inputCost: null, outputCost: null, totalCost: null, reason: 'invalid usage: x' });
    expect(row).toMatchObject({ total_cost: null, cost_estimated: false, metadata: { pricing: { source: 'unknown', reason: 'invalid usage: x' } } });
  });
});

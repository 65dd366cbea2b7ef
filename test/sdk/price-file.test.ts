import { describe, expect, it } from 'vitest';
import { checkPriceFile } from '../../src/sdk/pricing/price-file.js';

const FROM = '2026-12-01T00:00:00.000Z';

describe('the --apply price file', () => {
  it('becomes model_pricing rows, names lower-cased, rates as decimal text', () => {
    const checked = checkPriceFile([{ provider: ' OpenAI ', model: 'GPT-4o', input_per_mtok: 2.5, output_per_mtok: '10',
      long_context: { above_input_tokens: 200_000, input_per_mtok: '5', output_per_mtok: '15' } }], FROM);
    expect(checked).toEqual({ ok: true, rows: [expect.objectContaining({
      provider: 'openai', model: 'gpt-4o', effective_from: FROM, input_per_mtok: '2.5', output_per_mtok: '10', cache_read_per_mtok: null,
      long_context_threshold_tokens: 200_000, long_context_input_per_mtok: '5', notes: null,
    })] });
  });

  it.each([
    ['not an array', { provider: 'openai' }, 'file'],
    ['empty', [], 'at least one'],
    ['a negative rate', [{ provider: 'openai', model: 'x', input_per_mtok: '-1', output_per_mtok: '1' }], '0.input_per_mtok'],
    ['not a number', [{ provider: 'openai', model: 'x', input_per_mtok: 'cheap', output_per_mtok: '1' }], '0.input_per_mtok'],
    ['an unknown key (no secrets ride along)', [{ provider: 'openai', model: 'x', input_per_mtok: '1', output_per_mtok: '1', api_key: 'sk-1' }], 'api_key'],
    ['a model twice', [{ provider: 'openai', model: 'x', input_per_mtok: '1', output_per_mtok: '1' }, { provider: 'OpenAI', model: 'X', input_per_mtok: '2', output_per_mtok: '2' }], 'twice'],
  ])('refuses %s', (_name, json, reason) => {
    const checked = checkPriceFile(json, FROM);
    expect(checked).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
    if (!checked.ok) expect(checked.reason).not.toContain('sk-1');
  });
});

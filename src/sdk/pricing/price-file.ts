/**
 * The JSON file `npm run prices -- --apply FILE --effective-from DATE` reads:
 * prices to add to model_pricing, checked here in full before anything is
 * written. Rates are USD per million tokens, as decimal strings or numbers.
 *
 *   [{ "provider": "deepseek", "model": "deepseek-chat", "input_per_mtok": "0.28",
 *      "output_per_mtok": "0.42", "cache_read_per_mtok": "0.028", "notes": "api-docs.deepseek.com, 2025-09-29" }]
 */
import { z } from 'zod';
import type { ModelPricingRow } from '../../supabase/price-store.js';
import { parseRate } from '../money.js';

const rate = z
  .union([z.string(), z.number()])
  .refine((v) => parseRate(v) !== undefined, 'must be a non-negative decimal (USD per million tokens)')
  .refine((v) => Number(v) < 10_000_000, 'must be below 10,000,000 (the column is numeric(16,9))')
  .transform(String);
const optionalRate = rate.nullish().transform((v) => v ?? null);
const name = (max: number) => z.string().trim().toLowerCase().pipe(z.string().min(1, 'must not be empty').max(max));

const entry = z
  .object({
    provider: name(100),
    model: name(200),
    input_per_mtok: rate,
    output_per_mtok: rate,
    cache_read_per_mtok: optionalRate,
    cache_write_per_mtok: optionalRate,
    reasoning_per_mtok: optionalRate,
    long_context: z
      .object({
        above_input_tokens: z.number().int().min(1).max(2_147_483_647),
        input_per_mtok: rate,
        output_per_mtok: rate,
        cache_read_per_mtok: optionalRate,
        cache_write_per_mtok: optionalRate,
        reasoning_per_mtok: optionalRate,
      })
      .strict()
      .nullish(),
    notes: z.string().max(2000).nullish(),
  })
  .strict();

export const priceFileSchema = z.array(entry).min(1, 'must list at least one price');

export type PriceFileCheck = { ok: true; rows: ModelPricingRow[] } | { ok: false; reason: string };

/** The file's prices as rows in force from `effectiveFrom` (an ISO instant); never throws. */
export function checkPriceFile(json: unknown, effectiveFrom: string): PriceFileCheck {
  const parsed = priceFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.length > 0 ? issue.path.join('.') : 'file'}: ${issue.message}` };
  }
  const seen = new Set<string>();
  for (const e of parsed.data) {
    const key = `${e.provider}/${e.model}`;
    if (seen.has(key)) return { ok: false, reason: `${key} is listed twice` };
    seen.add(key);
  }
  return {
    ok: true,
    rows: parsed.data.map((e) => ({
      provider: e.provider,
      model: e.model,
      effective_from: effectiveFrom,
      input_per_mtok: e.input_per_mtok,
      output_per_mtok: e.output_per_mtok,
      cache_read_per_mtok: e.cache_read_per_mtok,
      cache_write_per_mtok: e.cache_write_per_mtok,
      reasoning_per_mtok: e.reasoning_per_mtok,
      long_context_threshold_tokens: e.long_context?.above_input_tokens ?? null,
      long_context_input_per_mtok: e.long_context?.input_per_mtok ?? null,
      long_context_output_per_mtok: e.long_context?.output_per_mtok ?? null,
      long_context_cache_read_per_mtok: e.long_context?.cache_read_per_mtok ?? null,
      long_context_cache_write_per_mtok: e.long_context?.cache_write_per_mtok ?? null,
      long_context_reasoning_per_mtok: e.long_context?.reasoning_per_mtok ?? null,
      notes: e.notes ?? null,
    })),
  };
}

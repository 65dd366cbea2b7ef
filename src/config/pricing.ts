/**
 * Pricing: what a call on a model the price catalogue does not know is counted
 * at until it is priced. By default the provider's dearest known model (see
 * src/sdk/pricing/fallback.ts); PRICING_FALLBACK_MODELS names another model per
 * provider. Checked against the catalogue bundled with @pydantic/genai-prices
 * (never fetched), so a typo stops the program at start instead of pricing
 * every unknown call at nothing.
 */
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { z } from 'zod';
import type { Parsed } from './fields.js';

/** The key of PRICING_FALLBACK_MODELS for providers the catalogue does not know. */
export const ANY_PROVIDER = '*';

/** A model of the catalogue to price unknown calls at. */
export interface FallbackModel {
  provider: string;
  model: string;
}

/** By catalogue provider id (lower case), and ANY_PROVIDER for providers it does not know. */
export type FallbackModels = Readonly<Record<string, FallbackModel>>;

export interface PricingConfig {
  /** Configured fallbacks; a provider not listed falls back to its dearest known model. */
  fallbackModels: FallbackModels;
  /** verify warns when the bundled catalogue's data is older than this. */
  catalogueMaxAgeDays: number;
}

export const DEFAULT_CATALOGUE_MAX_AGE_DAYS = 60;

const EXAMPLE = 'e.g. openai=gpt-4.1,anthropic=claude-opus-4-1 (and *=openai/gpt-4.1 for providers the catalogue does not know)';

/** The catalogue's id of a provider name ("xai" is "x-ai"), or undefined when it does not know it. */
export function catalogueProviderId(provider: string): string | undefined {
  return findProvider({ providerId: provider.trim() })?.id;
}

/** Why `model` cannot be a fallback for `provider`, if it cannot. */
function unknownModel(provider: string, model: string): string | undefined {
  const priced = calcPrice({}, model, { providerId: provider });
  if (!priced || priced.provider.id !== provider) return `${JSON.stringify(model)} is not a model of ${provider} in the price catalogue (@pydantic/genai-prices)`;
  const price = priced.model_price;
  if (price.input_mtok === undefined || price.output_mtok === undefined) return `${JSON.stringify(model)} of ${provider} has no input and output token price`;
  return undefined;
}

/** One `provider=model` entry (or `*=provider/model`), checked against the catalogue. */
function parseEntry(entry: string): { key: string; fallback: FallbackModel } | string {
  const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry.trim());
  if (!match) return `${JSON.stringify(entry)} is not provider=model; ${EXAMPLE}`;
  const [, name, value] = match as unknown as [string, string, string];
  let providerName = name;
  let model = value;
  if (name === ANY_PROVIDER) {
    const slash = value.indexOf('/');
    if (slash < 1) return `${ANY_PROVIDER} takes provider/model, e.g. *=openai/gpt-4.1`;
    providerName = value.slice(0, slash);
    model = value.slice(slash + 1);
  }
  const provider = catalogueProviderId(providerName);
  if (!provider) return `provider ${JSON.stringify(providerName)} is not in the price catalogue (@pydantic/genai-prices); use its id, e.g. openai, anthropic, google`;
  const problem = unknownModel(provider, model);
  if (problem) return `${problem}; name a model it prices, ${EXAMPLE}`;
  return { key: name === ANY_PROVIDER ? ANY_PROVIDER : provider, fallback: { provider, model } };
}

const fallbackModels = z
  .string()
  .optional()
  .transform((text, ctx): FallbackModels => {
    const result: Record<string, FallbackModel> = {};
    for (const entry of (text ?? '').split(',').filter((e) => e.trim() !== '')) {
      const parsed = parseEntry(entry);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      if (result[parsed.key]) {
        ctx.addIssue({ code: 'custom', message: `names ${parsed.key} twice; give one model per provider, ${EXAMPLE}` });
        return z.NEVER;
      }
      result[parsed.key] = parsed.fallback;
    }
    return result;
  });

export const pricingVariables = {
  PRICING_FALLBACK_MODELS: fallbackModels,
  PRICING_CATALOGUE_MAX_AGE_DAYS: z.coerce.number().int('must be a whole number of days').min(1, 'must be at least 1').max(3650).default(DEFAULT_CATALOGUE_MAX_AGE_DAYS),
};

export const pricingConfig = (e: Parsed<typeof pricingVariables>): PricingConfig => ({
  fallbackModels: e.PRICING_FALLBACK_MODELS,
  catalogueMaxAgeDays: e.PRICING_CATALOGUE_MAX_AGE_DAYS,
});

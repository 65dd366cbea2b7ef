/**
 * What `npm run prices` asks of the database (20261205001000_service_tier.sql):
 * the models the logs have seen, and model_pricing rows to add.
 */
import { z } from 'zod';
import { callFunction, type JsonValue, type SqlFunctionTransport } from './transport.js';

const modelsSeen = z.array(z.object({ provider: z.string(), model: z.string(), calls: z.number().int() }));
const applied = z.object({ inserted: z.number().int(), existing: z.number().int() });

/** A model_pricing row, keyed like the table's columns. */
export interface ModelPricingRow {
  provider: string;
  model: string;
  effective_from: string;
  input_per_mtok: string;
  output_per_mtok: string;
  cache_read_per_mtok: string | null;
  cache_write_per_mtok: string | null;
  reasoning_per_mtok: string | null;
  long_context_threshold_tokens: number | null;
  long_context_input_per_mtok: string | null;
  long_context_output_per_mtok: string | null;
  long_context_cache_read_per_mtok: string | null;
  long_context_cache_write_per_mtok: string | null;
  long_context_reasoning_per_mtok: string | null;
  notes: string | null;
}

export type ModelSeen = z.output<typeof modelsSeen>[number];

export interface PriceStore {
  modelsSeen(from: string): Promise<ModelSeen[]>;
  /** Adds the rows; one already there for (provider, model, effective_from) is left as it is. */
  applyModelPricing(rows: readonly ModelPricingRow[]): Promise<{ inserted: number; existing: number }>;
}

export function createPriceStore(transport: SqlFunctionTransport): PriceStore {
  return {
    modelsSeen: (from) => callFunction(transport, 'tokensync_models_seen', { p_from: from }, modelsSeen),
    applyModelPricing: (rows) =>
      callFunction(transport, 'tokensync_apply_model_pricing', { p_rows: rows as unknown as JsonValue }, applied),
  };
}

/**
 * What `npm run prices` asks of the database (20261205001000_service_tier.sql):
 * the models the logs have seen, and model_pricing rows to add.
 */
import { z } from 'zod';
import { callFunction, type JsonValue, type SqlFunctionTransport } from './transport.js';
import type { ModelPricingRow } from '../sdk/pricing/price-file.js';

const modelsSeen = z.array(z.object({ provider: z.string(), model: z.string(), calls: z.number().int() }));
const applied = z.object({ inserted: z.number().int(), existing: z.number().int() });

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

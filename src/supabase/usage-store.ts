/**
 * What the tracking SDK and `npm run recost` ask of the database, as typed calls
 * to the SQL functions of 20261123000600_model_pricing.sql (as redefined by
 * later migrations), over either transport.
 */
import { z } from 'zod';
import { callFunction, type JsonValue, type SqlFunctionTransport } from './transport.js';

/** One token_usage_logs row as the SDK writes it (snake_case, costs as exact decimal text). */
export interface UsageRow {
  request_id: string;
  created_at: string;
  organization_id: string | null;
  user_id: string | null;
  session_id: string | null;
  tier: string | null;
  service_type: string;
  agent_id: string | null;
  agent_name: string | null;
  workflow_id: string | null;
  workflow_step: string | null;
  feature: string | null;
  provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  input_cost: string | null;
  output_cost: string | null;
  total_cost: string | null;
  /** The cost is a stand-in: the model had no price and was priced as a fallback. */
  cost_estimated: boolean;
  latency_ms: number | null;
  success: boolean;
  error_type: string | null;
  metadata: { [key: string]: JsonValue };
}

const recordResult = z.object({ inserted: z.number().int(), duplicates: z.number().int() });
export type RecordUsageResult = z.infer<typeof recordResult>;

const decimalText = z.string().nullable();

const recostRow = z
  .object({
    id: z.string(),
    created_at: z.string(),
    provider: z.string(),
    model: z.string(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    cached_tokens: z.number().int(),
    cache_write_tokens: z.number().int(),
    reasoning_tokens: z.number().int(),
    input_cost: decimalText,
    output_cost: decimalText,
    total_cost: decimalText,
    cost_estimated: z.boolean(),
    pricing_source: z.string().nullable(),
    usage_estimated: z.boolean(),
    // Absent before 20261205001000: such rows are priced as standard, five-minute writes.
    service_tier: z.string().nullable().optional(),
    cache_write_1h_tokens: z.number().int().min(0).nullable().optional(),
  })
  .transform((r) => ({
    id: r.id,
    createdAt: r.created_at,
    provider: r.provider,
    model: r.model,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    cachedTokens: r.cached_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    ...(r.cache_write_1h_tokens ? { cacheWrite1hTokens: r.cache_write_1h_tokens } : {}),
    ...(r.service_tier ? { serviceTier: r.service_tier } : {}),
    reasoningTokens: r.reasoning_tokens,
    inputCost: r.input_cost,
    outputCost: r.output_cost,
    totalCost: r.total_cost,
    costEstimated: r.cost_estimated,
    pricingSource: r.pricing_source,
    usageEstimated: r.usage_estimated,
  }));
export type RecostRow = z.output<typeof recostRow>;

const recostPage = z.object({ rows: z.array(recostRow), has_more: z.boolean() });

/** Position after the last row read: rows are ordered by (created_at, id). */
export interface CreatedCursor {
  createdAt: string;
  id: string;
}

export interface RecostQuery {
  from: string;
  to?: string | undefined;
  model?: string | undefined;
  after: CreatedCursor | null;
  limit: number;
}

export interface CostUpdate {
  id: string;
  input_cost: string | null;
  output_cost: string | null;
  total_cost: string | null;
  cost_estimated: boolean;
  pricing: { [key: string]: JsonValue };
}

export interface UsageStore {
  readonly transport: SqlFunctionTransport['kind'];
  /** Inserts rows; a request_id already stored is skipped and counted as a duplicate. */
  recordUsage(rows: readonly UsageRow[]): Promise<RecordUsageResult>;
  /** Every model_pricing row (validated by the caller's schema). */
  modelPricing(): Promise<unknown[]>;
  usageToRecost(query: RecostQuery): Promise<{ rows: RecostRow[]; hasMore: boolean }>;
  /** Writes the costs that differ; returns how many rows changed. */
  applyCosts(updates: readonly CostUpdate[]): Promise<number>;
}

export function createUsageStore(transport: SqlFunctionTransport): UsageStore {
  return {
    transport: transport.kind,

    recordUsage: (rows) =>
      callFunction(transport, 'tokensync_record_usage', { p_rows: rows as unknown as JsonValue }, recordResult),

    modelPricing: () => callFunction(transport, 'tokensync_model_pricing', {}, z.array(z.unknown())),

    async usageToRecost(query) {
      const page = await callFunction(
        transport,
        'tokensync_usage_to_recost',
        {
          p_from: query.from,
          p_to: query.to ?? null,
          p_model: query.model ?? null,
          p_after_created_at: query.after?.createdAt ?? null,
          p_after_id: query.after?.id ?? null,
          p_limit: query.limit,
        },
        recostPage,
      );
      return { rows: page.rows, hasMore: page.has_more };
    },

    async applyCosts(updates) {
      const result = await callFunction(
        transport,
        'tokensync_apply_costs',
        { p_costs: updates as unknown as JsonValue },
        z.object({ updated: z.number().int() }),
      );
      return result.updated;
    },
  };
}

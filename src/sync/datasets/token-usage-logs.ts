import { z } from 'zod';
import { tokenUsageLogs } from '../../notion/catalogue/token-usage-logs.js';
import { baseRow, defineDataset, nonNegative, numeric } from './types.js';

const count = z.number().int().nonnegative();

export const tokenUsageLogsDataset = defineDataset({
  spec: tokenUsageLogs,
  windowed: true,
  schema: z.object({
    ...baseRow,
    request_id: z.string().min(1),
    organization_id: z.string().nullable(),
    user_id: z.string().nullable(),
    session_id: z.string().nullable(),
    tier: z.string().nullable(),
    service_type: z.string().min(1),
    agent_id: z.string().nullable(),
    agent_name: z.string().nullable(),
    workflow_id: z.string().nullable(),
    workflow_step: z.string().nullable(),
    provider: z.string().min(1),
    model: z.string().min(1),
    prompt_tokens: count,
    completion_tokens: count,
    cached_tokens: count,
    cache_write_tokens: count,
    reasoning_tokens: count,
    total_tokens: count.nullable(),
    input_cost: nonNegative.nullable(),
    output_cost: nonNegative.nullable(),
    total_cost: nonNegative.nullable(),
    latency_ms: numeric.nullable(),
    success: z.boolean(),
    error_type: z.string().nullable(),
    metadata: z.unknown(),
  }),
  values: (row) => ({
    ...row,
    metadata: row.metadata === null || row.metadata === undefined ? null : JSON.stringify(row.metadata),
    tokens_per_second: row.latency_ms && row.latency_ms > 0 ? row.completion_tokens / (row.latency_ms / 1000) : null,
  }),
});

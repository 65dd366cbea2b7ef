import { z } from 'zod';
import { servicePerformanceMetrics } from '../../notion/catalogue/service-performance-metrics.js';
import { baseRow, defineDataset, nonNegative, numeric } from './types.js';

export const servicePerformanceMetricsDataset = defineDataset({
  ageColumn: 'metric_date',
  byDay: true,
  spec: servicePerformanceMetrics,
  schema: z.object({
    ...baseRow,
    metric_date: z.string(),
    service_type: z.string().min(1),
    total_requests: nonNegative,
    successful_requests: nonNegative,
    failed_requests: nonNegative,
    success_rate: numeric,
    prompt_tokens: nonNegative,
    completion_tokens: nonNegative,
    total_tokens: nonNegative,
    total_cost: nonNegative,
    avg_cost_per_request: nonNegative,
    avg_latency_ms: numeric.nullable(),
    p95_latency_ms: numeric.nullable(),
    unique_users: nonNegative,
    unique_sessions: nonNegative,
  }),
  values: (row) => ({ ...row, name: `${row.metric_date} · ${row.service_type}` }),
});

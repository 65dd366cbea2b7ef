import { z } from 'zod';
import { workflowAnalytics } from '../../notion/catalogue/workflow-analytics.js';
import { baseRow, defineDataset, nonNegative, numeric } from './types.js';

export const workflowAnalyticsDataset = defineDataset({
  ageColumn: 'metric_date',
  byDay: true,
  spec: workflowAnalytics,
  schema: z.object({
    ...baseRow,
    metric_date: z.string(),
    workflow_id: z.string().min(1),
    workflow_step: z.string().nullable(),
    executions: nonNegative,
    successful_executions: nonNegative,
    failed_executions: nonNegative,
    success_rate: numeric,
    avg_duration_ms: numeric.nullable(),
    p95_duration_ms: numeric.nullable(),
    total_tokens: nonNegative,
    total_cost: nonNegative,
    avg_cost_per_execution: nonNegative,
    unique_sessions: nonNegative,
  }),
  values: (row) => ({
    ...row,
    name: [row.metric_date, row.workflow_id, row.workflow_step].filter(Boolean).join(' · '),
  }),
});

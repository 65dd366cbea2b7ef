import { z } from 'zod';
import { dailyCosts } from '../../notion/catalogue/daily-costs.js';
import { baseRow, defineDataset, nonNegative } from './types.js';

export const dailyCostsDataset = defineDataset({
  // Dated by the day it describes: the page budget gives up the oldest days first, whole.
  ageColumn: 'metric_date',
  byDay: true,
  spec: dailyCosts,
  schema: z.object({
    ...baseRow,
    metric_date: z.string(),
    service_type: z.string().min(1),
    provider: z.string().min(1),
    model: z.string().min(1),
    requests: nonNegative,
    failed_requests: nonNegative,
    unpriced_requests: nonNegative,
    prompt_tokens: nonNegative,
    completion_tokens: nonNegative,
    cached_tokens: nonNegative,
    total_tokens: nonNegative,
    input_cost: nonNegative,
    output_cost: nonNegative,
    total_cost: nonNegative,
  }),
  values: (row) => ({ ...row, name: [row.metric_date, row.service_type, row.provider, row.model].join(' · ') }),
});

import { z } from 'zod';
import { costAlerts } from '../../notion/catalogue/cost-alerts.js';
import { baseRow, defineDataset, nonNegative, numeric } from './types.js';

export const costAlertsDataset = defineDataset({
  spec: costAlerts,
  schema: z.object({
    ...baseRow,
    entity_type: z.string().min(1),
    entity_id: z.string().min(1),
    period: z.string().min(1),
    period_start: z.string(),
    threshold_pct: numeric,
    amount_spent: nonNegative,
    limit_amount: nonNegative,
    severity: z.string().min(1),
    message: z.string(),
    late: z.boolean(),
    acknowledged: z.boolean(),
    acknowledged_by: z.string().nullable(),
    acknowledged_at: z.string().nullable(),
  }),
  values: (row) => ({
    ...row,
    title: `${row.severity}: ${row.entity_type} ${row.entity_id} reached ${row.threshold_pct}% of its ${row.period} limit`,
    // Stored as a percentage (90); Notion's percent format shows a fraction (0.9) as 90%.
    threshold_pct: row.threshold_pct / 100,
  }),
});

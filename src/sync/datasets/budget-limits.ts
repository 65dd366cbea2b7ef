import { z } from 'zod';
import { budgetLimits } from '../../notion/catalogue/budget-limits.js';
import { baseRow, defineDataset, nonNegative } from './types.js';

export const budgetLimitsDataset = defineDataset({
  spec: budgetLimits,
  schema: z.object({
    ...baseRow,
    entity_type: z.string().min(1),
    entity_id: z.string().min(1),
    daily_limit: nonNegative.nullable(),
    monthly_limit: nonNegative.nullable(),
    session_limit: nonNegative.nullable(),
    alert_thresholds: z.array(z.number()),
    breach_action: z.string(),
    is_active: z.boolean(),
    description: z.string().nullable(),
    // From tokensync.budget_spend (the budgets job refreshes it); null until its first run.
    daily_spend: nonNegative.nullable(),
    monthly_spend: nonNegative.nullable(),
    daily_utilisation: nonNegative.nullable(),
    monthly_utilisation: nonNegative.nullable(),
    grace_pct: nonNegative,
    fail_mode: z.enum(['open', 'closed']),
    // The agent's open pause (agent limits only), joined by tokensync.budget_limits_synced.
    paused_until: z.string().nullable(),
    pause_reason: z.string().nullable(),
  }),
  values: (row) => ({
    ...row,
    name: `${row.entity_type} · ${row.entity_id}`,
    alert_thresholds: row.alert_thresholds.map((t) => `${t}%`).join(', '),
  }),
});

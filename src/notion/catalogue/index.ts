/** The six databases tokensync provisions, in the order they are created. */
import type { Dataset } from '../../datasets.js';
import { budgetLimits } from './budget-limits.js';
import { costAlerts } from './cost-alerts.js';
import { dailyCosts } from './daily-costs.js';
import { servicePerformanceMetrics } from './service-performance-metrics.js';
import { tokenUsageLogs } from './token-usage-logs.js';
import type { DatabaseSpec } from './types.js';
import { workflowAnalytics } from './workflow-analytics.js';

export * from './types.js';

export const CATALOGUE: readonly DatabaseSpec[] = [
  tokenUsageLogs,
  budgetLimits,
  costAlerts,
  servicePerformanceMetrics,
  workflowAnalytics,
  dailyCosts,
];

export function specOf(dataset: Dataset): DatabaseSpec {
  const spec = CATALOGUE.find((s) => s.dataset === dataset);
  if (!spec) throw new Error(`no catalogue entry for dataset ${dataset}`);
  return spec;
}

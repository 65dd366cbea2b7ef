/** Every dataset the engine syncs; another is one new file and one line here. */
import type { Dataset } from '../../datasets.js';
import { budgetLimitsDataset } from './budget-limits.js';
import { costAlertsDataset } from './cost-alerts.js';
import { dailyCostsDataset } from './daily-costs.js';
import { servicePerformanceMetricsDataset } from './service-performance-metrics.js';
import { tokenUsageLogsDataset } from './token-usage-logs.js';
import type { DatasetDefinition } from './types.js';
import { workflowAnalyticsDataset } from './workflow-analytics.js';

export type { DatasetDefinition } from './types.js';

export const DATASET_DEFINITIONS: Readonly<Record<Dataset, DatasetDefinition>> = {
  token_usage_logs: tokenUsageLogsDataset,
  budget_limits: budgetLimitsDataset,
  cost_alerts: costAlertsDataset,
  service_performance_metrics: servicePerformanceMetricsDataset,
  workflow_analytics: workflowAnalyticsDataset,
  daily_cost_breakdown: dailyCostsDataset,
};

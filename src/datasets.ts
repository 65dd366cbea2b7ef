/**
 * The six datasets: each is a Supabase table, a Notion database, and a sync stream.
 * Adding a seventh starts here.
 */
export const DATASETS = [
  'token_usage_logs',
  'budget_limits',
  'cost_alerts',
  'service_performance_metrics',
  'workflow_analytics',
  'daily_cost_breakdown',
] as const;

export type Dataset = (typeof DATASETS)[number];

/** Where setup:notion records a dataset's Notion ids, e.g. NOTION_COST_ALERTS_DATABASE_ID. */
export function notionIdVariables(dataset: Dataset): { databaseId: string; dataSourceId: string } {
  const stem = `NOTION_${dataset.toUpperCase()}`;
  return { databaseId: `${stem}_DATABASE_ID`, dataSourceId: `${stem}_DATA_SOURCE_ID` };
}

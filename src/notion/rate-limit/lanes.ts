/**
 * Lanes: the order in which Notion gets our requests when it cannot take them
 * all. Alerts and budget changes first, then rollups and the report, then raw
 * logs; a backlog in a lower lane never delays a higher one.
 */
export const LANES = ['alerts', 'rollups', 'logs'] as const;
export type Lane = (typeof LANES)[number];

/** Lower is served first. */
export const LANE_PRIORITY: Readonly<Record<Lane, number>> = { alerts: 0, rollups: 1, logs: 2 };

const LANE_OF_DATASET: Readonly<Record<string, Lane>> = {
  cost_alerts: 'alerts',
  budget_limits: 'alerts',
  service_performance_metrics: 'rollups',
  workflow_analytics: 'rollups',
  daily_cost_breakdown: 'rollups',
  token_usage_logs: 'logs',
};

/** The lane a dataset's Notion writes travel in; the report page travels in `rollups`. */
export function laneOf(dataset: string): Lane {
  return LANE_OF_DATASET[dataset] ?? 'rollups';
}

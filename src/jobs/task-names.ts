/**
 * The scheduled tasks by name, and the lane of each one's Notion requests: what
 * the jobs are, known to the worker's queues without loading the jobs themselves.
 */
import type { Lane } from '../notion/rate-limit/lanes.js';

/** One job = one run of a reporting task: rollups, budget alerts, the report page, edits from Notion. */
export const REPORTING_TASKS = ['rollups', 'budgets', 'report', 'notion-edits', 'retention'] as const;
export type ReportingTask = (typeof REPORTING_TASKS)[number];

/** The lane of a task's Notion requests: budget edits are budget changes; the report is drawn from rollups. */
export const LANE_OF_TASK: Readonly<Record<ReportingTask, Lane>> = {
  budgets: 'alerts',
  'notion-edits': 'alerts',
  rollups: 'rollups',
  report: 'rollups',
  retention: 'rollups',
};


import { count, date, decimal, money, percent, supabaseId, text, title, sortedTable, type DatabaseSpec } from './types.js';

export const workflowAnalytics: DatabaseSpec = {
  dataset: 'workflow_analytics',
  title: 'Workflow Analytics',
  icon: '🔀',
  description: 'One page per day, workflow and step: executions, reliability, duration and cost. Computed by tokensync from the raw logs.',
  properties: [
    title('name', 'Name', 'Day, workflow and step.'),
    supabaseId(),
    date('metric_date', 'Date', 'The day (report time zone).'),
    text('workflow_id', 'Workflow', 'Workflow id.'),
    text('workflow_step', 'Step', 'Step within the workflow; empty when calls named none.'),
    count('executions', 'Executions', 'Calls made by the step.'),
    count('successful_executions', 'Successful', 'Calls that succeeded.'),
    count('failed_executions', 'Failed', 'Calls that failed.'),
    percent('success_rate', 'Success Rate', 'Successful calls as a share of all calls.'),
    decimal('avg_duration_ms', 'Avg Duration (ms)', 'Mean call duration.'),
    decimal('p95_duration_ms', 'P95 Duration (ms)', '95th percentile call duration.'),
    count('total_tokens', 'Total Tokens', 'All tokens.'),
    money('total_cost', 'Total Cost', 'Cost in USD.'),
    money('avg_cost_per_execution', 'Avg Cost / Execution', 'Cost per call in USD.'),
    count('unique_sessions', 'Unique Sessions', 'Distinct sessions.'),
  ],
  views: [
    sortedTable('Latest days', 'metric_date'),
    {
      name: 'Cost by workflow',
      type: 'chart',
      configuration: (id) => ({
        type: 'chart',
        chart_type: 'bar',
        x_axis: { type: 'text', property_id: id('workflow_id'), group_by: 'exact', sort: { type: 'descending' } },
        y_axis: { aggregator: 'sum', property_id: id('total_cost') },
      }),
    },
  ],
};

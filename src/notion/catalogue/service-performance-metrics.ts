import { count, date, decimal, money, openSelect, percent, SERVICE_OPTIONS, supabaseId, title, sortedTable, type DatabaseSpec } from './types.js';

export const servicePerformanceMetrics: DatabaseSpec = {
  dataset: 'service_performance_metrics',
  title: 'Service Performance Metrics',
  icon: '📈',
  description: 'One page per day and service: volume, reliability, latency and cost. Computed by tokensync from the raw logs.',
  properties: [
    title('name', 'Name', 'Day and service, e.g. “2026-11-20 · workflow”.'),
    supabaseId(),
    date('metric_date', 'Date', 'The day (report time zone).'),
    ...openSelect('service_type', 'Service', 'Product feature.', SERVICE_OPTIONS),
    count('total_requests', 'Requests', 'Calls made.'),
    count('successful_requests', 'Successful', 'Calls that succeeded.'),
    count('failed_requests', 'Failed', 'Calls that failed.'),
    percent('success_rate', 'Success Rate', 'Successful calls as a share of all calls.'),
    count('prompt_tokens', 'Prompt Tokens', 'Input tokens.'),
    count('completion_tokens', 'Completion Tokens', 'Output tokens.'),
    count('total_tokens', 'Total Tokens', 'All tokens.'),
    money('total_cost', 'Total Cost', 'Cost in USD.'),
    money('avg_cost_per_request', 'Avg Cost / Request', 'Cost per call in USD.'),
    decimal('avg_latency_ms', 'Avg Latency (ms)', 'Mean latency.'),
    decimal('p95_latency_ms', 'P95 Latency (ms)', '95th percentile latency.'),
    count('unique_users', 'Unique Users', 'Distinct users.'),
    count('unique_sessions', 'Unique Sessions', 'Distinct sessions.'),
  ],
  views: [
    sortedTable('Latest days', 'metric_date'),
    {
      name: 'Success rate by service',
      type: 'chart',
      configuration: (id) => ({
        type: 'chart',
        chart_type: 'line',
        x_axis: { type: 'date', property_id: id('metric_date'), group_by: 'day', sort: { type: 'ascending' } },
        y_axis: { aggregator: 'average', property_id: id('success_rate') },
        stack_by: { type: 'select', property_id: id('service_type'), sort: { type: 'ascending' } },
      }),
    },
  ],
};

import { checkbox, date, ENTITY_TYPE_OPTIONS, money, percent, select, supabaseId, text, title, sortedTable, type DatabaseSpec } from './types.js';

export const costAlerts: DatabaseSpec = {
  dataset: 'cost_alerts',
  title: 'Cost Alerts',
  icon: '🚨',
  description: 'Budget thresholds crossed, one per entity, period and threshold. Tick Acknowledged to acknowledge an alert in Supabase.',
  properties: [
    title('title', 'Alert', 'Short summary of the alert.'),
    supabaseId(),
    select('severity', 'Severity', 'info below 75%, warning from 75%, critical from 90% of a limit.', [
      { name: 'critical', color: 'red' },
      { name: 'warning', color: 'yellow' },
      { name: 'info', color: 'blue' },
    ]),
    select('entity_type', 'Entity Type', 'What the limit applies to.', ENTITY_TYPE_OPTIONS),
    text('entity_id', 'Entity ID', 'Which organization, service, tier, user or session.'),
    select('period', 'Period', 'The budget period that was crossed.', [
      { name: 'daily', color: 'blue' },
      { name: 'monthly', color: 'purple' },
      { name: 'session', color: 'gray' },
    ]),
    date('period_start', 'Period Start', 'Start of the period (local time of the report time zone).'),
    percent('threshold_pct', 'Threshold', 'Share of the limit that was reached.'),
    money('amount_spent', 'Amount Spent', 'Spend when the alert was raised, in USD.'),
    money('limit_amount', 'Limit', 'The limit, in USD.'),
    text('message', 'Message', 'What happened, in a sentence.'),
    checkbox('late', 'Late', 'Raised after its period had ended (late rows, a re-cost, or the closing evaluation); the message says when it ended.'),
    checkbox('acknowledged', 'Acknowledged', 'Tick to acknowledge; tokensync records who and when in Supabase.'),
    text('acknowledged_by', 'Acknowledged By', 'Who acknowledged the alert.'),
    date('acknowledged_at', 'Acknowledged At', 'When the alert was acknowledged.'),
    date('created_at', 'Raised At', 'When the alert was raised.'),
  ],
  views: [
    {
      name: 'Open alerts by severity',
      type: 'board',
      configuration: (id) => ({
        type: 'board',
        group_by: { type: 'select', property_id: id('severity'), sort: { type: 'manual' } },
      }),
      sorts: (id) => [
        { property: id('acknowledged'), direction: 'ascending' },
        { property: id('created_at'), direction: 'descending' },
      ],
    },
    sortedTable('All alerts', 'created_at'),
  ],
};

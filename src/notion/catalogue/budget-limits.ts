import { checkbox, date, decimal, ENTITY_TYPE_OPTIONS, formula, money, percent, select, supabaseId, text, title, sortedTable, type DatabaseSpec } from './types.js';

export const budgetLimits: DatabaseSpec = {
  dataset: 'budget_limits',
  title: 'Budget Limits',
  icon: '🎯',
  description:
    'Spend limits per organization, service, tier, user, session, agent or feature. Limits, Active, Grace and Fail Mode may be edited here, and clearing Paused Until unpauses an agent; tokensync carries valid edits back to Supabase.',
  properties: [
    title('name', 'Name', 'Entity type and id, e.g. “service · workflow”.'),
    supabaseId(),
    select('entity_type', 'Entity Type', 'What the limit applies to.', ENTITY_TYPE_OPTIONS),
    text('entity_id', 'Entity ID', 'Which organization, service, tier, user, session, agent or feature.'),
    money('daily_limit', 'Daily Limit', 'USD per day (local day in the report time zone). Editable.'),
    money('monthly_limit', 'Monthly Limit', 'USD per calendar month. Editable.'),
    money('session_limit', 'Session Limit', 'USD per session. Editable.'),
    text('alert_thresholds', 'Alert Thresholds', 'Percentages of a limit at which alerts are raised.'),
    select('breach_action', 'Breach Action', 'alert: allow and warn; block: deny calls over the limit.', [
      { name: 'alert', color: 'yellow' },
      { name: 'block', color: 'red' },
    ]),
    checkbox('is_active', 'Active', 'Inactive limits are ignored. Editable.'),
    // A plain number, not Notion's percent format: typing 15 there would mean 1500 %.
    decimal('grace_pct', 'Grace', 'Percent over the limit a blocking limit still admits (10 = 10 %), 0 to 100. Editable.'),
    select('fail_mode', 'Fail Mode', 'When the budget cannot be asked: open allows the call, closed denies it. Editable.', [
      { name: 'open', color: 'green' },
      { name: 'closed', color: 'red' },
    ]),
    date('paused_until', 'Paused Until', 'Agents: the open pause ends then. Clear it to unpause the agent now.'),
    text('pause_reason', 'Pause Reason', 'Agents: why the agent is paused. For a pause without an end, clear it to unpause.'),
    text('description', 'Description', 'Free text.'),
    money('daily_spend', 'Spent Today', 'Spend so far today, refreshed by tokensync.'),
    money('monthly_spend', 'Spent This Month', 'Spend so far this month, refreshed by tokensync.'),
    percent('daily_utilisation', 'Daily Utilisation', 'Spent today as a share of the daily limit.'),
    percent('monthly_utilisation', 'Monthly Utilisation', 'Spent this month as a share of the monthly limit.'),
    formula('monthly_headroom', 'Monthly Headroom', 'What is left of the monthly limit.',
      'if(empty(prop("Monthly Limit")), 0, prop("Monthly Limit") - prop("Spent This Month"))'),
    date('updated_at', 'Last Updated', 'When the limit last changed in Supabase.'),
  ],
  views: [
    sortedTable('By utilisation', 'monthly_utilisation'),
    {
      name: 'Monthly utilisation',
      type: 'chart',
      configuration: (id) => ({
        type: 'chart',
        chart_type: 'bar',
        x_axis: { type: 'text', property_id: id('entity_id'), group_by: 'exact', sort: { type: 'ascending' } },
        y_axis: { aggregator: 'max', property_id: id('monthly_utilisation') },
        reference_lines: [{ value: 1, label: 'Limit', color: 'red', dash_style: 'dash' }],
      }),
    },
  ],
};

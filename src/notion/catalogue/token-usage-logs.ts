import {
  checkbox, count, date, formula, money, openSelect, PROVIDER_OPTIONS, SERVICE_OPTIONS, supabaseId, text, title, decimal,
  sortedTable, costCharts, type DatabaseSpec, type ViewSpec,
} from './types.js';


/** The cost charts this database carried before Daily Costs; setup:notion removes them from existing installations. */
const RETIRED_CHARTS: readonly ViewSpec[] = costCharts('created_at');

export const tokenUsageLogs: DatabaseSpec = {
  dataset: 'token_usage_logs',
  title: 'Token Usage Logs',
  icon: '🧾',
  description: 'One page per recent LLM call, for drill-down, synced from Supabase by tokensync. Raw logs older than the configured window are moved to trash; the cost charts live in Daily Costs.',
  properties: [
    title('request_id', 'Request ID', 'The caller’s idempotency key for this call.'),
    supabaseId(),
    date('created_at', 'Timestamp', 'When the call was made.'),
    date('updated_at', 'Last Updated', 'When the row last changed in Supabase.'),
    text('organization_id', 'Organization', 'Organization the call is billed to.'),
    text('user_id', 'User ID', 'End user who triggered the call.'),
    text('session_id', 'Session ID', 'Conversation or session the call belongs to.'),
    ...openSelect('tier', 'Tier', 'Pricing tier of the user.', [
      { name: 'tier_1', color: 'green' },
      { name: 'tier_2', color: 'yellow' },
      { name: 'tier_3', color: 'gray' },
    ]),
    ...openSelect('service_type', 'Service', 'Product feature that made the call.', SERVICE_OPTIONS),
    text('agent_id', 'Agent ID', 'Agent that made the call, if any.'),
    text('agent_name', 'Agent Name', 'Display name of the agent.'),
    text('workflow_id', 'Workflow ID', 'Workflow the call is part of, if any.'),
    text('workflow_step', 'Workflow Step', 'Step of the workflow.'),
    ...openSelect('provider', 'Provider', 'Model provider.', PROVIDER_OPTIONS),
    ...openSelect('model', 'Model', 'Model name as the provider reports it.'),
    count('prompt_tokens', 'Prompt Tokens', 'Input tokens, cached ones included.'),
    count('completion_tokens', 'Completion Tokens', 'Output tokens, reasoning included.'),
    count('cached_tokens', 'Cached Tokens', 'Input tokens read from the provider’s prompt cache.'),
    count('cache_write_tokens', 'Cache Write Tokens', 'Input tokens written to the prompt cache.'),
    count('reasoning_tokens', 'Reasoning Tokens', 'Hidden reasoning tokens within the output.'),
    count('total_tokens', 'Total Tokens', 'Prompt plus completion tokens.'),
    money('input_cost', 'Input Cost', 'Cost of the input tokens in USD.'),
    money('output_cost', 'Output Cost', 'Cost of the output tokens in USD.'),
    money('total_cost', 'Total Cost', 'Cost of the call in USD; empty when the model’s price is unknown.'),
    count('latency_ms', 'Latency (ms)', 'Time from request to full response.'),
    checkbox('success', 'Success', 'Whether the call succeeded.'),
    text('error_type', 'Error Type', 'Error class of a failed call.'),
    text('metadata', 'Metadata', 'Extra fields as JSON (truncated to fit Notion).'),
    formula('cost_per_1k_tokens', 'Cost per 1K Tokens', 'Total cost per thousand tokens.',
      'if(prop("Total Tokens") > 0, prop("Total Cost") / prop("Total Tokens") * 1000, 0)'),
    formula('cache_hit_rate', 'Cache Hit Rate', 'Share of input tokens served from the cache.',
      'if(prop("Prompt Tokens") > 0, prop("Cached Tokens") / prop("Prompt Tokens"), 0)'),
    decimal('tokens_per_second', 'Tokens per Second', 'Output tokens per second of latency.'),
  ],
  views: [
    sortedTable('All calls', 'created_at'),
    {
      name: 'Failed calls',
      type: 'table',
      configuration: () => ({ type: 'table' }),
      filter: (id) => ({ property: id('success'), checkbox: { equals: false } }),
      sorts: (id) => [{ property: id('created_at'), direction: 'descending' }],
    },
    sortedTable('Most expensive calls', 'total_cost'),
  ],
  // The charts summed these pages, so they read wrong once pages were trimmed or lagged.
  retired: { movedTo: 'Daily Costs', views: RETIRED_CHARTS, dashboard: 'Cost dashboard' },
};

import {
  count, date, money, openSelect, SERVICE_OPTIONS, PROVIDER_OPTIONS, supabaseId, title, sortedTable, costCharts,
  type DatabaseSpec,
} from './types.js';

const [dailyCostByService, costByModel, monthToDateCost] = costCharts('metric_date');

/**
 * Every cost chart is drawn from here: one page per day, service, provider and
 * model, so the page count grows with days × dimensions, never with calls, and
 * each total is SQL's exact sum whatever happened to the raw-log pages.
 */
export const dailyCosts: DatabaseSpec = {
  dataset: 'daily_cost_breakdown',
  title: 'Daily Costs',
  icon: '💰',
  description:
    'One page per day, service, provider and model: calls, tokens and exact cost. Computed by tokensync from the raw logs; the cost charts are drawn from it.',
  properties: [
    title('name', 'Name', 'Day, service, provider and model, e.g. “2026-11-20 · workflow · openai · gpt-4o”.'),
    supabaseId(),
    date('metric_date', 'Date', 'The day (report time zone).'),
    ...openSelect('service_type', 'Service', 'Product feature.', SERVICE_OPTIONS),
    ...openSelect('provider', 'Provider', 'Model provider.', PROVIDER_OPTIONS),
    ...openSelect('model', 'Model', 'Model name as the provider reports it.'),
    count('requests', 'Requests', 'Calls made.'),
    count('failed_requests', 'Failed', 'Calls that failed.'),
    count('unpriced_requests', 'Unpriced', 'Calls whose model had no known price: their cost is not in Total Cost.'),
    count('prompt_tokens', 'Prompt Tokens', 'Input tokens, cached ones included.'),
    count('completion_tokens', 'Completion Tokens', 'Output tokens.'),
    count('cached_tokens', 'Cached Tokens', 'Input tokens read from the prompt cache.'),
    count('total_tokens', 'Total Tokens', 'All tokens.'),
    money('input_cost', 'Input Cost', 'Cost of the input tokens in USD.'),
    money('output_cost', 'Output Cost', 'Cost of the output tokens in USD.'),
    money('total_cost', 'Total Cost', 'Cost in USD, the exact sum of the day’s calls.'),
  ],
  views: [
    sortedTable('Latest days', 'metric_date'),
    dailyCostByService,
    costByModel,
    // Notion's relative dates stop at "one month ago": the worker moves the first day when the month turns.
    { ...monthToDateCost, movesWithMonth: true },
  ],
  dashboard: { name: 'Cost dashboard', widgets: ['Daily cost by service', 'Cost by model', 'Month-to-date cost'] },
};

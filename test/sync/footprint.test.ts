import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { DATASETS } from '../../src/datasets.js';
import {
  DEFAULT_ROLLUP_PAGES_PER_DAY, DEFAULT_TOKEN_LOG_PAGE_BUDGET, FREE_PLAN_DEFAULTS, MONTH_TO_DATE_DAYS, NotionFootprintError, assertFootprintFits, FREE_PLAN_HEADROOM_BLOCKS,
  FREE_PLAN_LIFETIME_BLOCKS, computeFootprint, describeFootprint, footprintInputOf, pageBudgetsOf, type FootprintInput,
} from '../../src/sync/footprint.js';

const PER_DAY = { daily_cost_breakdown: 12, service_performance_metrics: 4, workflow_analytics: 15 };
const input = (overrides: Partial<FootprintInput> = {}): FootprintInput => ({
  plan: 'free', databases: 6, tokenLogPageBudget: 200, rollupDays: 14, dailyCostDays: 31, rollupPagesPerDay: PER_DAY, budgetLimitPages: 8, alertPages: 64,
  ...overrides,
});

describe('the Notion block footprint', () => {
  it('adds up databases, the report page, the raw-log ring, each rollup, budgets and alerts', () => {
    const footprint = computeFootprint(input());
    expect(Object.fromEntries(footprint.items.map((i) => [i.what, i.blocks]))).toEqual({
      databases: 6,
      'report page': 1 + 1 + 7 * 2 + 1,
      'raw logs': 200,
      'daily costs': 31 * 12,
      'service metrics': 14 * 4,
      'workflow analytics': 14 * 15,
      'budget limits': 8,
      'cost alerts': 64,
    });
    expect(footprint.total).toBe(6 + 17 + 200 + 372 + 56 + 210 + 8 + 64);
    expect(footprint).toMatchObject({ allowance: FREE_PLAN_LIFETIME_BLOCKS - FREE_PLAN_HEADROOM_BLOCKS, fits: true, fix: undefined });
  });

  it('on a Free workspace, refuses budgets past the allowance and says by how much to lower them', () => {
    const footprint = computeFootprint(input({ tokenLogPageBudget: 700 }));
    expect(footprint.fits).toBe(false);
    const over = footprint.total - (FREE_PLAN_LIFETIME_BLOCKS - FREE_PLAN_HEADROOM_BLOCKS);
    expect(footprint.fix).toContain(`lower TOKEN_LOG_PAGE_BUDGET (now 700) or the rollup window (now 14 days) by ${over} pages`);
    expect(footprint.fix).toContain('NOTION_WORKSPACE_PLAN=paid');
    expect(describeFootprint(footprint)[0]).toMatch(/does NOT fit/);
    // Exactly at the allowance fits.
    expect(computeFootprint(input({ tokenLogPageBudget: 700 - over })).fits).toBe(true);
  });

  it('never refuses on a paid workspace', () => {
    expect(computeFootprint(input({ plan: 'paid', tokenLogPageBudget: 100_000 }))).toMatchObject({ fits: true, allowance: null });
  });

  it('reads the plan and budgets from the configuration, with defaults that fit a Free workspace', () => {
    const paid = footprintInputOf(loadConfig({}));
    expect(paid).toMatchObject({ plan: 'paid', databases: DATASETS.length, tokenLogPageBudget: DEFAULT_TOKEN_LOG_PAGE_BUDGET, rollupDays: 30, dailyCostDays: 30 });
    const free = footprintInputOf(loadConfig({ NOTION_WORKSPACE_PLAN: 'free' }));
    expect(free).toMatchObject({
      plan: 'free', tokenLogPageBudget: FREE_PLAN_DEFAULTS.tokenLogPageBudget, rollupDays: FREE_PLAN_DEFAULTS.rollupWindowDays, dailyCostDays: MONTH_TO_DATE_DAYS,
      rollupPagesPerDay: DEFAULT_ROLLUP_PAGES_PER_DAY,
    });
    expect(computeFootprint(free).fits).toBe(true);
    // With the paid defaults a Free workspace would not fit: that is why the plan is configured.
    expect(computeFootprint({ ...paid, plan: 'free' }).fits).toBe(false);
    // A budget another part configures is taken as given.
    const config = loadConfig({ NOTION_WORKSPACE_PLAN: 'free' });
    (config.sync as { tokenLogPageBudget?: number }).tokenLogPageBudget = 900;
    expect(computeFootprint(footprintInputOf(config)).fits).toBe(false);
    expect(() => assertFootprintFits(config)).toThrow(NotionFootprintError);
    expect(() => assertFootprintFits(config)).toThrow(/does not fit a Free workspace: needs \d+ blocks, \d+ more than the 950 .* lower TOKEN_LOG_PAGE_BUDGET \(now 900\)/);
  });

  it('on a Free workspace, gives Daily Costs the whole current month: the month-to-date chart sums every day of it', () => {
    const config = loadConfig({ NOTION_WORKSPACE_PLAN: 'free' });
    const budgets = pageBudgetsOf(config);
    expect(budgets).toEqual({
      daily_cost_breakdown: MONTH_TO_DATE_DAYS * DEFAULT_ROLLUP_PAGES_PER_DAY.daily_cost_breakdown,
      service_performance_metrics: FREE_PLAN_DEFAULTS.rollupWindowDays * DEFAULT_ROLLUP_PAGES_PER_DAY.service_performance_metrics,
      workflow_analytics: FREE_PLAN_DEFAULTS.rollupWindowDays * DEFAULT_ROLLUP_PAGES_PER_DAY.workflow_analytics,
      cost_alerts: 64,
    });
    // What the sync may hold is what setup prints.
    const footprint = computeFootprint(footprintInputOf(config));
    const blocks = (what: string) => footprint.items.find((i) => i.what === what)!.blocks;
    expect(blocks('daily costs')).toBe(budgets.daily_cost_breakdown);
    expect(blocks('service metrics')).toBe(budgets.service_performance_metrics);
    expect(blocks('workflow analytics')).toBe(budgets.workflow_analytics);
    expect(blocks('cost alerts')).toBe(budgets.cost_alerts);
    expect(describeFootprint(footprint).join('\n')).toContain('31 days × ~12 service × model pages a day; every cost chart, month-to-date included');
    // A shorter rollup window configured elsewhere never shortens the month.
    (config.sync as { rollupWindowDays?: number }).rollupWindowDays = 7;
    expect(footprintInputOf(config)).toMatchObject({ rollupDays: 7, dailyCostDays: MONTH_TO_DATE_DAYS });
    expect(pageBudgetsOf(loadConfig({}))).toEqual({});
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { DATASETS } from '../../src/datasets.js';
import {
  DEFAULT_TOKEN_LOG_PAGE_BUDGET, FREE_PLAN_DEFAULTS, NotionFootprintError, assertFootprintFits, FREE_PLAN_HEADROOM_BLOCKS, FREE_PLAN_LIFETIME_BLOCKS, computeFootprint, describeFootprint,
  footprintInputOf, type FootprintInput,
} from '../../src/notion/footprint.js';

const input = (overrides: Partial<FootprintInput> = {}): FootprintInput => ({
  plan: 'free', databases: 6, tokenLogPageBudget: 200, rollupDays: 14, rollupPagesPerDay: 16, budgetLimitPages: 8, alertPages: 64, ...overrides,
});

describe('the Notion block footprint', () => {
  it('adds up databases, the report page, the raw-log ring, rollups, budgets and alerts', () => {
    const footprint = computeFootprint(input());
    expect(Object.fromEntries(footprint.items.map((i) => [i.what, i.blocks]))).toEqual({
      databases: 6,
      'report page': 1 + 1 + 7 * 2 + 1,
      'raw logs': 200,
      rollups: 14 * 16,
      'budget limits': 8,
      'cost alerts': 64,
    });
    expect(footprint.total).toBe(6 + 17 + 200 + 224 + 8 + 64);
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
    expect(paid).toMatchObject({ plan: 'paid', databases: DATASETS.length, tokenLogPageBudget: DEFAULT_TOKEN_LOG_PAGE_BUDGET, rollupDays: 30 });
    const free = footprintInputOf(loadConfig({ NOTION_WORKSPACE_PLAN: 'free' }));
    expect(free).toMatchObject({ plan: 'free', tokenLogPageBudget: FREE_PLAN_DEFAULTS.tokenLogPageBudget, rollupDays: FREE_PLAN_DEFAULTS.rollupWindowDays });
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
});

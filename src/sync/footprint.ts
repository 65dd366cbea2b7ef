/**
 * How many Notion blocks tokensync needs, from its configuration: every page
 * (database rows included), every database and every block of the report page
 * is one. A Free Notion workspace with more than one member has 1,000 lifetime
 * blocks (deleting gives none back), so on `NOTION_WORKSPACE_PLAN=free` the
 * footprint must fit, setup included; setup:notion prints it and refuses
 * budgets that do not fit. In steady state nothing here grows: the raw-log
 * window is a ring of pages, rollups cover a fixed number of whole days, the
 * report is edited in place.
 *
 * On a Free workspace Daily Costs keeps 31 days: every cost chart is drawn from
 * it, and the month-to-date chart sums every day of the current month (31 on
 * the last day of a long month), so fewer days would leave days of the month
 * out of a chart that claims them. The other rollups keep 14.
 *
 * Pure: no I/O, so it is the same in setup, verify and tests.
 */
import { FREE_TOKEN_LOG_PAGE_BUDGET, PAID_TOKEN_LOG_PAGE_BUDGET, type Config } from '../config/env.js';
import { DATASETS, type Dataset } from '../datasets.js';
import { TokensyncError } from '../errors.js';
import { REPORT_BASE_BLOCKS } from '../report/layout.js';

export type WorkspacePlan = 'free' | 'paid';

/** Notion: a Free workspace with more than one member. */
export const FREE_PLAN_LIFETIME_BLOCKS = 1_000;
/** Kept free on a Free workspace: the parent page, people's own notes, a report section outgrowing its paragraph. */
export const FREE_PLAN_HEADROOM_BLOCKS = 50;
/** Raw-log pages kept in Notion when TOKEN_LOG_PAGE_BUDGET is not configured. */
export const DEFAULT_TOKEN_LOG_PAGE_BUDGET = PAID_TOKEN_LOG_PAGE_BUDGET;
/** Report sections (render.ts): one heading and one paragraph each. */
export const REPORT_SECTIONS = 7;
export type RollupDataset = 'daily_cost_breakdown' | 'service_performance_metrics' | 'workflow_analytics';
/**
 * Pages one day adds to each rollup database, when the real counts are not
 * given: service × provider × model pairs called that day (Daily Costs, ~12 for
 * four services over six models), services (Service Performance Metrics, ~4),
 * workflow steps (Workflow Analytics, ~5 workflows of 3 steps). A day with more
 * pages than this leaves fewer whole days in Notion, never more blocks.
 */
export const DEFAULT_ROLLUP_PAGES_PER_DAY: Readonly<Record<RollupDataset, number>> = {
  daily_cost_breakdown: 12,
  service_performance_metrics: 4,
  workflow_analytics: 15,
};
/** The longest month: on its last day the month-to-date chart sums this many days of Daily Costs. */
export const MONTH_TO_DATE_DAYS = 31;
/**
 * On a Free workspace, the budgets used when none is configured: they fit
 * 1,000 lifetime blocks with the estimates above (see computeFootprint). Daily
 * Costs keeps the whole current month, whatever the day.
 */
export const FREE_PLAN_DEFAULTS = {
  tokenLogPageBudget: FREE_TOKEN_LOG_PAGE_BUDGET,
  rollupWindowDays: 14,
  dailyCostDays: MONTH_TO_DATE_DAYS,
} as const;
/** Budget Limits rows (the seed's eight) and open Cost Alerts pages, when not given. */
export const DEFAULT_BUDGET_LIMIT_PAGES = 8;
export const DEFAULT_ALERT_PAGES = 64;

export interface FootprintInput {
  plan: WorkspacePlan;
  /** Databases setup creates (each one block; data sources and views are not blocks). */
  databases: number;
  /** Raw-log pages: the ring's size. */
  tokenLogPageBudget: number;
  /** Days of Service Performance Metrics and Workflow Analytics kept in Notion. */
  rollupDays: number;
  /** Days of Daily Costs kept in Notion: the cost charts, month-to-date included, are drawn from it. */
  dailyCostDays: number;
  /** Pages one day adds to each rollup database. */
  rollupPagesPerDay: Readonly<Record<RollupDataset, number>>;
  budgetLimitPages: number;
  alertPages: number;
}

export interface FootprintItem {
  what: string;
  blocks: number;
  how: string;
}

export interface Footprint {
  plan: WorkspacePlan;
  items: FootprintItem[];
  total: number;
  /** Lifetime blocks available to tokensync (after headroom), or null on a paid plan. */
  allowance: number | null;
  fits: boolean;
  /** What to change when it does not fit. */
  fix: string | undefined;
}

/** Days each rollup database keeps in Notion. */
function rollupDaysOf(input: FootprintInput): Record<RollupDataset, number> {
  return { daily_cost_breakdown: input.dailyCostDays, service_performance_metrics: input.rollupDays, workflow_analytics: input.rollupDays };
}

const ROLLUP_ITEMS: readonly { dataset: RollupDataset; what: string; per: string }[] = [
  { dataset: 'daily_cost_breakdown', what: 'daily costs', per: 'service × model pages a day; every cost chart, month-to-date included, is drawn from these days' },
  { dataset: 'service_performance_metrics', what: 'service metrics', per: 'service pages a day' },
  { dataset: 'workflow_analytics', what: 'workflow analytics', per: 'workflow step pages a day' },
];

export function computeFootprint(input: FootprintInput): Footprint {
  const reportBlocks = 1 + REPORT_BASE_BLOCKS(REPORT_SECTIONS);
  const days = rollupDaysOf(input);
  const items: FootprintItem[] = [
    { what: 'databases', blocks: input.databases, how: `${input.databases} databases, one block each (views and data sources are not blocks)` },
    { what: 'report page', blocks: reportBlocks, how: `the page, a header, a heading and a paragraph per section, a divider; edited in place (one more block per 100 lines a section outgrows)` },
    { what: 'raw logs', blocks: input.tokenLogPageBudget, how: `TOKEN_LOG_PAGE_BUDGET pages, overwritten oldest first` },
    ...ROLLUP_ITEMS.map(({ dataset, what, per }) => ({
      what,
      blocks: days[dataset] * input.rollupPagesPerDay[dataset],
      how: `${days[dataset]} days × ~${input.rollupPagesPerDay[dataset]} ${per}; the oldest whole day's pages go to the newest`,
    })),
    { what: 'budget limits', blocks: input.budgetLimitPages, how: 'one page per budget limit' },
    { what: 'cost alerts', blocks: input.alertPages, how: 'one page per alert kept in Notion' },
  ];
  const total = items.reduce((n, i) => n + i.blocks, 0);
  const allowance = input.plan === 'free' ? FREE_PLAN_LIFETIME_BLOCKS - FREE_PLAN_HEADROOM_BLOCKS : null;
  const fits = allowance === null || total <= allowance;
  const over = allowance === null ? 0 : total - allowance;
  const fix = fits
    ? undefined
    : `needs ${total} blocks, ${over} more than the ${allowance} a Free workspace leaves tokensync (${FREE_PLAN_LIFETIME_BLOCKS} lifetime, ${FREE_PLAN_HEADROOM_BLOCKS} kept free); ` +
      `lower TOKEN_LOG_PAGE_BUDGET (now ${input.tokenLogPageBudget}) or the rollup window (now ${input.rollupDays} days) by ${over} pages, or upgrade the Notion plan and set NOTION_WORKSPACE_PLAN=paid`;
  return { plan: input.plan, items, total, allowance, fits, fix };
}

/**
 * Settings other parts add to the configuration (the raw-log page budget, the
 * rollup window); read if present, with the documented defaults when not.
 */
type OptionalSync = { tokenLogPageBudget?: number; rollupWindowDays?: number };

export function footprintInputOf(config: Config, estimates: Partial<FootprintInput> = {}): FootprintInput {
  const sync = config.sync as Config['sync'] & OptionalSync;
  const free = config.notion.workspacePlan === 'free';
  const rollupDays = sync.rollupWindowDays ?? (free ? FREE_PLAN_DEFAULTS.rollupWindowDays : sync.tokenLogWindowDays);
  return {
    plan: config.notion.workspacePlan,
    databases: DATASETS.length,
    tokenLogPageBudget: sync.tokenLogPageBudget ?? (free ? FREE_PLAN_DEFAULTS.tokenLogPageBudget : DEFAULT_TOKEN_LOG_PAGE_BUDGET),
    rollupDays,
    // Never fewer days than the month-to-date chart sums.
    dailyCostDays: free ? Math.max(FREE_PLAN_DEFAULTS.dailyCostDays, rollupDays) : rollupDays,
    rollupPagesPerDay: DEFAULT_ROLLUP_PAGES_PER_DAY,
    budgetLimitPages: DEFAULT_BUDGET_LIMIT_PAGES,
    alertPages: DEFAULT_ALERT_PAGES,
    ...estimates,
  };
}

/** The footprint as setup:notion and verify print it. */
export function describeFootprint(footprint: Footprint): string[] {
  const width = Math.max(...footprint.items.map((i) => String(i.blocks).length), String(footprint.total).length);
  const lines = footprint.items.map((i) => `  ${String(i.blocks).padStart(width)}  ${i.what}: ${i.how}`);
  const limit = footprint.allowance === null
    ? 'paid workspace: no block limit'
    : `Free workspace: ${footprint.allowance} of ${FREE_PLAN_LIFETIME_BLOCKS} lifetime blocks available to tokensync${footprint.fits ? ', fits' : ', does NOT fit'}`;
  return [`Notion blocks needed: ${footprint.total} (${limit})`, ...lines];
}

/** On a Free workspace, the configured budgets need more blocks than it has. Never retryable. */
export class NotionFootprintError extends TokensyncError {
  readonly code = 'notion_footprint_too_large';
  constructor(readonly footprint: Footprint) {
    super(`the configured Notion footprint does not fit a Free workspace: ${footprint.fix}`, {
      context: { total: footprint.total, allowance: footprint.allowance },
    });
  }
}

/** The footprint of this configuration; throws NotionFootprintError when a Free workspace cannot hold it. */
export function assertFootprintFits(config: Config, estimates: Partial<FootprintInput> = {}): Footprint {
  const footprint = computeFootprint(footprintInputOf(config, estimates));
  if (!footprint.fits) throw new NotionFootprintError(footprint);
  return footprint;
}

/**
 * The live pages each dataset may hold, so that what the footprint counts is
 * what the sync does: on a Free workspace each rollup database keeps its days'
 * worth of pages (whole days: the oldest day's pages go to the newest together)
 * and Cost Alerts the newest alerts; older rows give their pages to newer ones
 * (written over in place, no new block). A paid workspace has no caps. The
 * raw-log ring has its own (TOKEN_LOG_PAGE_BUDGET).
 */
export function pageBudgetsOf(config: Config): Partial<Record<Dataset, number>> {
  if (config.notion.workspacePlan !== 'free') return {};
  const input = footprintInputOf(config);
  const days = rollupDaysOf(input);
  const budgets: Partial<Record<Dataset, number>> = { cost_alerts: input.alertPages };
  for (const { dataset } of ROLLUP_ITEMS) budgets[dataset] = days[dataset] * input.rollupPagesPerDay[dataset];
  return budgets;
}

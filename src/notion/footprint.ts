/**
 * How many Notion blocks tokensync needs, from its configuration: every page
 * (database rows included), every database and every block of the report page
 * is one. A Free Notion workspace with more than one member has 1,000 lifetime
 * blocks (deleting gives none back), so on `NOTION_WORKSPACE_PLAN=free` the
 * footprint must fit, setup included; setup:notion prints it and refuses
 * budgets that do not fit. In steady state nothing here grows: the raw-log
 * window is a ring of pages, rollups cover a fixed window, the report is
 * edited in place.
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
/**
 * Rollup pages one day adds across the rollup databases when the real count is
 * not given: ~4 services (Service Performance Metrics), ~4 workflow steps
 * (Workflow Analytics), ~8 service × model pairs (daily cost breakdown).
 */
export const DEFAULT_ROLLUP_PAGES_PER_DAY = 16;
/**
 * On a Free workspace, the budgets used when none is configured: they fit
 * 1,000 lifetime blocks with the estimates below (see computeFootprint).
 */
export const FREE_PLAN_DEFAULTS = { tokenLogPageBudget: FREE_TOKEN_LOG_PAGE_BUDGET, rollupWindowDays: 14 } as const;
/** How DEFAULT_ROLLUP_PAGES_PER_DAY splits over the rollup databases: each gets that many pages per day of the window. */
const ROLLUP_PAGES_PER_DAY: Readonly<Partial<Record<Dataset, number>>> = {
  daily_cost_breakdown: 8,
  service_performance_metrics: 4,
  workflow_analytics: 4,
};
/** Budget Limits rows (the seed's eight) and open Cost Alerts pages, when not given. */
export const DEFAULT_BUDGET_LIMIT_PAGES = 8;
export const DEFAULT_ALERT_PAGES = 64;

export interface FootprintInput {
  plan: WorkspacePlan;
  /** Databases setup creates (each one block; data sources and views are not blocks). */
  databases: number;
  /** Raw-log pages: the ring's size. */
  tokenLogPageBudget: number;
  /** Days of rollups kept in Notion, and rollup pages per day. */
  rollupDays: number;
  rollupPagesPerDay: number;
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

export function computeFootprint(input: FootprintInput): Footprint {
  const reportBlocks = 1 + REPORT_BASE_BLOCKS(REPORT_SECTIONS);
  const items: FootprintItem[] = [
    { what: 'databases', blocks: input.databases, how: `${input.databases} databases, one block each (views and data sources are not blocks)` },
    { what: 'report page', blocks: reportBlocks, how: `the page, a header, a heading and a paragraph per section, a divider; edited in place (one more block per 100 lines a section outgrows)` },
    { what: 'raw logs', blocks: input.tokenLogPageBudget, how: `TOKEN_LOG_PAGE_BUDGET pages, overwritten oldest first` },
    { what: 'rollups', blocks: input.rollupDays * input.rollupPagesPerDay, how: `${input.rollupDays} days × ~${input.rollupPagesPerDay} pages a day` },
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
  return {
    plan: config.notion.workspacePlan,
    databases: DATASETS.length,
    tokenLogPageBudget: sync.tokenLogPageBudget ?? (free ? FREE_PLAN_DEFAULTS.tokenLogPageBudget : DEFAULT_TOKEN_LOG_PAGE_BUDGET),
    rollupDays: sync.rollupWindowDays ?? (free ? FREE_PLAN_DEFAULTS.rollupWindowDays : sync.tokenLogWindowDays),
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
 * what the sync does: on a Free workspace the rollup databases keep the newest
 * `rollupDays` days' worth of pages and Cost Alerts the newest alerts; older rows
 * give their pages to newer ones (written over in place, no new block). A paid
 * workspace has no caps. The raw-log ring has its own (TOKEN_LOG_PAGE_BUDGET).
 */
export function pageBudgetsOf(config: Config): Partial<Record<Dataset, number>> {
  if (config.notion.workspacePlan !== 'free') return {};
  const { rollupDays, alertPages } = footprintInputOf(config);
  const budgets: Partial<Record<Dataset, number>> = { cost_alerts: alertPages };
  for (const [dataset, perDay] of Object.entries(ROLLUP_PAGES_PER_DAY) as [Dataset, number][]) budgets[dataset] = rollupDays * perDay;
  return budgets;
}

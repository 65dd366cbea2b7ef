/**
 * Whether what Notion shows equals SQL, to the micro-dollar (within half of
 * one: costs are exact decimals below the micro-dollar, Notion's numbers are
 * doubles, and a chart sums them unrounded): every chart that
 * sums money in a database (its tabs and its dashboard's widgets, each with its
 * own filter, read back from the Notion fake as provisioned and moved), and
 * every rollup page against its row. A chart is held to the period it shows:
 * from its filter's first day (month-to-date) or its oldest page's day, to
 * today. A day missing from Notion, or only part of one, is a mismatch.
 */
import type { Client } from '@notionhq/client';
import type pg from 'pg';
import type { Dataset } from '../src/datasets.js';
import { keyInDescription } from '../src/notion/catalogue/index.js';
import { monthStartIn } from '../src/notion/provision/provision.js';
import type { NotionFake } from '@tokensync/notion-sandbox';
import { agreeToTheMicro, microsFromExact, parseExactUsd, type Exact } from '../src/sdk/money.js';

export interface DashboardCheck {
  /** e.g. "Daily Costs › Cost dashboard › Month-to-date cost". */
  what: string;
  /** The days it covers (YYYY-MM-DD), both included. */
  from: string;
  to: string;
  notionMicros: number;
  sqlMicros: number;
  /** Each group (or page) whose figure differs from SQL, or a period it claims and does not show. */
  mismatches: string[];
}

export interface CheckContext {
  notion: NotionFake;
  client: Client;
  pool: pg.Pool;
  timezone: string;
  /** The simulated day (YYYY-MM-DD). */
  today: string;
}

type Json = Record<string, any>;
interface Axis { type: string; property_id: string; group_by?: string }

/** A Notion number as the exact decimal it prints as (the double's shortest form). */
const exactOf = (value: unknown): Exact => (typeof value === 'number' ? parseExactUsd(String(value))! : 0n);
const sumOf = (values: Iterable<Exact>) => [...values].reduce((a, b) => a + b, 0n);
const IDENTIFIER = /^[a-z_]+$/;

/** Our keys (metric_date, total_cost…) by Notion property id, read from the markers in the descriptions. */
function keysById(notion: NotionFake, dataSourceId: string): Map<string, string> {
  const properties = (notion.state.dataSource(dataSourceId)?.properties ?? {}) as Record<string, { id: string; description?: string }>;
  const keys = new Map<string, string>();
  for (const property of Object.values(properties)) {
    const key = keyInDescription(property.description);
    if (key) keys.set(property.id, key);
  }
  return keys;
}

/** A property of a page, by id, as a plain value. */
function valueOf(page: Json, propertyId: string): unknown {
  const property = Object.values(page.properties as Record<string, Json>).find((p) => p.id === propertyId);
  if (!property) return undefined;
  switch (property.type) {
    case 'date':
      return (property.date?.start as string | undefined)?.slice(0, 10) ?? null;
    case 'select':
      return property.select?.name ?? null;
    case 'number':
      return property.number;
    case 'title':
    case 'rich_text':
      return (property[property.type] as { plain_text: string }[]).map((t) => t.plain_text).join('') || null;
    default:
      return null;
  }
}

/** The pages a view shows: its filter applied by the fake's own query engine. */
async function pagesShown(client: Client, dataSourceId: string, filter: Json | null): Promise<Json[]> {
  const pages: Json[] = [];
  let cursor: string | undefined;
  do {
    const result = await client.dataSources.query({
      data_source_id: dataSourceId,
      page_size: 100,
      ...(filter ? { filter: filter as never } : {}),
      ...(cursor ? { start_cursor: cursor } : {}),
    });
    pages.push(...(result.results as Json[]));
    cursor = result.has_more && result.next_cursor ? result.next_cursor : undefined;
  } while (cursor);
  return pages;
}

function compare(notion: Map<string, Exact>, sql: Map<string, Exact>, mismatches: string[]): void {
  const shown = (value: Exact | undefined) => (value === undefined ? 'nothing' : `${microsFromExact(value)} µ$`);
  for (const key of new Set([...notion.keys(), ...sql.keys()])) {
    const a = notion.get(key);
    const b = sql.get(key);
    const apart = a === undefined || b === undefined || !agreeToTheMicro(a, b);
    if (apart) mismatches.push(`${key}: Notion ${shown(a)}, SQL ${shown(b)}`);
  }
}

/**
 * Every chart of `dataset`'s database that sums a money property, checked
 * against the usage logs (rows matching `logsWhere`) over the period it shows.
 */
export async function checkCharts(ctx: CheckContext, ids: { databaseId: string; dataSourceId: string }, title: string, logsWhere = 'true'): Promise<DashboardCheck[]> {
  const keys = keysById(ctx.notion, ids.dataSourceId);
  const views = ctx.notion.state.views(ids.databaseId) as Json[];
  const dashboards = new Map(views.filter((v) => v.type === 'dashboard').map((v) => [v.id as string, v.name as string]));
  const checks: DashboardCheck[] = [];
  for (const view of views.filter((v) => v.type === 'chart')) {
    const config = view.configuration as Json;
    const y = config.y_axis as { aggregator: string; property_id: string } | undefined;
    if (y?.aggregator !== 'sum' || keys.get(y.property_id) !== 'total_cost') continue;
    const axes = [config.x_axis, config.stack_by].filter(Boolean) as Axis[];
    const columns = axes.map((a) => keys.get(a.property_id) ?? '?');
    const where = dashboards.get(view.dashboard_view_id as string);
    const what = `${title} › ${where ? `${where} › ` : ''}${view.name as string}`;
    const mismatches: string[] = [];
    if (columns.some((c) => !IDENTIFIER.test(c))) throw new Error(`${what}: an axis names no property of ours`);

    const pages = await pagesShown(ctx.client, ids.dataSourceId, (view.filter as Json | null) ?? null);
    const dayProperty = [...keys].find(([, key]) => key === 'metric_date')?.[0];
    const days = pages.map((p) => String(valueOf(p, dayProperty ?? ''))).sort();
    const filterFrom = (view.filter as Json | null)?.date?.on_or_after as string | undefined;
    if (filterFrom && filterFrom !== monthStartIn(new Date(`${ctx.today}T12:00:00Z`), ctx.timezone)) {
      mismatches.push(`its filter starts on ${filterFrom}, not on the first day of ${ctx.today.slice(0, 7)}`);
    }
    const from = filterFrom ?? days[0] ?? ctx.today;

    const shown = new Map<string, Exact>();
    for (const page of pages) {
      const key = axes.map((a) => String(valueOf(page, a.property_id))).join(' · ');
      shown.set(key, (shown.get(key) ?? 0n) + exactOf(valueOf(page, y.property_id)));
    }
    const groups = columns.map((c) => (c === 'metric_date' ? `to_char((created_at at time zone $3)::date, 'YYYY-MM-DD')` : `coalesce(${c}::text, 'null')`));
    const { rows } = await ctx.pool.query<{ k: string; total: string }>(
      `select concat_ws(' · ', ${groups.join(', ')}) as k, coalesce(sum(total_cost), 0)::text as total
         from public.token_usage_logs
        where created_at >= ($1::date)::timestamp at time zone $3 and created_at < ($2::date + 1)::timestamp at time zone $3 and (${logsWhere})
        group by 1`,
      [from, ctx.today, ctx.timezone],
    );
    const sql = new Map(rows.map((r) => [r.k, parseExactUsd(r.total)!]));
    compare(shown, sql, mismatches);
    checks.push({ what, from, to: ctx.today, notionMicros: microsFromExact(sumOf(shown.values())), sqlMicros: microsFromExact(sumOf(sql.values())), mismatches });
  }
  return checks;
}

/**
 * A rollup database's pages against its table: for every day Notion shows, the
 * same rows (whole days, none missing, none extra) with the same Total Cost.
 */
export async function checkRollupPages(ctx: CheckContext, dataset: Dataset, dataSourceId: string, title: string): Promise<DashboardCheck> {
  const keys = keysById(ctx.notion, dataSourceId);
  const idOf = (key: string) => [...keys].find(([, k]) => k === key)?.[0] ?? '';
  const shown = new Map<string, Exact>();
  const days = new Set<string>();
  for (const page of ctx.notion.state.pages(dataSourceId) as Json[]) {
    days.add(String(valueOf(page, idOf('metric_date'))));
    shown.set(String(valueOf(page, idOf('id'))), exactOf(valueOf(page, idOf('total_cost'))));
  }
  const sorted = [...days].sort();
  const from = sorted[0] ?? ctx.today;
  if (!IDENTIFIER.test(dataset)) throw new Error(`not a table: ${dataset}`);
  const { rows } = await ctx.pool.query<{ id: string; total: string }>(
    `select id::text, total_cost::text as total from public.${dataset} where metric_date between $1::date and $2::date`,
    [from, ctx.today],
  );
  const sql = new Map(rows.map((r) => [r.id, parseExactUsd(r.total)!]));
  const mismatches: string[] = [];
  compare(shown, sql, mismatches);
  const total = (values: Iterable<Exact>) => microsFromExact(sumOf(values));
  return { what: `${title} › every page`, from, to: ctx.today, notionMicros: total(shown.values()), sqlMicros: total(sql.values()), mismatches };
}

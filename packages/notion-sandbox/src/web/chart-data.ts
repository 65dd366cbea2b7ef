/**
 * A chart view's numbers: rows its filter selects, grouped along the x axis
 * (and into series by `stack_by`), each cell aggregated as `y_axis` says;
 * running totals when `cumulative` is set. Geometry is drawn elsewhere.
 */
import { DAY_MS } from '../dates.js';
import { findProperty } from '../schema.js';
import type { PageRecord, PropertySchema, Store, ViewRecord } from '../store.js';
import { isRecord, type JsonObject } from '../validation.js';
import { readValue } from '../values.js';
import { emptyGroup, groupingOf, groupsOf, sortGroups, timeGroup, type Group, type Grouping } from './groups.js';
import type { Selection } from './rows.js';

export type ChartType = 'column' | 'bar' | 'line' | 'donut' | 'number';

export interface ReferenceLine {
  value: number;
  label: string;
  color: string;
  dashed: boolean;
}

export interface ChartData {
  type: ChartType;
  /** Along the x axis (slices of a donut). */
  groups: Group[];
  /** One per stack_by group; a single unnamed series without stack_by. */
  series: Group[];
  /** cells[group][series]: the aggregate, or null when there is nothing to aggregate. */
  cells: (number | null)[][];
  /** What is drawn: the cells, or their running totals along the x axis for a cumulative chart. */
  plotted: (number | null)[][];
  /** Sum of the cells (for a cumulative chart, the last running totals added up). */
  total: number;
  /** Whether values add up (sum, count…): only then is a series total or a chart total worth showing. */
  additive: boolean;
  /** Number format of the values, e.g. dollar. */
  format: string | undefined;
  xTitle: string;
  yTitle: string;
  /** The stack_by property's name, or '' without stacks. */
  stackTitle: string;
  referenceLines: ReferenceLine[];
}

type Read = (page: PageRecord) => unknown;

function numeric(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (isRecord(value) && value.type === 'number' && typeof value.number === 'number') return value.number;
  return null;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value) && typeof value.type === 'string' && value.type in value) return isEmpty(value[value.type]);
  return false;
}

const numbers = (pages: PageRecord[], read: Read) => pages.map((p) => numeric(read(p))).filter((n): n is number => n !== null);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
const whenAny = (values: number[], f: (v: number[]) => number) => (values.length === 0 ? null : f(values));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Notion's chart aggregators; the date ones (earliest_date…) are not drawn. */
const AGGREGATORS: Record<string, (pages: PageRecord[], read: Read) => number | null> = {
  count: (pages) => pages.length,
  count_values: (pages, read) => pages.filter((p) => !isEmpty(read(p))).length,
  unique: (pages, read) => new Set(pages.filter((p) => !isEmpty(read(p))).map((p) => JSON.stringify(read(p)))).size,
  empty: (pages, read) => pages.filter((p) => isEmpty(read(p))).length,
  not_empty: (pages, read) => pages.filter((p) => !isEmpty(read(p))).length,
  percent_empty: (pages, read) => share(pages.filter((p) => isEmpty(read(p))).length, pages.length),
  percent_not_empty: (pages, read) => share(pages.filter((p) => !isEmpty(read(p))).length, pages.length),
  checked: (pages, read) => pages.filter((p) => read(p) === true).length,
  unchecked: (pages, read) => pages.filter((p) => read(p) !== true).length,
  percent_checked: (pages, read) => share(pages.filter((p) => read(p) === true).length, pages.length),
  percent_unchecked: (pages, read) => share(pages.filter((p) => read(p) !== true).length, pages.length),
  sum: (pages, read) => sum(numbers(pages, read)),
  average: (pages, read) => whenAny(numbers(pages, read), (v) => sum(v) / v.length),
  median: (pages, read) => whenAny(numbers(pages, read), median),
  min: (pages, read) => whenAny(numbers(pages, read), (v) => Math.min(...v)),
  max: (pages, read) => whenAny(numbers(pages, read), (v) => Math.max(...v)),
  range: (pages, read) => whenAny(numbers(pages, read), (v) => Math.max(...v) - Math.min(...v)),
};

const VALUE_AGGREGATORS = ['sum', 'average', 'median', 'min', 'max', 'range'];
const ADDITIVE = ['sum', 'count', 'count_values', 'empty', 'not_empty', 'checked', 'unchecked'];

interface YAxis {
  aggregate: (pages: PageRecord[]) => number | null;
  additive: boolean;
  format: string | undefined;
  title: string;
}

function yAxisOf(store: Store, schema: readonly PropertySchema[], raw: unknown): YAxis | string {
  const config = isRecord(raw) ? raw : { aggregator: 'count' };
  const name = String(config.aggregator);
  const aggregator = AGGREGATORS[name];
  if (!aggregator) return `The aggregator “${name}” is not drawn by the sandbox.`;
  const property = typeof config.property_id === 'string' ? findProperty(schema, config.property_id) : undefined;
  if (config.property_id !== undefined && !property) return 'The y-axis property no longer exists.';
  const read: Read = (page) => (property ? readValue(store, schema, page, property) : null);
  const format = name.startsWith('percent') ? 'percent' : VALUE_AGGREGATORS.includes(name) ? property?.config.format : 'number_with_commas';
  const title = property ? `${name.replace(/_/g, ' ')} of ${property.name}` : 'Count';
  return { aggregate: (pages) => aggregator(pages, read), additive: ADDITIVE.includes(name), format, title: title.charAt(0).toUpperCase() + title.slice(1) };
}

/** Adds the days between the first and last day groups, so a time axis is evenly spaced. */
function fillDays(groups: Group[], grouping: Grouping): Group[] {
  const days = groups.filter((g) => !g.empty);
  if (grouping.by !== 'day' && grouping.by !== 'relative') return groups;
  if (days.length < 2 || !['date', 'created_time', 'last_edited_time'].includes(grouping.property.type)) return groups;
  const ranks = days.map((g) => Number(g.rank));
  const [first, last] = [Math.min(...ranks), Math.max(...ranks)];
  if ((last - first) / DAY_MS > 366) return groups;
  const all: Group[] = [];
  for (let t = first; t <= last; t += DAY_MS) all.push(days.find((g) => g.rank === t) ?? timeGroup(t, 'day'));
  return sortGroups([...all, ...groups.filter((g) => g.empty)], grouping);
}

/** Rows bucketed by a grouping; the buckets' groups in the view's order. */
function bucket(store: Store, selection: Selection, grouping: Grouping | undefined, rows: PageRecord[]): { groups: Group[]; rowsOf: Map<string, PageRecord[]> } {
  const single: Group = { key: '', label: '', rank: 0 };
  const rowsOf = new Map<string, PageRecord[]>();
  const seen = new Map<string, Group>();
  for (const page of rows) {
    const found = grouping ? groupsOf(store, selection.schema, grouping, page) : [single];
    for (const group of found.length > 0 ? found : [emptyGroup(grouping!)]) {
      seen.set(group.key, seen.get(group.key) ?? group);
      const list = rowsOf.get(group.key);
      if (list) list.push(page);
      else rowsOf.set(group.key, [page]);
    }
  }
  const groups = grouping ? fillDays(sortGroups([...seen.values()], grouping), grouping) : [single];
  return { groups, rowsOf };
}

function runningTotals(cells: (number | null)[][], seriesCount: number): (number | null)[][] {
  const totals = new Array<number>(seriesCount).fill(0);
  return cells.map((row) => row.map((v, s) => (totals[s] = totals[s]! + (v ?? 0))));
}

function referenceLines(config: JsonObject): ReferenceLine[] {
  const lines = Array.isArray(config.reference_lines) ? config.reference_lines.filter(isRecord) : [];
  return lines.filter((l) => typeof l.value === 'number').map((l) => ({
    value: l.value as number,
    label: typeof l.label === 'string' ? l.label : '',
    color: typeof l.color === 'string' ? l.color : 'gray',
    dashed: l.dash_style !== 'solid',
  }));
}

export function chartData(store: Store, view: ViewRecord, selection: Selection): ChartData | string {
  const config = view.configuration ?? {};
  const type = (['column', 'bar', 'line', 'donut', 'number'] as const).find((t) => t === config.chart_type) ?? 'column';
  const y = yAxisOf(store, selection.schema, config.y_axis ?? config.value);
  if (typeof y === 'string') return y;
  const x = type === 'number' ? undefined : groupingOf(selection.schema, config.x_axis);
  if (type !== 'number' && !x) return 'The x-axis property no longer exists.';
  const stack = type === 'donut' || type === 'number' ? undefined : groupingOf(selection.schema, config.stack_by);

  const { groups, rowsOf } = bucket(store, selection, x, selection.rows);
  const series = bucket(store, selection, stack, selection.rows).groups;
  const cells = groups.map((g) => {
    const inGroup = rowsOf.get(g.key) ?? [];
    // A filled-in day with no rows aggregates nothing: zero for a sum or count, no value for a max.
    if (!stack) return [y.aggregate(inGroup)];
    const bySeries = bucket(store, selection, stack, inGroup).rowsOf;
    return series.map((s) => (bySeries.has(s.key) ? y.aggregate(bySeries.get(s.key)!) : null));
  });
  const total = sum(cells.flat().filter((v): v is number => v !== null));
  const plotted = config.cumulative === true ? runningTotals(cells, series.length) : cells;
  return {
    type, groups, series: stack ? series : [{ key: '', label: y.title, rank: 0 }], cells, plotted, total, additive: y.additive, format: y.format,
    xTitle: x ? `${x.property.name}${x.by === 'exact' ? '' : ` (${x.by})`}` : '', yTitle: y.title, stackTitle: stack?.property.name ?? '', referenceLines: referenceLines(config),
  };
}


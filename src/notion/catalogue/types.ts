/**
 * How a Notion database of ours is described: its properties and its views, as
 * data. Provisioning turns a spec into Notion requests; sync maps rows onto it.
 */
import type { Dataset } from '../../datasets.js';

export type NumberFormat = 'number' | 'number_with_commas' | 'percent' | 'dollar';
export type SelectColor = 'default' | 'gray' | 'brown' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'pink' | 'red';

export interface SelectOption {
  name: string;
  color: SelectColor;
}

interface PropertyBase {
  /** Stable machine key: the Supabase column, or a name for a derived value. */
  key: string;
  /** What people see in Notion. */
  name: string;
  /** Shown in Notion; ends with a marker that lets us recognise the property after a rename. */
  description: string;
  /**
   * The open select whose exact value this text property holds when the select
   * cannot show it (see openSelect). Pages written before it existed stay as they
   * are, so adding one rewrites no page.
   */
  exactOf?: string;
}

export type PropertySpec = PropertyBase &
  (
    | { type: 'title' }
    | { type: 'rich_text' }
    | { type: 'number'; format: NumberFormat }
    | { type: 'select'; options: readonly SelectOption[] }
    | { type: 'date' }
    | { type: 'checkbox' }
    | { type: 'formula'; expression: string }
  );

export type PropertyType = PropertySpec['type'];

/** Resolves one of our property keys to its id in the live data source. */
export type PropertyIdOf = (key: string) => string;

/** What a view may depend on besides the schema. */
export interface ViewContext {
  /** First day of the current month (YYYY-MM-DD) in REPORT_TIMEZONE; Notion filters have no "this month". */
  monthStart: string;
}

export interface ViewSpec {
  name: string;
  type: 'table' | 'board' | 'chart';
  /** The view's configuration, with property ids resolved. */
  configuration: (id: PropertyIdOf) => Record<string, unknown>;
  sorts?: (id: PropertyIdOf) => Record<string, unknown>[];
  filter?: (id: PropertyIdOf, context: ViewContext) => Record<string, unknown>;
  /**
   * Its filter names the first day of the current month, which Notion cannot say
   * relatively: the worker moves it when the month turns (a view update, no block).
   */
  movesWithMonth?: boolean;
}

export interface DashboardSpec {
  name: string;
  /** Names of this database's views to show as widgets, one row each. */
  widgets: readonly string[];
}

/**
 * Views an earlier version provisioned in this database and no longer wants:
 * setup:notion removes them (found by name, or by configuration when renamed).
 */
export interface RetiredViews {
  /** Where what they showed lives now, for setup's plan, e.g. "Daily Costs". */
  movedTo: string;
  views: readonly ViewSpec[];
  /** A dashboard of this name, or one holding only retired views, goes with them. */
  dashboard?: string;
}

export interface DatabaseSpec {
  dataset: Dataset;
  title: string;
  icon: string;
  description: string;
  properties: readonly PropertySpec[];
  views: readonly ViewSpec[];
  dashboard?: DashboardSpec;
  retired?: RetiredViews;
}

const MARKER_PREFIX = 'tokensync:';

/** The marker at the end of a description, e.g. "[tokensync:total_cost]". */
export function markerOf(key: string): string {
  return `[${MARKER_PREFIX}${key}]`;
}

/** The key a description's marker names, if it has one. */
export function keyInDescription(description: string | null | undefined): string | undefined {
  return description ? new RegExp(`\\[${MARKER_PREFIX}([a-z0-9_]+)\\]\\s*$`).exec(description)?.[1] : undefined;
}

/** Small constructors keep the catalogue readable: one line per property. */
const make = (spec: PropertySpec): PropertySpec => ({ ...spec, description: `${spec.description} ${markerOf(spec.key)}` });

export const title = (key: string, name: string, description: string) => make({ key, name, description, type: 'title' });
export const text = (key: string, name: string, description: string) => make({ key, name, description, type: 'rich_text' });
export const money = (key: string, name: string, description: string) =>
  make({ key, name, description, type: 'number', format: 'dollar' });
export const count = (key: string, name: string, description: string) =>
  make({ key, name, description, type: 'number', format: 'number_with_commas' });
export const decimal = (key: string, name: string, description: string) =>
  make({ key, name, description, type: 'number', format: 'number' });
export const percent = (key: string, name: string, description: string) =>
  make({ key, name, description, type: 'number', format: 'percent' });
export const select = (key: string, name: string, description: string, options: readonly SelectOption[] = []) =>
  make({ key, name, description, type: 'select', options });
export const date = (key: string, name: string, description: string) => make({ key, name, description, type: 'date' });
export const checkbox = (key: string, name: string, description: string) => make({ key, name, description, type: 'checkbox' });
export const formula = (key: string, name: string, description: string, expression: string) =>
  make({ key, name, description, type: 'formula', expression });

/** Options Notion allows on one select property: a page or schema update past it is refused. */
export const NOTION_MAX_SELECT_OPTIONS = 100;

/**
 * Where an open select's values go once it has no room for another option
 * (Notion allows 100): their pages show this option, the exact value next to it.
 */
export const OVERFLOW_OPTION: SelectOption = { name: 'Other', color: 'default' };

/**
 * A select over open-ended values (models, providers, services, tiers), and the
 * text property beside it, "<name> (exact)", that holds the exact value whenever
 * the option shown is not it: the value overflowed to "Other", matched an option
 * differing only in case, or was cleaned or cut to be an option name.
 */
export function openSelect(key: string, name: string, description: string, options: readonly SelectOption[] = []): [PropertySpec, PropertySpec] {
  return [
    select(key, name, `${description} Values past the options Notion allows show as ${OVERFLOW_OPTION.name}.`, [...options, OVERFLOW_OPTION]),
    make({
      key: `${key}_exact`,
      name: `${name} (exact)`,
      description: `The exact value when ${name} cannot show it (${OVERFLOW_OPTION.name}, a case variant, or cleaned to fit); empty otherwise.`,
      type: 'rich_text',
      exactOf: key,
    }),
  ];
}

/** A table view ordered by one of our properties. */
export const sortedTable = (name: string, key: string, direction: 'ascending' | 'descending' = 'descending'): ViewSpec => ({
  name,
  type: 'table',
  configuration: () => ({ type: 'table' }),
  sorts: (id) => [{ property: id(key), direction }],
});

/** The property every database has: the source row's primary key, for lookups. */
export const supabaseId = () => text('id', 'Supabase ID', 'Primary key of the source row in Supabase.');

export const ENTITY_TYPE_OPTIONS: readonly SelectOption[] = [
  { name: 'organization', color: 'purple' },
  { name: 'service', color: 'blue' },
  { name: 'tier', color: 'green' },
  { name: 'user', color: 'orange' },
  { name: 'session', color: 'gray' },
  { name: 'agent', color: 'brown' },
  { name: 'feature', color: 'pink' },
];

export const PROVIDER_OPTIONS: readonly SelectOption[] = [
  { name: 'openai', color: 'green' },
  { name: 'anthropic', color: 'orange' },
  { name: 'google', color: 'blue' },
];

export const SERVICE_OPTIONS: readonly SelectOption[] = [
  { name: '1:1_conversation', color: 'blue' },
  { name: 'virtual_panel', color: 'purple' },
  { name: 'workflow', color: 'green' },
  { name: 'solution_builder', color: 'orange' },
];

/**
 * The three cost charts over rows dated by `dateKey` and costed by total_cost:
 * daily cost stacked by service, cost by model, month-to-date. Daily Costs draws
 * them; Token Usage Logs drew them before (setup:notion recognises them there).
 */
export function costCharts(dateKey: string): [ViewSpec, ViewSpec, ViewSpec] {
  const byDay = (id: PropertyIdOf) => ({ type: 'date', property_id: id(dateKey), group_by: 'day', sort: { type: 'ascending' } });
  const sumOfCost = (id: PropertyIdOf) => ({ aggregator: 'sum', property_id: id('total_cost') });
  return [
    {
      name: 'Daily cost by service',
      type: 'chart',
      configuration: (id) => ({
        type: 'chart',
        chart_type: 'column',
        x_axis: byDay(id),
        y_axis: sumOfCost(id),
        stack_by: { type: 'select', property_id: id('service_type'), sort: { type: 'ascending' } },
        legend_position: 'bottom',
      }),
    },
    {
      name: 'Cost by model',
      type: 'chart',
      configuration: (id) => ({
        type: 'chart',
        chart_type: 'donut',
        x_axis: { type: 'select', property_id: id('model'), sort: { type: 'descending' } },
        y_axis: sumOfCost(id),
        donut_labels: 'name_and_value',
      }),
    },
    {
      name: 'Month-to-date cost',
      type: 'chart',
      configuration: (id) => ({ type: 'chart', chart_type: 'line', x_axis: byDay(id), y_axis: sumOfCost(id), cumulative: true }),
      filter: (id, context) => ({ property: id(dateKey), date: { on_or_after: context.monthStart } }),
    },
  ];
}

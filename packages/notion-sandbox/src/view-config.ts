/**
 * View configuration (https://developers.notion.com/guides/data-apis/working-with-views):
 * a union keyed on `type` that must match the view's type. The fake checks the
 * required fields (board `group_by`, calendar/timeline `date_property_id`, chart
 * `chart_type`, group-by `property_id` / `sort`), that every referenced property
 * exists and suits its use, and answers with the property names Notion adds.
 */
import { notionErrors } from './errors.js';
import { samePropertyId } from './ids.js';
import type { PropertySchema } from './store.js';
import { expectArray, expectObject, expectOneOf, expectString, fail, isRecord, type JsonObject } from './validation.js';

export const VIEW_TYPES = ['table', 'board', 'list', 'calendar', 'timeline', 'gallery', 'form', 'chart', 'map', 'dashboard'] as const;

const CHART_TYPES = ['column', 'bar', 'line', 'donut', 'number'];
const AGGREGATORS = [
  'count', 'count_values', 'sum', 'average', 'median', 'min', 'max', 'range', 'unique', 'empty', 'not_empty', 'percent_empty',
  'percent_not_empty', 'checked', 'unchecked', 'percent_checked', 'percent_unchecked', 'earliest_date', 'latest_date', 'date_range',
];
const NUMERIC_AGGREGATORS = ['sum', 'average', 'median', 'min', 'max', 'range'];
const DATE_TYPES = ['date', 'created_time', 'last_edited_time'];

/** group_by `type` for each property type. */
const GROUP_TYPE: Record<string, string> = {
  select: 'select', multi_select: 'multi_select', date: 'date', created_time: 'created_time', last_edited_time: 'last_edited_time',
  title: 'title', rich_text: 'text', url: 'url', email: 'email', phone_number: 'phone_number', number: 'number', checkbox: 'checkbox',
  formula: 'formula', created_by: 'created_by', last_edited_by: 'last_edited_by',
};

function propertyRef(path: string, raw: unknown, schema: readonly PropertySchema[]): PropertySchema {
  const id = expectString(path, raw);
  const property = schema.find((p) => samePropertyId(p.id, id));
  if (!property) throw notionErrors.validation(`Could not find property with id: ${id} (${path})`);
  return property;
}

function groupBy(path: string, raw: unknown, schema: readonly PropertySchema[]): void {
  const g = expectObject(path, raw);
  const type = expectString(`${path}.type`, g.type);
  const property = propertyRef(`${path}.property_id`, g.property_id, schema);
  if (GROUP_TYPE[property.type] !== type && !(type === 'text' && property.type === 'title')) {
    throw notionErrors.validation(`${path}: group_by type \`${type}\` does not match property ${property.name} of type ${property.type}.`);
  }
  expectOneOf(`${path}.sort.type`, expectObject(`${path}.sort`, g.sort).type, ['manual', 'ascending', 'descending']);
  if (DATE_TYPES.includes(type)) expectOneOf(`${path}.group_by`, g.group_by, ['relative', 'day', 'week', 'month', 'year']);
  if (['text', 'title', 'url', 'email', 'phone_number'].includes(type)) expectOneOf(`${path}.group_by`, g.group_by, ['exact', 'alphabet_prefix']);
  if (type === 'formula') expectObject(`${path}.group_by`, g.group_by);
}

function aggregation(path: string, raw: unknown, schema: readonly PropertySchema[]): void {
  const a = expectObject(path, raw);
  const aggregator = expectOneOf(`${path}.aggregator`, a.aggregator, AGGREGATORS);
  if (a.property_id === undefined) {
    if (aggregator !== 'count') fail(`${path}.property_id`, `should be defined for aggregator ${aggregator}`, undefined);
    return;
  }
  const property = propertyRef(`${path}.property_id`, a.property_id, schema);
  if (NUMERIC_AGGREGATORS.includes(aggregator) && property.type !== 'number' && property.type !== 'formula') {
    throw notionErrors.validation(`${path}: aggregator ${aggregator} needs a number property; ${property.name} is ${property.type}.`);
  }
}

function checkReferences(path: string, config: JsonObject, schema: readonly PropertySchema[]): void {
  if (config.properties !== undefined && config.properties !== null) {
    expectArray(`${path}.properties`, config.properties).forEach((p, i) => propertyRef(`${path}.properties[${i}].property_id`, expectObject(`${path}.properties[${i}]`, p).property_id, schema));
  }
  for (const key of ['group_by', 'sub_group_by', 'x_axis', 'stack_by'] as const) {
    if (config[key] !== undefined && config[key] !== null) groupBy(`${path}.${key}`, config[key], schema);
  }
  for (const key of ['y_axis', 'value'] as const) {
    if (config[key] !== undefined && config[key] !== null) aggregation(`${path}.${key}`, config[key], schema);
  }
  for (const key of ['date_property_id', 'end_date_property_id'] as const) {
    if (config[key] === undefined || config[key] === null) continue;
    const property = propertyRef(`${path}.${key}`, config[key], schema);
    if (!DATE_TYPES.includes(property.type)) throw notionErrors.validation(`${path}.${key}: ${property.name} is not a date property.`);
  }
  for (const key of ['x_axis_property_id', 'y_axis_property_id', 'map_by'] as const) {
    if (config[key] !== undefined && config[key] !== null) propertyRef(`${path}.${key}`, config[key], schema);
  }
  if (isRecord(config.cover) && config.cover.property_id !== undefined) propertyRef(`${path}.cover.property_id`, config.cover.property_id, schema);
}

/**
 * The configuration to store after a create (`previous` undefined) or an update
 * (fields merge into `previous`; `null` clears a field).
 */
export function parseConfiguration(path: string, raw: unknown, viewType: string, schema: readonly PropertySchema[], previous?: JsonObject | null): JsonObject {
  if (viewType === 'dashboard') throw notionErrors.validation(`${path}: dashboard views have no configuration; add widgets with \`view_id\` instead.`);
  const input = expectObject(path, raw);
  if (input.type !== viewType) fail(`${path}.type`, `should be \`"${viewType}"\`, the view's type`, input.type);
  const merged: JsonObject = { ...(previous ?? {}) };
  for (const [key, value] of Object.entries(input)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  merged.type = viewType;
  if (viewType === 'board' && merged.group_by === undefined) fail(`${path}.group_by`, 'should be defined for a board view', undefined);
  if ((viewType === 'calendar' || viewType === 'timeline') && merged.date_property_id === undefined) {
    fail(`${path}.date_property_id`, `should be defined for a ${viewType} view`, undefined);
  }
  if (viewType === 'chart') expectOneOf(`${path}.chart_type`, merged.chart_type, CHART_TYPES);
  checkReferences(path, merged, schema);
  return merged;
}

function named(value: unknown, schema: readonly PropertySchema[], idKey = 'property_id', nameKey = 'property_name'): unknown {
  if (!isRecord(value) || typeof value[idKey] !== 'string') return value;
  const property = schema.find((p) => samePropertyId(p.id, value[idKey] as string));
  return property ? { ...value, [idKey]: property.id, [nameKey]: property.name } : value;
}

/** A stored configuration as Notion returns it: with `property_name` / `date_property_name` filled in. */
export function describeConfiguration(config: JsonObject | null, schema: readonly PropertySchema[]): JsonObject | null {
  if (!config) return null;
  const out: JsonObject = structuredClone(config);
  for (const key of ['group_by', 'sub_group_by', 'x_axis', 'stack_by']) out[key] = named(out[key], schema);
  if (Array.isArray(out.properties)) out.properties = out.properties.map((p) => named(p, schema));
  for (const [idKey, nameKey] of [['date_property_id', 'date_property_name'], ['end_date_property_id', 'end_date_property_name'], ['map_by', 'map_by_property_name']] as const) {
    if (typeof out[idKey] === 'string') Object.assign(out, named(out, schema, idKey, nameKey));
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * Data source property schemas: building them from `initial_data_source.properties`
 * or `data_sources` create, updating them (add, rename, change, remove), select
 * options (auto-created on first use, ≤ 100 per property, names ≤ 100 characters without
 * commas, unique ignoring case), and
 * the schema as Notion returns it. Every property has a stable id; the title's is `title`.
 */
import { notionErrors } from './errors.js';
import { newPropertyId, samePropertyId } from './ids.js';
import type { DataSourceRecord, PropertySchema, PropertyType, SelectOption } from './store.js';
import { LIMITS, expectArray, expectObject, expectString, fail, maxLength, type JsonObject } from './validation.js';

export const PROPERTY_TYPES: readonly PropertyType[] = [
  'title', 'rich_text', 'number', 'select', 'multi_select', 'date', 'checkbox', 'url', 'email', 'phone_number',
  'formula', 'created_time', 'last_edited_time', 'created_by', 'last_edited_by',
];

/** Types Notion has that the fake does not model. */
const UNSUPPORTED_TYPES = ['status', 'relation', 'rollup', 'people', 'files', 'unique_id', 'button', 'verification', 'place', 'location', 'last_visited_time'];

export const NUMBER_FORMATS = [
  'number', 'number_with_commas', 'percent', 'dollar', 'australian_dollar', 'canadian_dollar', 'singapore_dollar',
  'euro', 'pound', 'yen', 'ruble', 'rupee', 'won', 'yuan', 'real', 'lira', 'rupiah', 'franc', 'hong_kong_dollar',
  'new_zealand_dollar', 'krona', 'norwegian_krone', 'mexican_peso', 'rand', 'new_taiwan_dollar', 'danish_krone',
  'zloty', 'baht', 'forint', 'koruna', 'shekel', 'chilean_peso', 'philippine_peso', 'dirham', 'colombian_peso',
  'riyal', 'ringgit', 'leu', 'argentine_peso', 'uruguayan_peso', 'peruvian_sol',
];

export const SELECT_COLORS = ['default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'];

/** A property by name, or else by id. */
export function findProperty(properties: readonly PropertySchema[], key: string): PropertySchema | undefined {
  return properties.find((p) => p.name === key) ?? properties.find((p) => samePropertyId(p.id, key));
}

function typeOf(path: string, raw: JsonObject): PropertyType {
  const declared = raw.type;
  const keys = [...PROPERTY_TYPES, ...UNSUPPORTED_TYPES].filter((t) => raw[t] !== undefined);
  const type = typeof declared === 'string' ? declared : keys[0];
  if (type === undefined) throw notionErrors.bodyValidation(path, 'should have a property type such as `rich_text` or `number`');
  if (UNSUPPORTED_TYPES.includes(type)) throw notionErrors.validation(`${path}: property type \`${type}\` is not supported by the Notion fake.`);
  if (!(PROPERTY_TYPES as readonly string[]).includes(type)) fail(`${path}.type`, 'should be a supported property type', type);
  if (keys.length > 1 || (keys.length === 1 && keys[0] !== type)) {
    throw notionErrors.bodyValidation(path, `should define only \`${type}\`, instead was ${keys.join(', ')}`);
  }
  return type as PropertyType;
}

function optionColor(path: string, raw: unknown, index: number): string {
  if (raw === undefined) return SELECT_COLORS[(index + 1) % SELECT_COLORS.length]!;
  if (typeof raw !== 'string' || !SELECT_COLORS.includes(raw)) fail(path, 'should be a select color', raw);
  return raw;
}

/** Checks an option name: a non-blank string of at most 100 characters without commas. */
export function checkOptionName(path: string, name: unknown): string {
  const value = expectString(path, name);
  if (value.includes(',')) throw notionErrors.validation(`Invalid select option, commas not allowed: ${value}`);
  if (value.trim() === '') fail(path, 'should be a non-empty string', value);
  maxLength(path, value, LIMITS.selectOptionName);
  return value;
}

function checkOptionCount(propertyName: string, count: number): void {
  if (count > LIMITS.selectOptions) {
    throw notionErrors.validation(`Cannot have more than ${LIMITS.selectOptions} options for property ${propertyName} (got ${count}).`);
  }
}

/** Options for create (names) or update (names or ids of existing ones); the list replaces the old one. */
function buildOptions(path: string, propertyName: string, raw: unknown, existing: readonly SelectOption[]): SelectOption[] {
  const list = expectArray(path, raw);
  checkOptionCount(propertyName, list.length);
  const out: SelectOption[] = [];
  list.forEach((value, i) => {
    const item = expectObject(`${path}[${i}]`, value);
    const byId = typeof item.id === 'string' ? existing.find((o) => o.id === item.id) : undefined;
    if (item.id !== undefined && !byId && item.name === undefined) fail(`${path}[${i}].id`, 'should be the id of an existing option', item.id);
    const name = item.name === undefined ? byId!.name : checkOptionName(`${path}[${i}].name`, item.name);
    if (out.some((o) => o.name.toLowerCase() === name.toLowerCase())) {
      throw notionErrors.validation(`Duplicate select option name (names are compared ignoring case): ${name}`);
    }
    const known = byId ?? existing.find((o) => o.name === name);
    out.push({
      id: known?.id ?? newPropertyId(new Set([...existing.map((o) => o.id), ...out.map((o) => o.id)])),
      name,
      color: item.color === undefined && known ? known.color : optionColor(`${path}[${i}].color`, item.color, out.length),
      description: typeof item.description === 'string' ? item.description : known?.description ?? null,
    });
  });
  return out;
}

function configOf(path: string, type: PropertyType, name: string, raw: unknown, previous?: PropertySchema): PropertySchema['config'] {
  const body = raw === undefined ? {} : expectObject(`${path}.${type}`, raw);
  switch (type) {
    case 'number': {
      const format = body.format ?? (previous?.type === 'number' ? previous.config.format : 'number');
      if (typeof format !== 'string' || !NUMBER_FORMATS.includes(format)) fail(`${path}.number.format`, 'should be a number format', format);
      return { format };
    }
    case 'select':
    case 'multi_select': {
      const existing = previous?.type === type ? previous.config.options ?? [] : [];
      return { options: body.options === undefined ? [...existing] : buildOptions(`${path}.${type}.options`, name, body.options, existing) };
    }
    case 'formula': {
      const expression = body.expression ?? previous?.config.expression;
      return { expression: expectString(`${path}.formula.expression`, expression) };
    }
    default:
      return {};
  }
}

function descriptionOf(path: string, raw: unknown, previous: string | null): string | null {
  if (raw === undefined) return previous;
  if (raw === null) return null;
  return expectString(`${path}.description`, raw);
}

/** A schema from a create request: keys are names, exactly one title property. */
export function buildSchema(path: string, raw: unknown): PropertySchema[] {
  const body = expectObject(path, raw);
  const properties: PropertySchema[] = [];
  for (const [name, value] of Object.entries(body)) {
    const propPath = `${path}.${name}`;
    const config = expectObject(propPath, value);
    const type = typeOf(propPath, config);
    const id = type === 'title' ? 'title' : newPropertyId(new Set(properties.map((p) => p.id)));
    if (type === 'title' && properties.some((p) => p.type === 'title')) {
      throw notionErrors.validation('Multiple title properties provided; a data source has exactly one title property.');
    }
    properties.push({ id, name, type, description: descriptionOf(propPath, config.description, null), config: configOf(propPath, type, name, config[type]) });
  }
  if (!properties.some((p) => p.type === 'title')) throw notionErrors.validation('Title property is required: one property must be of type `title`.');
  return properties;
}

/** Applies a data source update's `properties` and returns the new schema; the old one is left untouched. */
export function updateSchema(path: string, current: readonly PropertySchema[], raw: unknown): PropertySchema[] {
  const body = expectObject(path, raw);
  const next = current.map((p) => ({ ...p, config: { ...p.config, ...(p.config.options ? { options: [...p.config.options] } : {}) } }));
  for (const [key, value] of Object.entries(body)) {
    const propPath = `${path}.${key}`;
    const existing = findProperty(next, key);
    if (value === null) {
      if (!existing) throw notionErrors.validation(`${key} is not a property that exists.`);
      if (existing.type === 'title') throw notionErrors.validation('Cannot delete the title property.');
      next.splice(next.indexOf(existing), 1);
      continue;
    }
    const change = expectObject(propPath, value);
    const name = change.name === undefined ? existing?.name ?? key : expectString(`${propPath}.name`, change.name);
    if (name.trim() === '') fail(`${propPath}.name`, 'should be a non-empty string', name);
    const clash = next.find((p) => p !== existing && p.name === name);
    if (clash) throw notionErrors.validation(`Cannot name property “${name}”: another property already has that name.`);
    const hasType = change.type !== undefined || [...PROPERTY_TYPES, ...UNSUPPORTED_TYPES].some((t) => change[t] !== undefined);
    if (!existing) {
      if (!hasType) throw notionErrors.validation(`${key} is not a property that exists.`);
      const type = typeOf(propPath, change);
      if (type === 'title') throw notionErrors.validation('Cannot add a second title property.');
      const id = newPropertyId(new Set(next.map((p) => p.id)));
      next.push({ id, name, type, description: descriptionOf(propPath, change.description, null), config: configOf(propPath, type, name, change[type]) });
      continue;
    }
    existing.name = name;
    existing.description = descriptionOf(propPath, change.description, existing.description);
    if (!hasType) continue;
    const type = typeOf(propPath, change);
    if (type !== existing.type && (type === 'title' || existing.type === 'title')) {
      throw notionErrors.validation('Cannot change the type of the title property, or make another property the title.');
    }
    existing.config = configOf(propPath, type, name, change[type], existing);
    existing.type = type;
  }
  return next;
}

/**
 * The option named `name` of a select or multi-select property, created when it
 * is new (as Notion does when a page names an unknown option). An existing option
 * that differs only in case is reused.
 */
export function optionFor(property: PropertySchema, path: string, value: JsonObject): SelectOption {
  const options = property.config.options ?? (property.config.options = []);
  if (typeof value.id === 'string' && value.name === undefined) {
    const byId = options.find((o) => o.id === value.id);
    if (!byId) fail(`${path}.id`, 'should be the id of an existing option', value.id);
    return byId;
  }
  const name = checkOptionName(`${path}.name`, value.name);
  const found = options.find((o) => o.name === name) ?? options.find((o) => o.name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  checkOptionCount(property.name, options.length + 1);
  const option: SelectOption = {
    id: newPropertyId(new Set(options.map((o) => o.id))),
    name,
    color: optionColor(`${path}.color`, value.color, options.length),
    description: typeof value.description === 'string' ? value.description : null,
  };
  options.push(option);
  return option;
}

/** One property's configuration as Notion returns it. */
export function serializeProperty(p: PropertySchema): JsonObject {
  let config: JsonObject = {};
  if (p.type === 'number') config = { format: p.config.format ?? 'number' };
  if (p.type === 'select' || p.type === 'multi_select') config = { options: (p.config.options ?? []).map((o) => ({ ...o })) };
  if (p.type === 'formula') config = { expression: p.config.expression ?? '' };
  return { id: p.id, name: p.name, description: p.description, type: p.type, [p.type]: config };
}

export function serializeSchema(source: DataSourceRecord): Record<string, JsonObject> {
  return Object.fromEntries(source.properties.map((p) => [p.name, serializeProperty(p)]));
}

/**
 * Data sources (API 2025-09-03): retrieve, create, update (title, icon, trash,
 * and the property schema: add, rename, change, remove) and query with filters,
 * sorts and cursor paging. One query returns at most `queryResultLimit` rows
 * (Notion: 10,000); past that, paging stops and `request_status` says
 * `incomplete` / `query_result_limit_reached` on every page of the query.
 */
import { compileFilter } from '../filters.js';
import { pathId } from '../ids.js';
import { ICON_KINDS, assertEditable, assertKind, createDataSource, optionalRichText, parseIconOrCover, trashFlag } from '../operations.js';
import { paginate } from '../pagination.js';
import { route, type RequestContext, type Route } from '../router.js';
import { buildSchema, updateSchema } from '../schema.js';
import { serializeDataSource, serializePage } from '../serialize.js';
import { compileSorts } from '../sorts.js';
import type { Store } from '../store.js';
import { expectOneOf, pageSizeOf, type JsonObject } from '../validation.js';
import { parentDatabase } from './databases.js';

function visibleSource(store: Store, raw: string) {
  const id = pathId('data_source_id', raw);
  assertKind(store, id, 'data source');
  return store.dataSource(id);
}

function create(store: Store, body: JsonObject): JsonObject {
  const database = parentDatabase(store, body.parent);
  const properties = buildSchema('body.properties', body.properties);
  const title = optionalRichText('body.title', body.title, []);
  const source = createDataSource(store, database, title, properties);
  if (body.icon !== undefined) source.icon = parseIconOrCover('body.icon', body.icon, ICON_KINDS);
  store.touch(database);
  return serializeDataSource(store, source);
}

function update(store: Store, rawId: string, body: JsonObject): JsonObject {
  const source = visibleSource(store, rawId);
  const inTrash = trashFlag(body);
  if (inTrash !== false) assertEditable(store, source.id);
  const title = optionalRichText('body.title', body.title, source.title);
  const icon = body.icon === undefined ? source.icon : parseIconOrCover('body.icon', body.icon, ICON_KINDS);
  const properties = body.properties === undefined ? source.properties : updateSchema('body.properties', source.properties, body.properties);
  Object.assign(source, { title, icon, properties });
  if (inTrash !== undefined) source.inTrash = inTrash;
  store.touch(source);
  return serializeDataSource(store, source);
}

function query({ store, params, body, query: search, cursors, settings }: RequestContext): JsonObject {
  const source = visibleSource(store, params.data_source_id!);
  const schema = source.properties;
  const match = body.filter === undefined ? () => true : compileFilter('body.filter', body.filter, { store, schema, now: store.now(), botId: store.bot.id });
  const order = compileSorts('body.sorts', body.sorts, store, schema);
  const pageSize = pageSizeOf(body.page_size, 'body');
  const trashed = trashFlag(body) ?? false;
  const resultType = body.result_type === undefined ? 'page' : expectOneOf('body.result_type', body.result_type, ['page', 'data_source']);
  const only = search.getAll('filter_properties');

  const rows = resultType === 'page' ? store.rowsOf(source.id).filter((p) => store.isTrashed(p.id) === trashed && match(p)).sort(order) : [];
  const capped = rows.slice(0, settings.queryResultLimit);
  const incomplete = rows.length > capped.length;
  const scope = `${source.id}|${JSON.stringify([body.filter ?? null, body.sorts ?? null, trashed])}`;
  const page = paginate(cursors, scope, capped, body.start_cursor, pageSize, 'body');
  return {
    object: 'list',
    results: page.results.map((p) => serializePage(store, p, only.length ? only : undefined)),
    next_cursor: page.next_cursor,
    has_more: page.has_more,
    type: 'page_or_data_source',
    page_or_data_source: {},
    request_status: incomplete ? { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' } : { type: 'complete' },
  };
}

export const dataSourceRoutes: Route[] = [
  route('POST', '/v1/data_sources', ({ store, body }) => create(store, body)),
  route('GET', '/v1/data_sources/:data_source_id', ({ store, params }) => serializeDataSource(store, visibleSource(store, params.data_source_id!))),
  route('PATCH', '/v1/data_sources/:data_source_id', ({ store, params, body }) => update(store, params.data_source_id!, body)),
  route('POST', '/v1/data_sources/:data_source_id/query', query),
];

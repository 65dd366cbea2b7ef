/**
 * Views (https://developers.notion.com/reference/view): create in a database
 * (`database_id`) or as a widget of a dashboard (`view_id`), list by database or
 * data source, retrieve, update and delete. Dashboards hold widget views in rows;
 * widgets carry `dashboard_view_id`; a dashboard's `data_source_id` is null.
 */
import { notionErrors } from '../errors.js';
import { bodyId, newId, normalizeId, pathId } from '../ids.js';
import { compileFilter } from '../filters.js';
import { paginate } from '../pagination.js';
import { route, type RequestContext, type Route } from '../router.js';
import { serializeView } from '../serialize.js';
import { compileSorts } from '../sorts.js';
import type { DashboardRow, DataSourceRecord, Store, ViewRecord } from '../store.js';
import { VIEW_TYPES, parseConfiguration } from '../view-config.js';
import { expectArray, expectNumber, expectObject, expectOneOf, expectString, fail, pageSizeOf, type JsonObject } from '../validation.js';

/** Checks filter, sorts and quick filters against the data source's schema; returns what to store. */
function viewQuery(store: Store, source: DataSourceRecord, body: JsonObject) {
  const ctx = { store, schema: source.properties, now: store.now(), botId: store.bot.id };
  const out: { filter?: JsonObject | null; sorts?: JsonObject[] | null; quickFilters?: JsonObject | null } = {};
  if (body.filter !== undefined) {
    if (body.filter !== null) compileFilter('body.filter', body.filter, ctx);
    out.filter = body.filter === null ? null : structuredClone(body.filter as JsonObject);
  }
  if (body.sorts !== undefined) {
    if (body.sorts !== null) compileSorts('body.sorts', expectArray('body.sorts', body.sorts), store, source.properties);
    out.sorts = body.sorts === null ? null : structuredClone(body.sorts as JsonObject[]);
  }
  if (body.quick_filters !== undefined) {
    if (body.quick_filters !== null) {
      for (const [key, condition] of Object.entries(expectObject('body.quick_filters', body.quick_filters))) {
        if (condition !== null) compileFilter(`body.quick_filters.${key}`, { ...expectObject(`body.quick_filters.${key}`, condition), property: key }, ctx);
      }
    }
    out.quickFilters = body.quick_filters === null ? null : structuredClone(body.quick_filters as JsonObject);
  }
  return out;
}

function placeWidget(path: string, dashboard: ViewRecord, widgetId: string, raw: unknown): void {
  const rows = (dashboard.rows ??= []);
  const placement = raw === undefined ? { type: 'new_row' } : expectObject(path, raw);
  const type = expectOneOf(`${path}.type`, placement.type, ['new_row', 'existing_row']);
  const widget = { id: newId(), view_id: widgetId };
  if (type === 'new_row') {
    const index = placement.row_index === undefined ? rows.length : expectNumber(`${path}.row_index`, placement.row_index);
    if (!Number.isInteger(index) || index < 0 || index > rows.length) fail(`${path}.row_index`, `should be an integer from 0 to ${rows.length}`, index);
    rows.splice(index, 0, { id: newId(), widgets: [widget] });
    return;
  }
  const index = expectNumber(`${path}.row_index`, placement.row_index);
  const row: DashboardRow | undefined = rows[index];
  if (!Number.isInteger(index) || !row) fail(`${path}.row_index`, `should be the index of an existing row (0 to ${rows.length - 1})`, index);
  row.widgets.push(widget);
}

function create({ store, body }: RequestContext): JsonObject {
  const dataSourceId = bodyId('body.data_source_id', body.data_source_id);
  const name = expectString('body.name', body.name);
  const type = expectOneOf('body.type', body.type, VIEW_TYPES);
  const targets = ['database_id', 'view_id', 'create_database'].filter((k) => body[k] !== undefined);
  if (targets.length !== 1) {
    throw notionErrors.validation(`Provide exactly one of \`database_id\`, \`view_id\` or \`create_database\`; got ${targets.length ? targets.join(', ') : 'none'}.`);
  }
  if (body.create_database !== undefined) throw notionErrors.validation('`create_database` (linked database views) is not supported by the Notion fake.');
  const dashboard = body.view_id !== undefined ? store.view(bodyId('body.view_id', body.view_id)) : undefined;
  if (dashboard && dashboard.type !== 'dashboard') throw notionErrors.validation(`View ${dashboard.id} is not a dashboard; widgets can only be added to dashboard views.`);
  if (dashboard && type === 'dashboard') throw notionErrors.validation('A dashboard cannot be added to another dashboard.');
  if (dashboard && body.position !== undefined) fail('body.position', 'should only be given with `database_id`', body.position);
  if (!dashboard && body.placement !== undefined) fail('body.placement', 'should only be given with `view_id`', body.placement);
  const database = store.database(dashboard ? dashboard.databaseId : bodyId('body.database_id', body.database_id));
  const source = store.dataSource(dataSourceId);
  if (source.databaseId !== database.id) throw notionErrors.validation(`Data source ${dataSourceId} does not belong to database ${database.id}.`);

  const query = type === 'dashboard' ? {} : viewQuery(store, source, body);
  const configuration = body.configuration === undefined ? null : parseConfiguration('body.configuration', body.configuration, type, source.properties);
  let after: number | undefined;
  if (!dashboard && body.position !== undefined) {
    const position = expectObject('body.position', body.position);
    const where = expectOneOf('body.position.type', position.type, ['start', 'end', 'after_view']);
    if (where === 'start') after = 0;
    if (where === 'after_view') {
      const index = database.viewIds.indexOf(normalizeId(position.view_id) ?? '');
      if (index < 0) fail('body.position.view_id', 'should be a view of the database', position.view_id);
      after = index + 1;
    }
  }
  const id = newId();
  const view: ViewRecord = {
    ...store.stamp(id),
    databaseId: database.id,
    dataSourceId: type === 'dashboard' ? null : source.id,
    name,
    type,
    filter: query.filter ?? null,
    sorts: query.sorts ?? null,
    quickFilters: query.quickFilters ?? null,
    configuration,
    ...(type === 'dashboard' ? { rows: [] } : {}),
  };
  if (dashboard) {
    placeWidget('body.placement', dashboard, id, body.placement);
    view.dashboardViewId = dashboard.id;
    store.touch(dashboard);
  } else {
    database.viewIds.splice(after ?? database.viewIds.length, 0, id);
  }
  store.views.set(id, view);
  return serializeView(store, view);
}

function update({ store, params, body }: RequestContext): JsonObject {
  const view = store.view(pathId('view_id', params.view_id!));
  const name = body.name === undefined ? view.name : expectString('body.name', body.name);
  const source = view.dataSourceId ? store.dataSource(view.dataSourceId) : undefined;
  const query = source ? viewQuery(store, source, body) : {};
  if (!source && (body.filter !== undefined || body.sorts !== undefined || body.quick_filters !== undefined)) {
    throw notionErrors.validation('Dashboard views have no filter, sorts or quick filters.');
  }
  const configuration = body.configuration === undefined ? view.configuration : parseConfiguration('body.configuration', body.configuration, view.type, source?.properties ?? [], view.configuration);
  view.name = name;
  view.configuration = configuration;
  if (query.filter !== undefined) view.filter = query.filter;
  if (query.sorts !== undefined) view.sorts = query.sorts;
  if (query.quickFilters !== undefined) view.quickFilters = query.quickFilters;
  store.touch(view);
  return serializeView(store, view);
}

function remove({ store, params }: RequestContext): JsonObject {
  const view = store.view(pathId('view_id', params.view_id!));
  const database = store.databases.get(view.databaseId);
  const doomed = [view.id, ...(view.type === 'dashboard' ? [...store.views.values()].filter((v) => v.dashboardViewId === view.id).map((v) => v.id) : [])];
  for (const id of doomed) store.views.delete(id);
  if (database) database.viewIds = database.viewIds.filter((id) => !doomed.includes(id));
  const dashboard = view.dashboardViewId ? store.views.get(view.dashboardViewId) : undefined;
  if (dashboard?.rows) {
    dashboard.rows = dashboard.rows.map((r) => ({ ...r, widgets: r.widgets.filter((w) => w.view_id !== view.id) })).filter((r) => r.widgets.length > 0);
    store.touch(dashboard);
  }
  return { object: 'view', id: view.id, parent: { type: 'database_id', database_id: view.databaseId }, type: view.type };
}

function list({ store, query, cursors }: RequestContext): JsonObject {
  const databaseId = query.get('database_id');
  const dataSourceId = query.get('data_source_id');
  if ((databaseId === null) === (dataSourceId === null)) {
    throw notionErrors.validation('Provide exactly one of the query parameters `database_id` or `data_source_id`.');
  }
  let views: ViewRecord[];
  if (databaseId !== null) {
    const database = store.database(pathId('database_id', databaseId));
    const tabs = database.viewIds.flatMap((id) => (store.views.get(id) ? [store.views.get(id)!] : []));
    const widgets = [...store.views.values()].filter((v) => v.databaseId === database.id && v.dashboardViewId);
    views = [...tabs, ...widgets];
  } else {
    const source = store.dataSource(pathId('data_source_id', dataSourceId!));
    views = [...store.views.values()].filter((v) => v.dataSourceId === source.id);
  }
  const page = paginate(cursors, `views:${databaseId ?? dataSourceId}`, views, query.get('start_cursor'), pageSizeOf(query.get('page_size') ?? undefined, 'query'), 'query');
  return { object: 'list', results: page.results.map((v) => ({ object: 'view', id: v.id })), next_cursor: page.next_cursor, has_more: page.has_more, type: 'view', view: {} };
}

export const viewRoutes: Route[] = [
  route('POST', '/v1/views', create),
  route('GET', '/v1/views', list),
  route('GET', '/v1/views/:view_id', ({ store, params }) => serializeView(store, store.view(pathId('view_id', params.view_id!)))),
  route('PATCH', '/v1/views/:view_id', update),
  route('DELETE', '/v1/views/:view_id', remove),
];


/**
 * Pages: create (in a data source, or under a page), retrieve and update.
 * Property values are addressed by name or by property id and checked against
 * the schema; `in_trash` moves a page to and from the trash; every write keeps
 * `last_edited_time` and `last_edited_by`.
 */
import { insertBlocks, parseBlocks } from '../block-content.js';
import { countBlocks } from '../block-limit.js';
import { notionErrors } from '../errors.js';
import { bodyId, newId, pathId } from '../ids.js';
import {
  COVER_KINDS, ICON_KINDS, addChildBlock, assertEditable, assertKind, parseIconOrCover, trashFlag,
} from '../operations.js';
import { route, type Route } from '../router.js';
import { serializePage } from '../serialize.js';
import type { DataSourceRecord, PageRecord, Parent, PropertySchema, Store } from '../store.js';
import { expectBoolean, expectObject, fail, type JsonObject } from '../validation.js';
import { applyPlainPageTitle, applyValues } from '../values.js';

type Target = { parent: Parent; source?: DataSourceRecord };

function cloneSchema(schema: readonly PropertySchema[]): PropertySchema[] {
  return schema.map((p) => ({ ...p, config: { ...p.config, ...(p.config.options ? { options: p.config.options.map((o) => ({ ...o })) } : {}) } }));
}

/** Where a new page goes: a data source (directly, or through a single-source database) or a page. */
function targetOf(store: Store, raw: unknown): Target {
  const parent = expectObject('body.parent', raw);
  const key = typeof parent.type === 'string' ? parent.type : ['data_source_id', 'database_id', 'page_id', 'workspace'].find((k) => parent[k] !== undefined);
  if (key === 'data_source_id') {
    const id = bodyId('body.parent.data_source_id', parent.data_source_id);
    assertKind(store, id, 'data source');
    const source = store.dataSource(id);
    assertEditable(store, id);
    return { parent: { type: 'data_source_id', data_source_id: id, database_id: source.databaseId }, source };
  }
  if (key === 'database_id') {
    const id = bodyId('body.parent.database_id', parent.database_id);
    assertKind(store, id, 'database');
    const database = store.database(id);
    assertEditable(store, id);
    const sources = database.dataSourceIds.filter((s) => !store.dataSources.get(s)?.inTrash);
    if (sources.length !== 1) {
      throw notionErrors.validation(`Database ${id} has ${sources.length} data sources; use \`parent.data_source_id\` to say which one the page goes in.`);
    }
    const source = store.dataSource(sources[0]!);
    return { parent: { type: 'data_source_id', data_source_id: source.id, database_id: id }, source };
  }
  if (key === 'page_id') {
    const id = bodyId('body.parent.page_id', parent.page_id);
    assertKind(store, id, 'page');
    store.page(id);
    assertEditable(store, id);
    return { parent: { type: 'page_id', page_id: id } };
  }
  if (key === 'workspace') throw notionErrors.validation('Internal integrations cannot create workspace-level pages; provide a parent page or data source.');
  return fail('body.parent', 'should have one of `data_source_id`, `database_id`, `page_id`', parent);
}

function create(store: Store, body: JsonObject, only: string[]): JsonObject {
  const target = targetOf(store, body.parent);
  const values = new Map<string, unknown>();
  const schema = target.source ? cloneSchema(target.source.properties) : undefined;
  if (body.properties !== undefined) {
    if (schema) applyValues('body.properties', body.properties, schema, values);
    else applyPlainPageTitle('body.properties', body.properties, values);
  }
  const rawChildren = body.children ?? body.content;
  const children = rawChildren === undefined ? [] : parseBlocks(body.children !== undefined ? 'body.children' : 'body.content', rawChildren);
  const icon = body.icon === undefined ? null : parseIconOrCover('body.icon', body.icon, ICON_KINDS);
  const cover = body.cover === undefined ? null : parseIconOrCover('body.cover', body.cover, COVER_KINDS);

  // The page is a block, and so is each of its children (Notion's block limit).
  store.blockLimit.assertCanCreate();
  if (target.source && schema) {
    target.source.properties = schema;
  }
  const page: PageRecord = { ...store.stamp(newId()), parent: target.parent, seq: store.nextSeq(), inTrash: false, isLocked: false, icon, cover, values };
  store.pages.set(page.id, page);
  if (target.parent.type === 'page_id') addChildBlock(store, target.parent, page.id, 'child_page');
  insertBlocks(store, page.id, true, children);
  store.blockLimit.record(1 + countBlocks(children));
  return serializePage(store, page, only.length ? only : undefined);
}

function visiblePage(store: Store, raw: string): PageRecord {
  const id = pathId('page_id', raw);
  assertKind(store, id, 'page');
  return store.page(id);
}

function update(store: Store, rawId: string, body: JsonObject, only: string[]): JsonObject {
  const page = visiblePage(store, rawId);
  const inTrash = trashFlag(body);
  // Restoring from the trash may come with other changes; anything else needs the page out of the trash.
  const restoring = inTrash === false && page.inTrash;
  if (!restoring && (inTrash === true || body.properties !== undefined || body.icon !== undefined || body.cover !== undefined)) {
    assertEditable(store, page.id);
  }
  const values = new Map(page.values);
  const source = page.parent.type === 'data_source_id' ? store.dataSources.get(page.parent.data_source_id) : undefined;
  const schema = source ? cloneSchema(source.properties) : undefined;
  if (body.properties !== undefined) {
    if (schema) applyValues('body.properties', body.properties, schema, values);
    else applyPlainPageTitle('body.properties', body.properties, values);
  }
  const icon = body.icon === undefined ? page.icon : parseIconOrCover('body.icon', body.icon, ICON_KINDS);
  const cover = body.cover === undefined ? page.cover : parseIconOrCover('body.cover', body.cover, COVER_KINDS);
  const isLocked = body.is_locked === undefined ? page.isLocked : expectBoolean('body.is_locked', body.is_locked);

  if (source && schema) source.properties = schema;
  Object.assign(page, { values, icon, cover, isLocked });
  if (inTrash !== undefined) page.inTrash = inTrash;
  if (body.erase_content === true) store.childIds(page.id).splice(0).forEach((id) => store.blocks.delete(id));
  store.touch(page);
  return serializePage(store, page, only.length ? only : undefined);
}

export const pageRoutes: Route[] = [
  route('POST', '/v1/pages', ({ store, body, query }) => create(store, body, query.getAll('filter_properties'))),
  route('GET', '/v1/pages/:page_id', ({ store, params, query }) => {
    const only = query.getAll('filter_properties');
    return serializePage(store, visiblePage(store, params.page_id!), only.length ? only : undefined);
  }),
  route('PATCH', '/v1/pages/:page_id', ({ store, params, body, query }) => update(store, params.page_id!, body, query.getAll('filter_properties'))),
];

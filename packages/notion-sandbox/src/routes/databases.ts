/**
 * Databases (API 2025-09-03): a database is a container of data sources. Create
 * takes a parent page and `initial_data_source.properties`, and makes the
 * database, its first data source, a default table view and the child_database
 * block on the parent page; responses list `data_sources: [{ id, name }]`.
 */
import { bodyId, pathId } from '../ids.js';
import {
  COVER_KINDS, ICON_KINDS, assertEditable, assertKind, createDatabase, optionalRichText, pageParent, parseIconOrCover, trashFlag,
} from '../operations.js';
import { route, type Route } from '../router.js';
import { buildSchema } from '../schema.js';
import { serializeDatabase } from '../serialize.js';
import type { Store } from '../store.js';
import { expectBoolean, expectObject, type JsonObject } from '../validation.js';

function visibleDatabase(store: Store, raw: string) {
  const id = pathId('database_id', raw);
  assertKind(store, id, 'database');
  return store.database(id);
}

function create(store: Store, body: JsonObject): JsonObject {
  const parent = pageParent(store, 'body.parent', body.parent);
  const title = optionalRichText('body.title', body.title, []);
  const initial = body.initial_data_source === undefined ? {} : expectObject('body.initial_data_source', body.initial_data_source);
  const properties = buildSchema('body.initial_data_source.properties', initial.properties ?? { Name: { title: {} } });
  const database = createDatabase(store, {
    parent,
    title,
    description: optionalRichText('body.description', body.description, []),
    isInline: body.is_inline === undefined ? false : expectBoolean('body.is_inline', body.is_inline),
    icon: body.icon === undefined ? null : parseIconOrCover('body.icon', body.icon, ICON_KINDS),
    cover: body.cover === undefined ? null : parseIconOrCover('body.cover', body.cover, COVER_KINDS),
    properties,
  });
  return serializeDatabase(store, database);
}

function update(store: Store, rawId: string, body: JsonObject): JsonObject {
  const database = visibleDatabase(store, rawId);
  const inTrash = trashFlag(body);
  if (inTrash !== false) assertEditable(store, database.id);
  // Check everything before changing anything.
  const title = optionalRichText('body.title', body.title, database.title);
  const description = optionalRichText('body.description', body.description, database.description);
  const isInline = body.is_inline === undefined ? database.isInline : expectBoolean('body.is_inline', body.is_inline);
  const isLocked = body.is_locked === undefined ? database.isLocked : expectBoolean('body.is_locked', body.is_locked);
  const icon = body.icon === undefined ? database.icon : parseIconOrCover('body.icon', body.icon, ICON_KINDS);
  const cover = body.cover === undefined ? database.cover : parseIconOrCover('body.cover', body.cover, COVER_KINDS);
  const parent = body.parent === undefined ? undefined : pageParent(store, 'body.parent', body.parent);
  Object.assign(database, { title, description, isInline, isLocked, icon, cover });
  if (inTrash !== undefined) database.inTrash = inTrash;
  if (parent && parent.type === 'page_id' && (database.parent.type !== 'page_id' || database.parent.page_id !== parent.page_id)) {
    const from = database.parent.type === 'page_id' ? store.childIds(database.parent.page_id) : [];
    const at = from.indexOf(database.id);
    if (at >= 0) from.splice(at, 1);
    store.insertChildren(parent.page_id, [database.id]);
    database.parent = parent;
    const block = store.blocks.get(database.id);
    if (block) block.parent = parent;
  }
  store.touch(database);
  return serializeDatabase(store, database);
}

export const databaseRoutes: Route[] = [
  route('POST', '/v1/databases', ({ store, body }) => create(store, body)),
  route('GET', '/v1/databases/:database_id', ({ store, params }) => serializeDatabase(store, visibleDatabase(store, params.database_id!))),
  route('PATCH', '/v1/databases/:database_id', ({ store, params, body }) => update(store, params.database_id!, body)),
];

/** For data_sources create: the database named by `parent.database_id`. */
export function parentDatabase(store: Store, raw: unknown) {
  const parent = expectObject('body.parent', raw);
  const id = bodyId('body.parent.database_id', parent.database_id);
  assertKind(store, id, 'database');
  const database = store.database(id);
  assertEditable(store, id);
  return database;
}

/**
 * Writes shared by several endpoints: creating databases with their data source
 * and default table view, placing child pages and databases on their parent
 * page, icons and covers, and the guard against editing archived objects.
 */
import { notionErrors } from './errors.js';
import { bodyId, newId } from './ids.js';
import { parseRichText, type RichTextItem } from './rich-text.js';
import type { DataSourceRecord, DatabaseRecord, Parent, PropertySchema, Store } from './store.js';
import { expectObject, fail, type JsonObject } from './validation.js';

/** Notion's answer to writes under something in the trash. */
export function assertEditable(store: Store, id: string): void {
  if (store.isTrashed(id)) {
    throw notionErrors.validation("Can't edit block that is archived. You must unarchive the block before editing.");
  }
}

/** `icon` / `cover`: `null` clears; otherwise an object such as `{ type: 'emoji', emoji: '🧾' }`. */
export function parseIconOrCover(path: string, raw: unknown, kinds: readonly string[]): JsonObject | null {
  if (raw === null) return null;
  const value = expectObject(path, raw);
  const type = typeof value.type === 'string' ? value.type : kinds.find((k) => value[k] !== undefined);
  if (!type || !kinds.includes(type) || value[type] === undefined) fail(path, `should have one of ${kinds.map((k) => `\`${k}\``).join(', ')}`, value);
  return { type, [type]: value[type] };
}

export const ICON_KINDS = ['emoji', 'external', 'file_upload', 'custom_emoji', 'icon'];
export const COVER_KINDS = ['external', 'file_upload'];

export function optionalRichText(path: string, raw: unknown, fallback: RichTextItem[]): RichTextItem[] {
  return raw === undefined ? fallback : parseRichText(path, raw);
}

/** The page a new database or page goes under: `{ type: 'page_id', page_id }`, visible and not in the trash. */
export function pageParent(store: Store, path: string, raw: unknown): Parent {
  const parent = expectObject(path, raw);
  if (parent.type === 'workspace' || parent.workspace !== undefined) {
    throw notionErrors.validation('Internal integrations cannot create workspace-level content; provide a parent page (`page_id`).');
  }
  if (parent.type !== undefined && parent.type !== 'page_id') fail(`${path}.type`, 'should be `"page_id"`', parent.type);
  const pageId = bodyId(`${path}.page_id`, parent.page_id);
  store.page(pageId);
  assertEditable(store, pageId);
  return { type: 'page_id', page_id: pageId };
}

/** Adds the child_page / child_database block that shows `id` on its parent page. */
export function addChildBlock(store: Store, parent: Parent, id: string, type: 'child_page' | 'child_database'): void {
  if (parent.type !== 'page_id' && parent.type !== 'block_id') return;
  const parentId = parent.type === 'page_id' ? parent.page_id : parent.block_id;
  store.blocks.set(id, { ...store.stamp(id), parent, type, content: {}, inTrash: false });
  store.insertChildren(parentId, [id]);
  const page = store.pages.get(parentId);
  if (page) store.touch(page);
}

export function createDataSource(store: Store, database: DatabaseRecord, title: RichTextItem[], properties: PropertySchema[]): DataSourceRecord {
  const source: DataSourceRecord = {
    ...store.stamp(newId()),
    databaseId: database.id,
    title,
    description: [],
    properties,
    inTrash: false,
    icon: database.icon,
  };
  store.dataSources.set(source.id, source);
  database.dataSourceIds.push(source.id);
  return source;
}

/** A database "starts with a default Table view" (Notion's guide to preparing for users). */
export function addDefaultView(store: Store, database: DatabaseRecord, source: DataSourceRecord): void {
  const id = newId();
  store.views.set(id, {
    ...store.stamp(id),
    databaseId: database.id,
    dataSourceId: source.id,
    name: 'Default view',
    type: 'table',
    filter: null,
    sorts: null,
    quickFilters: null,
    configuration: null,
  });
  database.viewIds.push(id);
}

export function createDatabase(
  store: Store,
  init: { parent: Parent; title: RichTextItem[]; description: RichTextItem[]; isInline: boolean; icon: JsonObject | null; cover: JsonObject | null; properties: PropertySchema[] },
): DatabaseRecord {
  // The database is a block; its data source and default view are not.
  store.blockLimit.assertCanCreate();
  const database: DatabaseRecord = {
    ...store.stamp(newId()),
    parent: init.parent,
    title: init.title,
    description: init.description,
    isInline: init.isInline,
    inTrash: false,
    isLocked: false,
    icon: init.icon,
    cover: init.cover,
    dataSourceIds: [],
    viewIds: [],
  };
  store.databases.set(database.id, database);
  const source = createDataSource(store, database, init.title, init.properties);
  addDefaultView(store, database, source);
  addChildBlock(store, init.parent, database.id, 'child_database');
  store.blockLimit.record(1);
  return database;
}

/** The `in_trash` (or deprecated `archived`) flag of an update, if any. */
export function trashFlag(body: JsonObject): boolean | undefined {
  const value = body.in_trash ?? body.archived;
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(body.in_trash !== undefined ? 'body.in_trash' : 'body.archived', 'should be a boolean', value);
  return value;
}

/** For messages: what kind of object an id is, if the integration can see it. */
export function kindOf(store: Store, id: string): 'page' | 'database' | 'data source' | 'block' | undefined {
  if (!store.isVisible(id)) return undefined;
  if (store.pages.has(id)) return 'page';
  if (store.databases.has(id)) return 'database';
  if (store.dataSources.has(id)) return 'data source';
  return store.blocks.has(id) ? 'block' : undefined;
}

const RETRIEVE_HINT: Record<string, string> = {
  page: 'Use the retrieve page API instead, `GET /pages/:id`.',
  database: 'Use the retrieve database API instead, `GET /databases/:id`.',
  'data source': 'Use the retrieve data source API instead, `GET /data_sources/:id`.',
  block: 'Use the retrieve block API instead, `GET /blocks/:id`.',
};

/** Notion's answer when an id of one kind is passed where another is expected (a 400, not a 404). */
export function assertKind(store: Store, id: string, expected: 'page' | 'database' | 'data source'): void {
  const actual = kindOf(store, id);
  if (actual && actual !== expected && !(expected === 'page' && actual === 'block')) {
    throw notionErrors.validation(`Provided ID ${id} is a ${actual}, not a ${expected}. ${RETRIEVE_HINT[actual] ?? ''}`.trim());
  }
}

/**
 * Stored records in the shape Notion returns them (API version 2025-09-03):
 * pages, databases (with their `data_sources`), data sources (with their
 * property schema), blocks and the bot user.
 */
import { compactId } from './ids.js';
import { plainText } from './rich-text.js';
import { serializeSchema } from './schema.js';
import type { BlockRecord, DataSourceRecord, DatabaseRecord, PageRecord, Parent, PropertySchema, Store, ViewRecord } from './store.js';
import type { JsonObject } from './validation.js';
import { PLAIN_PAGE_SCHEMA, serializeValues } from './values.js';
import { describeConfiguration } from './view-config.js';

const user = (id: string) => ({ object: 'user', id });

function parentOut(parent: Parent): JsonObject {
  return { ...parent };
}

function slug(title: string): string {
  return title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export function notionUrl(title: string, id: string): string {
  const s = slug(title);
  return `https://www.notion.so/${s ? `${s}-` : ''}${compactId(id)}`;
}

export function schemaForPage(store: Store, page: PageRecord): readonly PropertySchema[] {
  return page.parent.type === 'data_source_id' ? store.dataSources.get(page.parent.data_source_id)?.properties ?? [] : PLAIN_PAGE_SCHEMA;
}

export function pageTitle(store: Store, page: PageRecord): string {
  const schema = schemaForPage(store, page);
  const title = schema.find((p) => p.type === 'title');
  const value = title ? page.values.get(title.id) : undefined;
  return Array.isArray(value) ? plainText(value) : '';
}

export function serializePage(store: Store, page: PageRecord, only?: readonly string[]): JsonObject {
  const trashed = store.isTrashed(page.id);
  return {
    object: 'page',
    id: page.id,
    created_time: store.iso(page.createdMs),
    last_edited_time: store.iso(page.lastEditedMs),
    created_by: user(page.createdBy),
    last_edited_by: user(page.lastEditedBy),
    cover: page.cover,
    icon: page.icon,
    parent: parentOut(page.parent),
    archived: trashed,
    in_trash: trashed,
    is_locked: page.isLocked,
    properties: serializeValues(store, schemaForPage(store, page), page, only),
    url: notionUrl(pageTitle(store, page), page.id),
    public_url: null,
  };
}

export function serializeDatabase(store: Store, db: DatabaseRecord): JsonObject {
  const trashed = store.isTrashed(db.id);
  return {
    object: 'database',
    id: db.id,
    title: db.title,
    description: db.description,
    parent: parentOut(db.parent),
    is_inline: db.isInline,
    in_trash: trashed,
    archived: trashed,
    is_locked: db.isLocked,
    created_time: store.iso(db.createdMs),
    last_edited_time: store.iso(db.lastEditedMs),
    data_sources: db.dataSourceIds.flatMap((id) => {
      const source = store.dataSources.get(id);
      return source && !source.inTrash ? [{ id, name: plainText(source.title) }] : [];
    }),
    icon: db.icon,
    cover: db.cover,
    url: notionUrl(plainText(db.title), db.id),
    public_url: null,
  };
}

export function serializeDataSource(store: Store, source: DataSourceRecord): JsonObject {
  const db = store.databases.get(source.databaseId);
  const trashed = store.isTrashed(source.id);
  return {
    object: 'data_source',
    id: source.id,
    title: source.title,
    description: source.description,
    parent: { type: 'database_id', database_id: source.databaseId },
    database_parent: db ? parentOut(db.parent) : null,
    is_inline: db?.isInline ?? false,
    in_trash: trashed,
    archived: trashed,
    created_time: store.iso(source.createdMs),
    last_edited_time: store.iso(source.lastEditedMs),
    created_by: user(source.createdBy),
    last_edited_by: user(source.lastEditedBy),
    properties: serializeSchema(source),
    icon: source.icon,
    cover: null,
    url: notionUrl(plainText(source.title), source.id),
    public_url: null,
  };
}

export function serializeBlock(store: Store, block: BlockRecord): JsonObject {
  const trashed = store.isTrashed(block.id);
  let content = block.content;
  if (block.type === 'child_database') content = { title: plainText(store.databases.get(block.id)?.title) };
  if (block.type === 'child_page') {
    const page = store.pages.get(block.id);
    content = { title: page ? pageTitle(store, page) : '' };
  }
  return {
    object: 'block',
    id: block.id,
    parent: parentOut(block.parent),
    created_time: store.iso(block.createdMs),
    last_edited_time: store.iso(block.lastEditedMs),
    created_by: user(block.createdBy),
    last_edited_by: user(block.lastEditedBy),
    has_children: (store.children.get(block.id) ?? []).some((id) => !store.isTrashed(id)),
    archived: trashed,
    in_trash: trashed,
    type: block.type,
    [block.type]: content,
  };
}

export function serializeBot(store: Store): JsonObject {
  const { bot } = store;
  return {
    object: 'user',
    id: bot.id,
    name: bot.name,
    avatar_url: null,
    type: 'bot',
    bot: {
      owner: { type: 'workspace', workspace: true },
      workspace_name: bot.workspaceName,
      workspace_id: bot.workspaceId,
      workspace_limits: { max_file_upload_size_in_bytes: 5_242_880 },
    },
  };
}

export function serializeView(store: Store, view: ViewRecord): JsonObject {
  const schema = view.dataSourceId ? store.dataSources.get(view.dataSourceId)?.properties ?? [] : [];
  const configuration = view.type === 'dashboard' ? { type: 'dashboard', rows: structuredClone(view.rows ?? []) } : describeConfiguration(view.configuration, schema);
  return {
    object: 'view',
    id: view.id,
    parent: { type: 'database_id', database_id: view.databaseId },
    name: view.name,
    type: view.type,
    created_time: store.iso(view.createdMs),
    last_edited_time: store.iso(view.lastEditedMs),
    url: `https://www.notion.so/${compactId(view.databaseId)}?v=${compactId(view.id)}`,
    data_source_id: view.dataSourceId,
    created_by: { object: 'user', id: view.createdBy },
    last_edited_by: { object: 'user', id: view.lastEditedBy },
    filter: view.filter,
    sorts: view.sorts,
    quick_filters: view.quickFilters,
    configuration,
    ...(view.dashboardViewId ? { dashboard_view_id: view.dashboardViewId } : {}),
  };
}

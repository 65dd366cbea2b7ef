/**
 * Read-only views of the fake's state for assertions and benchmarks, in the
 * shape the API returns (deep copies: changing them changes nothing).
 */
import type { BlockUsage } from './block-limit.js';
import { plainText } from './rich-text.js';
import { serializeBlock, serializeDataSource, serializeDatabase, serializePage, serializeView } from './serialize.js';
import type { Store } from './store.js';
import type { JsonObject } from './validation.js';

export interface StateReader {
  /** Pages of a data source in creation order; trashed ones only when asked. */
  pages(dataSourceId: string, options?: { includeTrashed?: boolean }): JsonObject[];
  /** How many pages pages() would return, without copying them (cheap on large data sources). */
  pageCount(dataSourceId: string, options?: { includeTrashed?: boolean }): number;
  page(id: string): JsonObject | undefined;
  database(id: string): JsonObject | undefined;
  /** All databases, or those under one page. */
  databases(parentPageId?: string): JsonObject[];
  dataSource(id: string): JsonObject | undefined;
  /** A database's views as views.retrieve returns them (tabs first, then dashboard widgets). */
  views(databaseId: string): JsonObject[];
  /** Child blocks of a page or block, trashed ones left out. */
  blocks(parentId: string): JsonObject[];
  /** Page ids by a plain-text property value, e.g. lookup('…', 'Request ID', 'req-1'). */
  findPages(dataSourceId: string, propertyName: string, plain: string): string[];
  /** Blocks created in the workspace (never decremented), the limit, and whether creation is refused. */
  blockUsage(): BlockUsage;
}

export function stateReader(store: Store): StateReader {
  const describeView = (id: string) => {
    const view = store.views.get(id);
    return view ? serializeView(store, view) : undefined;
  };
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    pages: (dataSourceId, options = {}) =>
      store.rowsOf(dataSourceId).filter((p) => options.includeTrashed || !store.isTrashed(p.id)).map((p) => copy(serializePage(store, p))),
    pageCount: (dataSourceId, options = {}) =>
      store.rowsOf(dataSourceId).filter((p) => options.includeTrashed || !store.isTrashed(p.id)).length,
    page: (id) => {
      const page = store.pages.get(id);
      return page ? copy(serializePage(store, page)) : undefined;
    },
    database: (id) => {
      const db = store.databases.get(id);
      return db ? copy(serializeDatabase(store, db)) : undefined;
    },
    databases: (parentPageId) =>
      [...store.databases.values()]
        .filter((d) => parentPageId === undefined || (d.parent.type === 'page_id' && d.parent.page_id === parentPageId))
        .map((d) => copy(serializeDatabase(store, d))),
    dataSource: (id) => {
      const source = store.dataSources.get(id);
      return source ? copy(serializeDataSource(store, source)) : undefined;
    },
    views: (databaseId) => {
      const db = store.databases.get(databaseId);
      if (!db) return [];
      const widgets = [...store.views.values()].filter((v) => v.databaseId === databaseId && v.dashboardViewId).map((v) => v.id);
      return [...db.viewIds, ...widgets].flatMap((id) => {
        const view = describeView(id);
        return view ? [copy(view)] : [];
      });
    },
    blocks: (parentId) =>
      (store.children.get(parentId) ?? []).filter((id) => !store.isTrashed(id)).flatMap((id) => {
        const block = store.blocks.get(id);
        return block ? [copy(serializeBlock(store, block))] : [];
      }),
    blockUsage: () => store.blockLimit.usage(),
    findPages: (dataSourceId, propertyName, plain) => {
      const source = store.dataSources.get(dataSourceId);
      const property = source?.properties.find((p) => p.name === propertyName);
      if (!property) return [];
      return store.rowsOf(dataSourceId).filter((p) => {
        const value = p.values.get(property.id);
        return Array.isArray(value) ? plainText(value) === plain : String(value ?? '') === plain;
      }).map((p) => p.id);
    },
  };
}

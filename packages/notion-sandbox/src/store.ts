/**
 * The fake's in-memory workspace: pages, databases, data sources, views, blocks
 * and the bot user, with Notion's sharing rule (an object is visible to the
 * integration when it, or a page above it, is shared) and its timestamps.
 */
import { BlockLimit } from './block-limit.js';
import { notionErrors } from './errors.js';
import type { RichTextItem } from './rich-text.js';
import type { JsonObject } from './validation.js';

export type Parent =
  | { type: 'workspace'; workspace: true }
  | { type: 'page_id'; page_id: string }
  | { type: 'database_id'; database_id: string }
  | { type: 'data_source_id'; data_source_id: string; database_id: string }
  | { type: 'block_id'; block_id: string };

export interface Stamped {
  id: string;
  createdMs: number;
  lastEditedMs: number;
  createdBy: string;
  lastEditedBy: string;
}

export type PropertyType =
  | 'title' | 'rich_text' | 'number' | 'select' | 'multi_select' | 'date' | 'checkbox' | 'url' | 'email'
  | 'phone_number' | 'formula' | 'created_time' | 'last_edited_time' | 'created_by' | 'last_edited_by';

export interface SelectOption {
  id: string;
  name: string;
  color: string;
  description: string | null;
}

export interface PropertySchema {
  id: string;
  name: string;
  type: PropertyType;
  description: string | null;
  /** number: { format }; select, multi_select: { options }; formula: { expression }; others: {} */
  config: { format?: string; options?: SelectOption[]; expression?: string };
}

export interface PageRecord extends Stamped {
  parent: Parent;
  /** Creation order, the default query order and the tie-breaker of every sort. */
  seq: number;
  inTrash: boolean;
  isLocked: boolean;
  icon: JsonObject | null;
  cover: JsonObject | null;
  /** Property values in response form, keyed by property id (a plain page has only `title`). */
  values: Map<string, unknown>;
  /** Seeded pages: whether the page is shared with the integration. */
  shared?: boolean;
}

export interface DatabaseRecord extends Stamped {
  parent: Parent;
  title: RichTextItem[];
  description: RichTextItem[];
  isInline: boolean;
  inTrash: boolean;
  isLocked: boolean;
  icon: JsonObject | null;
  cover: JsonObject | null;
  dataSourceIds: string[];
  /** Tab order of the database's views (dashboard widgets are listed after them). */
  viewIds: string[];
}

export interface DataSourceRecord extends Stamped {
  databaseId: string;
  title: RichTextItem[];
  description: RichTextItem[];
  properties: PropertySchema[];
  inTrash: boolean;
  icon: JsonObject | null;
}

export interface DashboardRow {
  id: string;
  widgets: { id: string; view_id: string; width?: number }[];
  height?: number;
}

export interface ViewRecord extends Stamped {
  databaseId: string;
  dataSourceId: string | null;
  name: string;
  type: string;
  filter: JsonObject | null;
  sorts: JsonObject[] | null;
  quickFilters: JsonObject | null;
  configuration: JsonObject | null;
  /** Widget views: the dashboard they sit in. */
  dashboardViewId?: string;
  /** Dashboard views: their layout. */
  rows?: DashboardRow[];
}

export interface BlockRecord extends Stamped {
  parent: Parent;
  type: string;
  /** The type-specific object, in response form, without children. */
  content: JsonObject;
  inTrash: boolean;
}

export interface BotUser {
  id: string;
  name: string;
  workspaceName: string;
  workspaceId: string;
}

export type TimestampPrecision = 'minute' | 'millisecond';

export class Store {
  readonly pages = new Map<string, PageRecord>();
  readonly databases = new Map<string, DatabaseRecord>();
  readonly dataSources = new Map<string, DataSourceRecord>();
  readonly views = new Map<string, ViewRecord>();
  readonly blocks = new Map<string, BlockRecord>();
  /** Ordered child block ids of a page or block (child pages and databases included). */
  readonly children = new Map<string, string[]>();
  private seqCounter = 0;
  /** Blocks created in the workspace, and the Free-plan limit on them when one is configured. */
  readonly blockLimit: BlockLimit;

  constructor(
    readonly bot: BotUser,
    private readonly clock: () => number,
    readonly precision: TimestampPrecision,
  ) {
    this.blockLimit = new BlockLimit(false, () => this.now());
  }

  now(): number {
    return this.clock();
  }

  nextSeq(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }

  /** A timestamp as Notion reports it: rounded down to the minute unless configured otherwise. */
  visibleMs(ms: number): number {
    return this.precision === 'minute' ? Math.floor(ms / 60_000) * 60_000 : ms;
  }

  iso(ms: number): string {
    return new Date(this.visibleMs(ms)).toISOString();
  }

  stamp(id: string): Stamped {
    const now = this.now();
    return { id, createdMs: now, lastEditedMs: now, createdBy: this.bot.id, lastEditedBy: this.bot.id };
  }

  touch(record: Stamped): void {
    record.lastEditedMs = Math.max(this.now(), record.lastEditedMs);
    record.lastEditedBy = this.bot.id;
  }

  /** Whether the integration can see the object: it or a page above it is shared. */
  isVisible(id: string): boolean {
    let current: string | undefined = id;
    for (let depth = 0; current && depth < 64; depth += 1) {
      const page = this.pages.get(current);
      if (page?.shared === true) return true;
      if (page?.shared === false) return false;
      current = this.parentIdOf(current);
    }
    return false;
  }

  private parentIdOf(id: string): string | undefined {
    const parent = this.pages.get(id)?.parent ?? this.databases.get(id)?.parent ?? this.blocks.get(id)?.parent;
    if (parent) return parentId(parent);
    const source = this.dataSources.get(id);
    if (source) return source.databaseId;
    return this.views.get(id)?.databaseId;
  }

  page(id: string): PageRecord {
    const page = this.pages.get(id);
    if (!page || !this.isVisible(id)) throw notionErrors.notFound('page', id);
    return page;
  }

  database(id: string): DatabaseRecord {
    const database = this.databases.get(id);
    if (!database || !this.isVisible(id)) throw notionErrors.notFound('database', id);
    return database;
  }

  dataSource(id: string): DataSourceRecord {
    const source = this.dataSources.get(id);
    if (!source || !this.isVisible(id)) throw notionErrors.notFound('data source', id);
    return source;
  }

  view(id: string): ViewRecord {
    const view = this.views.get(id);
    if (!view || !this.isVisible(id)) throw notionErrors.notFound('view', id);
    return view;
  }

  /** A block by id; pages and databases are blocks too (child_page, child_database). */
  block(id: string): BlockRecord {
    const block = this.blocks.get(id);
    if (!block || !this.isVisible(id)) throw notionErrors.notFound('block', id);
    return block;
  }

  childIds(parent: string): string[] {
    let list = this.children.get(parent);
    if (!list) {
      list = [];
      this.children.set(parent, list);
    }
    return list;
  }

  /** Inserts child ids under a parent: at the end, at the start, or after a given child. */
  insertChildren(parent: string, ids: string[], after?: string | 'start'): void {
    const list = this.childIds(parent);
    const index = after === undefined ? list.length : after === 'start' ? 0 : list.indexOf(after) + 1;
    list.splice(index, 0, ...ids);
  }

  /** Data source rows in creation order. */
  rowsOf(dataSourceId: string): PageRecord[] {
    return [...this.pages.values()].filter((p) => p.parent.type === 'data_source_id' && p.parent.data_source_id === dataSourceId);
  }

  /** Whether the object or something above it is in the trash. */
  isTrashed(id: string): boolean {
    let current: string | undefined = id;
    for (let depth = 0; current && depth < 64; depth += 1) {
      const record = this.pages.get(current) ?? this.databases.get(current) ?? this.dataSources.get(current) ?? this.blocks.get(current);
      if (record?.inTrash) return true;
      current = this.parentIdOf(current);
    }
    return false;
  }
}

export function parentId(parent: Parent): string | undefined {
  switch (parent.type) {
    case 'page_id':
      return parent.page_id;
    case 'database_id':
      return parent.database_id;
    case 'data_source_id':
      return parent.data_source_id;
    case 'block_id':
      return parent.block_id;
    case 'workspace':
      return undefined;
  }
}

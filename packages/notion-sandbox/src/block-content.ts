/**
 * Block content for `blocks.children.append` and page create `children`:
 * paragraphs, headings, list items, to-dos, toggles, quotes, callouts, code,
 * equations, dividers, tables with rows, bookmarks and more. Checked against
 * Notion's limits (≤ 100 blocks per array, ≤ 1000 per request, two levels of
 * nesting, rich text limits) and stored in response form.
 */
import { notionErrors } from './errors.js';
import { newId } from './ids.js';
import { ICON_KINDS, parseIconOrCover } from './operations.js';
import { COLORS, parseRichText } from './rich-text.js';
import type { BlockRecord, Parent, Store } from './store.js';
import {
  LIMITS, expectArray, expectBoolean, expectNumber, expectObject, expectString, fail, maxItems, maxLength, type JsonObject,
} from './validation.js';

export interface BlockDraft {
  type: string;
  content: JsonObject;
  children: BlockDraft[];
}

const TEXT_BLOCKS = ['paragraph', 'heading_1', 'heading_2', 'heading_3', 'bulleted_list_item', 'numbered_list_item', 'quote', 'to_do', 'toggle', 'callout'];
const OTHER_BLOCKS = ['divider', 'breadcrumb', 'table_of_contents', 'table', 'table_row', 'code', 'equation', 'bookmark', 'embed', 'image'];
/** Block types that may hold children in a request. */
const PARENTS = ['paragraph', 'bulleted_list_item', 'numbered_list_item', 'quote', 'to_do', 'toggle', 'callout', 'table', 'heading_1', 'heading_2', 'heading_3'];
const MAX_NESTING = 2;

function color(path: string, raw: unknown): string {
  if (raw === undefined) return 'default';
  if (typeof raw !== 'string' || !(COLORS as readonly string[]).includes(raw)) fail(path, 'should be a valid color', raw);
  return raw;
}

function caption(path: string, raw: unknown) {
  return raw === undefined ? [] : parseRichText(path, raw);
}

function urlOf(path: string, raw: unknown): string {
  const url = expectString(path, raw);
  maxLength(path, url, LIMITS.url);
  return url;
}

function contentOf(path: string, type: string, body: JsonObject): JsonObject {
  if (TEXT_BLOCKS.includes(type)) {
    const out: JsonObject = { rich_text: parseRichText(`${path}.rich_text`, body.rich_text), color: color(`${path}.color`, body.color) };
    if (type.startsWith('heading_')) out.is_toggleable = body.is_toggleable === undefined ? false : expectBoolean(`${path}.is_toggleable`, body.is_toggleable);
    if (type === 'to_do') out.checked = body.checked === undefined ? false : expectBoolean(`${path}.checked`, body.checked);
    if (type === 'callout') out.icon = body.icon === undefined ? { type: 'emoji', emoji: '💡' } : parseIconOrCover(`${path}.icon`, body.icon, ICON_KINDS);
    return out;
  }
  switch (type) {
    case 'divider':
    case 'breadcrumb':
      return {};
    case 'table_of_contents':
      return { color: color(`${path}.color`, body.color) };
    case 'code':
      return { caption: caption(`${path}.caption`, body.caption), rich_text: parseRichText(`${path}.rich_text`, body.rich_text), language: expectString(`${path}.language`, body.language) };
    case 'equation': {
      const expression = expectString(`${path}.expression`, body.expression);
      maxLength(`${path}.expression`, expression, LIMITS.equationExpression);
      return { expression };
    }
    case 'bookmark':
    case 'embed':
      return { caption: caption(`${path}.caption`, body.caption), url: urlOf(`${path}.url`, body.url) };
    case 'image': {
      const external = expectObject(`${path}.external`, body.external);
      return { caption: caption(`${path}.caption`, body.caption), type: 'external', external: { url: urlOf(`${path}.external.url`, external.url) } };
    }
    case 'table': {
      const width = expectNumber(`${path}.table_width`, body.table_width);
      if (!Number.isInteger(width) || width < 1) fail(`${path}.table_width`, 'should be a positive integer', width);
      return {
        table_width: width,
        has_column_header: body.has_column_header === undefined ? false : expectBoolean(`${path}.has_column_header`, body.has_column_header),
        has_row_header: body.has_row_header === undefined ? false : expectBoolean(`${path}.has_row_header`, body.has_row_header),
      };
    }
    default: {
      const cells = expectArray(`${path}.cells`, body.cells);
      return { cells: cells.map((cell, i) => parseRichText(`${path}.cells[${i}]`, cell)) };
    }
  }
}

class Counter {
  count = 0;
  constructor(readonly rowsAllowed: boolean) {}
}

function parseBlock(path: string, raw: unknown, level: number, counter: Counter): BlockDraft {
  const block = expectObject(path, raw);
  const known = [...TEXT_BLOCKS, ...OTHER_BLOCKS];
  const type = typeof block.type === 'string' ? block.type : known.find((k) => block[k] !== undefined) ?? Object.keys(block).find((k) => k !== 'object');
  if (type === 'child_page' || type === 'child_database') {
    throw notionErrors.validation(`${path}: ${type} blocks cannot be appended; create pages with the pages API and databases with the databases API.`);
  }
  if (type === undefined || !known.includes(type)) {
    throw notionErrors.validation(`${path}: block type \`${String(type)}\` is not supported by the Notion fake.`);
  }
  const typePath = `${path}.${type}`;
  const body = expectObject(typePath, block[type]);
  counter.count += 1;
  if (counter.count > LIMITS.blocksPerRequest) {
    throw notionErrors.validation(`Request has more than ${LIMITS.blocksPerRequest} block elements.`);
  }
  const content = contentOf(typePath, type, body);
  const rawChildren = body.children;
  let children: BlockDraft[] = [];
  if (rawChildren !== undefined) {
    if (!PARENTS.includes(type)) fail(`${typePath}.children`, `should not be present: ${type} blocks have no children`, rawChildren);
    if (level >= MAX_NESTING) {
      throw notionErrors.validation(`${typePath}.children: blocks can be nested at most ${MAX_NESTING} levels deep in one request.`);
    }
    children = parseBlockList(`${typePath}.children`, rawChildren, level + 1, counter);
  }
  if (type === 'table') checkTable(typePath, content, children);
  if (type === 'table_row' && level === 1 && !counter.rowsAllowed) {
    throw notionErrors.validation(`${path}: table_row blocks can only be appended to a table.`);
  }
  return { type, content, children };
}

function checkTable(path: string, content: JsonObject, rows: BlockDraft[]): void {
  if (rows.length === 0) fail(`${path}.children`, 'should contain at least one table_row', undefined);
  rows.forEach((row, i) => {
    if (row.type !== 'table_row') fail(`${path}.children[${i}]`, 'should be a table_row block', row.type);
    const cells = row.content.cells as unknown[];
    if (cells.length !== content.table_width) {
      throw notionErrors.validation(`Number of cells in table row must match the table width of the parent. (row ${i}: ${cells.length} cells, table_width ${String(content.table_width)})`);
    }
  });
}

function parseBlockList(path: string, raw: unknown, level: number, counter: Counter): BlockDraft[] {
  const list = expectArray(path, raw);
  maxItems(path, list, LIMITS.arrayItems);
  return list.map((item, i) => parseBlock(`${path}[${i}]`, item, level, counter));
}

/**
 * Checks a `children` array of a request (top level = level 1). Appending to a
 * table block takes table rows only, as wide as the table.
 */
export function parseBlocks(path: string, raw: unknown, parent?: BlockRecord): BlockDraft[] {
  const intoTable = parent?.type === 'table';
  const drafts = parseBlockList(path, raw, 1, new Counter(intoTable));
  if (intoTable) checkTable(path.replace(/\.children$/, ''), parent.content, drafts);
  else if (parent && !PARENTS.includes(parent.type)) {
    throw notionErrors.validation(`Block type ${parent.type} does not support children.`);
  }
  return drafts;
}

/** Stores drafted blocks under `parentId`; returns the new top-level blocks. */
export function insertBlocks(store: Store, parentId: string, parentIsPage: boolean, drafts: BlockDraft[], after?: string | 'start'): BlockRecord[] {
  const parent: Parent = parentIsPage ? { type: 'page_id', page_id: parentId } : { type: 'block_id', block_id: parentId };
  const created = drafts.map((draft) => {
    const id = newId();
    const record: BlockRecord = { ...store.stamp(id), parent, type: draft.type, content: draft.content, inTrash: false };
    store.blocks.set(id, record);
    insertBlocks(store, id, false, draft.children);
    return record;
  });
  store.insertChildren(parentId, created.map((b) => b.id), after);
  return created;
}

/**
 * The content after a block update (`PATCH /v1/blocks/:id`): the fields given
 * replace the stored ones, the others stay. Text blocks only (paragraphs,
 * headings, list items, to-dos, toggles, quotes, callouts) and dividers.
 */
export function updatedContent(path: string, type: string, current: JsonObject, raw: unknown): JsonObject {
  const body = expectObject(path, raw);
  if (type === 'divider') return current;
  if (!TEXT_BLOCKS.includes(type)) {
    throw notionErrors.validation(`${path}: updating ${type} blocks is not supported by the Notion fake.`);
  }
  const next: JsonObject = { ...current };
  if (body.rich_text !== undefined) next.rich_text = parseRichText(`${path}.rich_text`, body.rich_text);
  if (body.color !== undefined) next.color = color(`${path}.color`, body.color);
  if (type === 'to_do' && body.checked !== undefined) next.checked = expectBoolean(`${path}.checked`, body.checked);
  if (type === 'callout' && body.icon !== undefined) next.icon = parseIconOrCover(`${path}.icon`, body.icon, ICON_KINDS);
  if (type.startsWith('heading_') && body.is_toggleable !== undefined) next.is_toggleable = expectBoolean(`${path}.is_toggleable`, body.is_toggleable);
  if (body.children !== undefined) fail(`${path}.children`, 'should not be present: append children with PATCH /v1/blocks/:id/children', body.children);
  return next;
}

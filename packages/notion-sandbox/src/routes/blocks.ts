/**
 * Blocks: retrieve, update in place (the type's content, or the trash flag),
 * list children (paged), append children (at the end, at the start or after a
 * block; the response lists the new top-level blocks) and delete (moves the
 * block, page or database to the trash). Appending counts against the
 * workspace's block limit; updating creates no block.
 */
import { insertBlocks, parseBlocks, updatedContent } from '../block-content.js';
import { countBlocks } from '../block-limit.js';
import { notionErrors } from '../errors.js';
import { bodyId, pathId } from '../ids.js';
import { assertEditable, trashFlag } from '../operations.js';
import { paginate } from '../pagination.js';
import { route, type Route } from '../router.js';
import { pageTitle, serializeBlock } from '../serialize.js';
import type { BlockRecord, Store } from '../store.js';
import { expectObject, expectOneOf, pageSizeOf, type JsonObject } from '../validation.js';

/** A block by id; a page that has no block yet (a seeded page, a data source row) is shown as a child_page block. */
function blockOf(store: Store, id: string): BlockRecord {
  const page = store.pages.get(id);
  if (page && !store.blocks.has(id)) {
    store.page(id);
    return { id, createdMs: page.createdMs, lastEditedMs: page.lastEditedMs, createdBy: page.createdBy, lastEditedBy: page.lastEditedBy, parent: page.parent, type: 'child_page', content: { title: pageTitle(store, page) }, inTrash: page.inTrash };
  }
  return store.block(id);
}

/** The nearest page at or above a block, whose last_edited_time an edit changes. */
function owningPage(store: Store, id: string) {
  let current: string | undefined = id;
  for (let depth = 0; current && depth < 64; depth += 1) {
    const page = store.pages.get(current);
    if (page) return page;
    const parent: BlockRecord['parent'] | undefined = store.blocks.get(current)?.parent;
    current = parent?.type === 'block_id' ? parent.block_id : parent?.type === 'page_id' ? parent.page_id : undefined;
  }
  return undefined;
}

function insertionPoint(store: Store, parentId: string, body: JsonObject): string | 'start' | undefined {
  if (body.position !== undefined) {
    const position = expectObject('body.position', body.position);
    const type = expectOneOf('body.position.type', position.type, ['start', 'end', 'after_block']);
    if (type === 'start') return 'start';
    if (type === 'end') return undefined;
    return childAfter(store, parentId, bodyId('body.position.after_block.id', expectObject('body.position.after_block', position.after_block).id));
  }
  return body.after === undefined ? undefined : childAfter(store, parentId, bodyId('body.after', body.after));
}

function childAfter(store: Store, parentId: string, id: string): string {
  if (!store.childIds(parentId).includes(id)) throw notionErrors.validation(`Block ${id} is not a child of ${parentId}.`);
  return id;
}

function append(store: Store, rawId: string, body: JsonObject): JsonObject {
  const id = pathId('block_id', rawId);
  const isPage = store.pages.has(id);
  const target = isPage ? undefined : store.block(id);
  if (isPage) store.page(id);
  assertEditable(store, id);
  if (target?.type === 'child_database') throw notionErrors.validation('Block type child_database does not support children.');
  const drafts = parseBlocks('body.children', body.children, target);
  const after = insertionPoint(store, id, body);
  store.blockLimit.assertCanCreate();
  const created = insertBlocks(store, id, isPage, drafts, after);
  store.blockLimit.record(countBlocks(drafts));
  if (target) store.touch(target);
  const page = owningPage(store, id);
  if (page) store.touch(page);
  return { object: 'list', results: created.map((b) => serializeBlock(store, b)), next_cursor: null, has_more: false, type: 'block', block: {} };
}

function list(store: Store, rawId: string, search: URLSearchParams, cursors: Parameters<typeof paginate>[0]): JsonObject {
  const id = pathId('block_id', rawId);
  blockOf(store, id);
  const children = store.childIds(id).filter((c) => !store.isTrashed(c)).flatMap((c) => {
    const block = store.blocks.get(c);
    return block ? [block] : [];
  });
  const page = paginate(cursors, `children:${id}`, children, search.get('start_cursor'), pageSizeOf(search.get('page_size') ?? undefined, 'query'), 'query');
  return { object: 'list', results: page.results.map((b) => serializeBlock(store, b)), next_cursor: page.next_cursor, has_more: page.has_more, type: 'block', block: {} };
}

function remove(store: Store, rawId: string): JsonObject {
  const id = pathId('block_id', rawId);
  const block = blockOf(store, id);
  assertEditable(store, id);
  const record = store.pages.get(id) ?? store.databases.get(id) ?? store.blocks.get(id);
  if (record) {
    record.inTrash = true;
    store.touch(record);
  }
  const page = owningPage(store, block.parent.type === 'page_id' ? block.parent.page_id : block.parent.type === 'block_id' ? block.parent.block_id : id);
  if (page && page.id !== id) store.touch(page);
  return serializeBlock(store, store.blocks.get(id) ?? blockOf(store, id));
}

/**
 * Update a block: `{ <its type>: { …fields to replace } }` and/or `in_trash`.
 * The type cannot change; a body naming another type is refused.
 */
function update(store: Store, rawId: string, body: JsonObject): JsonObject {
  const id = pathId('block_id', rawId);
  const block = store.block(id);
  const inTrash = trashFlag(body);
  const restoring = inTrash === false && block.inTrash;
  const given = Object.keys(body).filter((k) => k !== 'in_trash' && k !== 'archived' && k !== 'type');
  const other = given.find((k) => k !== block.type);
  if (other !== undefined) {
    throw notionErrors.validation(`body failed validation: block ${id} is a ${block.type} block; \`${other}\` cannot be set on it (a block's type cannot change).`);
  }
  if (!restoring) assertEditable(store, id);
  const content = body[block.type] === undefined ? block.content : updatedContent(`body.${block.type}`, block.type, block.content, body[block.type]);
  block.content = content;
  if (inTrash !== undefined) block.inTrash = inTrash;
  store.touch(block);
  const page = owningPage(store, block.parent.type === 'page_id' ? block.parent.page_id : block.parent.type === 'block_id' ? block.parent.block_id : id);
  if (page) store.touch(page);
  return serializeBlock(store, block);
}

export const blockRoutes: Route[] = [
  route('PATCH', '/v1/blocks/:block_id', ({ store, params, body }) => update(store, params.block_id!, body)),
  route('GET', '/v1/blocks/:block_id', ({ store, params }) => serializeBlock(store, blockOf(store, pathId('block_id', params.block_id!)))),
  route('GET', '/v1/blocks/:block_id/children', ({ store, params, query, cursors }) => list(store, params.block_id!, query, cursors)),
  route('PATCH', '/v1/blocks/:block_id/children', ({ store, params, body }) => append(store, params.block_id!, body)),
  route('DELETE', '/v1/blocks/:block_id', ({ store, params }) => remove(store, params.block_id!)),
];

/**
 * Writes the report page: "LLM Cost Report" under the parent page, created once
 * and then edited in place (see layout.ts), so its link stays the same and, in
 * steady state, a refresh creates no block: each block whose text changed costs
 * one update, unchanged content costs no write at all.
 *
 * When Notion can create no more blocks (the workspace block limit), the report
 * fits into the blocks it already has and says what it left out.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@notionhq/client';
import { notionCall } from '../notion/client.js';
import type { ReportFigures } from '../supabase/source.js';
import {
  REPORT_HEADER, blockOf, findRegion, fitToRegion, layoutOf, planEdits, regionComplete, runsOf, slotsOf,
  type Layout, type PageBlock, type Slot,
} from './layout.js';
import { REPORT_TITLE, reportContent, type ReportLinks } from './render.js';

/** Notion takes at most 100 blocks per append (and per page create)… */
const MAX_BLOCKS_PER_REQUEST = 100;
/** …and 500 KB per request: what the blocks may take, leaving room for the rest of the body. */
const MAX_BLOCK_BYTES_PER_REQUEST = 400_000;

type Block = ReturnType<typeof blockOf>;

/** Blocks in request-sized groups, in order: at most 100 and 400 KB of JSON each. */
function requestChunks(blocks: Block[]): Block[][] {
  const groups: Block[][] = [];
  let current: Block[] = [];
  let bytes = 0;
  for (const block of blocks) {
    const size = Buffer.byteLength(JSON.stringify(block));
    if (current.length > 0 && (current.length === MAX_BLOCKS_PER_REQUEST || bytes + size > MAX_BLOCK_BYTES_PER_REQUEST)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(block);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export interface PublishOptions {
  client: Client;
  parentPageId: string;
  figures: ReportFigures;
  /** Hash returned by the previous publish; when the content is unchanged nothing is written. */
  previousHash?: string | undefined;
  /** Lines shown under the header, e.g. that Notion refuses new blocks. */
  notices?: readonly string[];
  /** False while Notion refuses to create blocks: the report then fits into the blocks it has. Default true. */
  canCreate?: boolean;
  /** Where a list cut short sends the reader for all of it. */
  links?: ReportLinks;
}

export interface PublishResult {
  /** Undefined when there is no report page and none could be created. */
  pageId: string | undefined;
  /** Of the report's content (not of its "updated" line), for the next publish. */
  hash: string;
  created: boolean;
  written: boolean;
  /** Blocks this publish created (the page included). */
  blocksCreated: number;
  /** Blocks edited in place. */
  blocksUpdated: number;
  /** Lines or sections were left out because no block could be created. */
  truncated: boolean;
}

function contentHash(layout: Layout, canCreate: boolean): string {
  const { header, ...rest } = layout;
  // The first run is the "updated …" line: a refresh with the same figures writes nothing.
  return createHash('sha256').update(JSON.stringify([header.runs.slice(1), rest, canCreate])).digest('hex');
}

type Listed = { id: string; type: string; has_children?: boolean; child_page?: { title: string } } & Record<string, unknown>;

const pageBlock = (b: Listed): PageBlock => ({ id: b.id, type: b.type, hasChildren: Boolean(b.has_children), runs: runsOf(b) });

/** Top-level blocks of a page, page by page, stopping once `enough` says so. */
async function listTop(client: Client, blockId: string, what: string, enough: (blocks: Listed[]) => boolean = () => false): Promise<Listed[]> {
  const blocks: Listed[] = [];
  let cursor: string | undefined;
  do {
    const page = await notionCall(what, () => client.blocks.children.list({ block_id: blockId, page_size: 100, ...(cursor ? { start_cursor: cursor } : {}) }));
    blocks.push(...(page.results as Listed[]));
    if (enough(blocks)) break;
    cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
  } while (cursor);
  return blocks;
}

async function findReportPage(client: Client, parentPageId: string): Promise<string | undefined> {
  const children = await listTop(client, parentPageId, 'list the parent page');
  return children.find((b) => b.type === 'child_page' && b.child_page?.title === REPORT_TITLE)?.id;
}

/** Appends request-sized groups of blocks after `after` ('start': at the top), in order; returns the new ids. */
async function appendChunks(client: Client, pageId: string, groups: Block[][], after: string | 'start'): Promise<string[]> {
  const ids: string[] = [];
  let anchor = after;
  for (const chunk of groups) {
    const position = anchor === 'start' ? { type: 'start' } : { type: 'after_block', after_block: { id: anchor } };
    const added = await notionCall('add blocks to the report', () =>
      client.blocks.children.append({ block_id: pageId, children: chunk, position } as never),
    );
    const newIds = (added.results as { id: string }[]).map((b) => b.id);
    ids.push(...newIds);
    anchor = newIds.at(-1) ?? anchor;
  }
  return ids;
}

const appendSlots = (client: Client, pageId: string, slots: Slot[], after: string | 'start') =>
  appendChunks(client, pageId, requestChunks(slots.map(blockOf)), after);

async function updateSlot(client: Client, id: string, slot: Slot): Promise<void> {
  const { type, ...body } = blockOf(slot);
  await notionCall('update the report', () => client.blocks.update({ block_id: id, ...body } as never));
}

const leftOut = (n: number) => `… and ${n} more ${n === 1 ? 'line' : 'lines'} not shown: this Notion workspace can create no more blocks.`;

export async function publishReport(options: PublishOptions): Promise<PublishResult> {
  const { client, parentPageId } = options;
  const canCreate = options.canCreate ?? true;
  const wanted = layoutOf(reportContent(options.figures, options.notices ?? [], options.links));
  const hash = contentHash(wanted, canCreate);
  const result = (fields: Partial<PublishResult>): PublishResult => ({
    pageId: undefined, hash, created: false, written: false, blocksCreated: 0, blocksUpdated: 0, truncated: false, ...fields,
  });
  const pageId = await findReportPage(client, parentPageId);

  if (!pageId) {
    if (!canCreate) return result({ truncated: true });
    const [first = [], ...rest] = requestChunks(slotsOf(wanted).map(blockOf));
    const page = (await notionCall('create the report page', () =>
      client.pages.create({
        parent: { type: 'page_id', page_id: parentPageId },
        icon: { type: 'emoji', emoji: '📊' },
        properties: { title: { title: [{ type: 'text', text: { content: REPORT_TITLE } }] } },
        children: first as never,
      }),
    )) as { id: string };
    let created = 1 + first.length;
    if (rest.length > 0) {
      const listed = await listTop(client, page.id, 'list the report page', (b) => b.length >= first.length);
      created += (await appendChunks(client, page.id, rest, listed[first.length - 1]!.id)).length;
    }
    return result({ pageId: page.id, created: true, written: true, blocksCreated: created });
  }
  if (hash === options.previousHash) return result({ pageId });

  const listed = await listTop(client, pageId, 'list the report page', (b) => regionComplete(b.map(pageBlock)));
  const region = findRegion(listed.map(pageBlock));
  if (!region) return replaceOldReport(client, pageId, listed, wanted, canCreate, result);

  const fitted = canCreate ? { layout: wanted, truncated: false } : fitToRegion(wanted, region, leftOut);
  const edits = planEdits(region, fitted.layout);
  for (const { id, slot } of edits.updates) await updateSlot(client, id, slot);
  let blocksCreated = 0;
  if (canCreate) {
    for (const { afterId, slots } of edits.appends) blocksCreated += (await appendSlots(client, pageId, slots, afterId)).length;
  }
  return result({ pageId, written: true, blocksCreated, blocksUpdated: edits.updates.length, truncated: fitted.truncated });
}

/**
 * A page without the report's layout (the one-callout report of earlier
 * versions, or a page emptied by hand): the report is added at the top, once,
 * and the old one-callout report removed.
 */
async function replaceOldReport(
  client: Client,
  pageId: string,
  listed: Listed[],
  wanted: Layout,
  canCreate: boolean,
  result: (fields: Partial<PublishResult>) => PublishResult,
): Promise<PublishResult> {
  if (!canCreate) return result({ pageId, truncated: true });
  const blocksCreated = (await appendSlots(client, pageId, slotsOf(wanted), 'start')).length;
  const old = listed.filter((b) => b.type === 'callout' && b.has_children && runsOf(b).map((r) => r.content).join('').startsWith(REPORT_HEADER));
  for (const block of old) await notionCall('remove the previous report', () => client.blocks.delete({ block_id: block.id }));
  return result({ pageId, written: true, blocksCreated });
}

/**
 * Writes the report page: "LLM Cost Report" under the parent page, created once
 * and then refreshed in place, so its link stays the same. A refresh appends the
 * new report before deleting the old one (readers never see an empty page), and
 * costs two writes; when the content is what was published last, none.
 */
import { createHash } from 'node:crypto';
import { collectPaginatedAPI, type Client } from '@notionhq/client';
import { notionCall } from '../notion/client.js';
import type { ReportFigures } from '../supabase/source.js';
import { renderReport, REPORT_HEADER, REPORT_TITLE } from './render.js';

export interface PublishOptions {
  client: Client;
  parentPageId: string;
  figures: ReportFigures;
  /** Hash returned by the previous publish; when the content is unchanged nothing is written. */
  previousHash?: string | undefined;
}

export interface PublishResult {
  pageId: string;
  /** Of the report's content (not of its "updated" line), for the next publish. */
  hash: string;
  created: boolean;
  written: boolean;
}

type ChildBlock = { id: string; type: string; child_page?: { title: string }; callout?: { rich_text: { plain_text: string }[] } };

const listChildren = (client: Client, blockId: string) =>
  notionCall('list the report page', () => collectPaginatedAPI(client.blocks.children.list, { block_id: blockId })) as Promise<ChildBlock[]>;

function contentHash(blocks: Record<string, unknown>[]): string {
  const body = blocks.map((b) => (b.callout as { children: unknown }).children);
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

async function findReportPage(client: Client, parentPageId: string): Promise<string | undefined> {
  const children = await listChildren(client, parentPageId);
  return children.find((b) => b.type === 'child_page' && b.child_page?.title === REPORT_TITLE)?.id;
}

const isOurReport = (b: ChildBlock) => b.type === 'callout' && (b.callout?.rich_text.map((t) => t.plain_text).join('') ?? '').startsWith(REPORT_HEADER);

export async function publishReport(options: PublishOptions): Promise<PublishResult> {
  const { client, parentPageId } = options;
  const blocks = renderReport(options.figures);
  const hash = contentHash(blocks);
  const existing = await findReportPage(client, parentPageId);

  if (!existing) {
    const page = (await notionCall('create the report page', () =>
      client.pages.create({
        parent: { type: 'page_id', page_id: parentPageId },
        icon: { type: 'emoji', emoji: '📊' },
        properties: { title: { title: [{ type: 'text', text: { content: REPORT_TITLE } }] } },
        children: blocks as never,
      }),
    )) as { id: string };
    return { pageId: page.id, hash, created: true, written: true };
  }
  if (hash === options.previousHash) return { pageId: existing, hash, created: false, written: false };

  const stale = (await listChildren(client, existing)).filter(isOurReport);
  // At the top, where the previous report stood; whatever people added below stays below.
  await notionCall('append the new report', () =>
    client.blocks.children.append({ block_id: existing, children: blocks as never, position: { type: 'start' } } as never),
  );
  for (const block of stale) {
    await notionCall('remove the previous report', () => client.blocks.delete({ block_id: block.id }));
  }
  return { pageId: existing, hash, created: false, written: true };
}

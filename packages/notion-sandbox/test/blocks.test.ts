import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { PARENT_PAGE_ID, apiError, clientFor, startFake, text } from './helpers.js';

let fake: NotionFake;
let notion: Client;
let reportId: string;

beforeAll(async () => {
  fake = await startFake();
  notion = clientFor(fake);
  reportId = (await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Weekly report') } } })).id;
});
afterAll(() => fake.close());

const row = (...cells: string[]) => ({ type: 'table_row' as const, table_row: { cells: cells.map((c) => text(c)) } });

type Block = { id: string; type: string; has_children: boolean; parent: unknown } & Record<string, any>;

describe('blocks', () => {
  it('appends a report: headings, paragraph, bullets, callout, divider and a table', async () => {
    const appended = await notion.blocks.children.append({
      block_id: reportId,
      children: [
        { heading_1: { rich_text: text('Token usage, week 47') } },
        { heading_2: { rich_text: text('Summary') } },
        { paragraph: { rich_text: text('Spend rose 12% week over week.') } },
        { bulleted_list_item: { rich_text: text('openai: $41.20') } },
        { bulleted_list_item: { rich_text: text('anthropic: $18.03'), children: [{ paragraph: { rich_text: text('mostly batch jobs') } }] } },
        { callout: { rich_text: text('Budget at 84%'), icon: { type: 'emoji', emoji: '⚠️' }, color: 'yellow_background' } },
        { divider: {} },
        { heading_3: { rich_text: text('By model') } },
        { table: { table_width: 2, has_column_header: true, children: [row('Model', 'Cost'), row('gpt-4o', '$30.00'), row('claude', '$18.03')] } },
      ],
    });
    const types = appended.results.map((b) => (b as Block).type);
    expect(types).toEqual(['heading_1', 'heading_2', 'paragraph', 'bulleted_list_item', 'bulleted_list_item', 'callout', 'divider', 'heading_3', 'table']);

    const listed = (await notion.blocks.children.list({ block_id: reportId })).results as Block[];
    expect(listed.map((b) => b.id)).toEqual(appended.results.map((b) => b.id));
    expect(listed[0]).toMatchObject({ object: 'block', parent: { type: 'page_id', page_id: reportId }, heading_1: { rich_text: [{ plain_text: 'Token usage, week 47' }], is_toggleable: false } });
    expect(listed[4]!.has_children).toBe(true);
    expect(listed[5]).toMatchObject({ callout: { icon: { type: 'emoji', emoji: '⚠️' }, color: 'yellow_background' } });
    const table = listed[8]!;
    expect(table).toMatchObject({ has_children: true, table: { table_width: 2, has_column_header: true, has_row_header: false } });
    const rows = (await notion.blocks.children.list({ block_id: table.id })).results as Block[];
    expect(rows.map((r) => r.table_row.cells.map((c: { plain_text: string }[]) => c[0]!.plain_text))).toEqual([['Model', 'Cost'], ['gpt-4o', '$30.00'], ['claude', '$18.03']]);
  });

  it('pages through children and inserts after a given block', async () => {
    const page = (await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Long') } } })).id;
    const children = Array.from({ length: 100 }, (_, i) => ({ paragraph: { rich_text: text(`line ${i}`) } }));
    const first = await notion.blocks.children.append({ block_id: page, children });
    await notion.blocks.children.append({ block_id: page, children: children.slice(0, 20) });
    await notion.blocks.children.append({ block_id: page, children: [{ paragraph: { rich_text: text('inserted') } }], position: { type: 'after_block', after_block: { id: first.results[0]!.id } } });
    const seen: Block[] = [];
    let cursor: string | undefined;
    do {
      const res = await notion.blocks.children.list({ block_id: page, page_size: 50, ...(cursor ? { start_cursor: cursor } : {}) });
      seen.push(...(res.results as Block[]));
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(121);
    expect(new Set(seen.map((b) => b.id)).size).toBe(121);
    expect(seen[1]!.paragraph.rich_text[0].plain_text).toBe('inserted');
  });

  it('deletes a block (to the trash) and leaves it out of lists', async () => {
    const { results } = await notion.blocks.children.append({ block_id: reportId, children: [{ paragraph: { rich_text: text('temporary') } }] });
    const deleted = (await notion.blocks.delete({ block_id: results[0]!.id })) as Block;
    expect(deleted).toMatchObject({ in_trash: true, archived: true });
    const listed = await notion.blocks.children.list({ block_id: reportId });
    expect(listed.results.map((b) => b.id)).not.toContain(results[0]!.id);
  });

  it('enforces the limits: 100 children, two levels of nesting, table widths, text length', async () => {
    const tooMany = Array.from({ length: 101 }, () => ({ divider: {} }));
    expect((await apiError(() => notion.blocks.children.append({ block_id: reportId, children: tooMany }))).message).toBe('body failed validation: body.children.length should be ≤ `100`, instead was `101`.');
    const deep = [{ bulleted_list_item: { rich_text: text('1'), children: [{ bulleted_list_item: { rich_text: text('2'), children: [{ paragraph: { rich_text: text('3') } }] } }] } }];
    expect((await apiError(() => notion.blocks.children.append({ block_id: reportId, children: deep as never }))).code).toBe('validation_error');
    const narrow = [{ table: { table_width: 3, children: [row('a', 'b')] } }];
    expect((await apiError(() => notion.blocks.children.append({ block_id: reportId, children: narrow }))).code).toBe('validation_error');
    const long = [{ paragraph: { rich_text: text('x'.repeat(2001)) } }];
    expect((await apiError(() => notion.blocks.children.append({ block_id: reportId, children: long }))).message).toBe('body failed validation: body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.');
  });

  it('a deleted page is in the trash and cannot get new content', async () => {
    const page = (await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Old report') } } })).id;
    await notion.blocks.delete({ block_id: page });
    expect(await notion.pages.retrieve({ page_id: page })).toMatchObject({ in_trash: true });
    expect((await apiError(() => notion.blocks.children.append({ block_id: page, children: [{ divider: {} }] }))).code).toBe('validation_error');
    expect((await notion.blocks.children.list({ block_id: PARENT_PAGE_ID })).results.map((b) => b.id)).not.toContain(page);
  });
});

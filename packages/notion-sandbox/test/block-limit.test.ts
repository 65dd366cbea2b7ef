import { afterEach, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { PARENT_PAGE_ID, apiError, bodyOf, clientFor, createUsageDatabase, startFake, text } from './helpers.js';

let fake: NotionFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const paragraph = (content: string, children?: unknown[]) => ({ type: 'paragraph' as const, paragraph: { rich_text: text(content), ...(children ? { children } : {}) } });

describe('the block limit', () => {
  it('counts every block created (pages, rows, databases, appended and nested children) and never gives one back', async () => {
    fake = await startFake();
    const notion = clientFor(fake);
    expect(fake.state.blockUsage()).toEqual({ created: 0, lifetime: null, graceStartedAt: null, blocked: false, refused: 0 });

    const { dataSourceId } = await createUsageDatabase(notion); // 1: the database
    const page = await notion.pages.create({
      parent: { page_id: PARENT_PAGE_ID },
      properties: { title: { title: text('Report') } },
      children: [paragraph('a'), paragraph('b', [paragraph('b.1')])] as never,
    }); // 1 + 3
    const row = await notion.pages.create({ parent: { data_source_id: dataSourceId }, properties: { 'Request ID': { title: text('req-1') } } as never }); // 1
    await notion.blocks.children.append({ block_id: page.id, children: [paragraph('c'), paragraph('d')] as never }); // 2
    expect(fake.state.blockUsage().created).toBe(8);

    // Deleting, trashing, editing and adding a data source or a view create nothing and give nothing back.
    const first = (await notion.blocks.children.list({ block_id: page.id })).results[0]!;
    await notion.blocks.update({ block_id: first.id, paragraph: { rich_text: text('a, edited') } } as never);
    await notion.blocks.delete({ block_id: first.id });
    await notion.pages.update({ page_id: row.id, in_trash: true });
    expect(fake.state.blockUsage().created).toBe(8);
  });

  it('refuses creates after the grace period with Notion’s documented error; reads, edits and deletes still work', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    fake = await startFake({ clock: () => now, blockLimit: { lifetime: 5, graceMs: 60_000 } });
    const notion = clientFor(fake);
    const page = await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Report') } } }); // 1
    await notion.blocks.children.append({ block_id: page.id, children: [paragraph('1'), paragraph('2'), paragraph('3')] as never }); // 4
    expect(fake.state.blockUsage()).toMatchObject({ created: 4, graceStartedAt: null, blocked: false });

    // The write that reaches the limit succeeds and starts the grace period; creation still works in it.
    await notion.blocks.children.append({ block_id: page.id, children: [paragraph('4')] as never });
    expect(fake.state.blockUsage()).toMatchObject({ created: 5, graceStartedAt: now, blocked: false });
    await notion.blocks.children.append({ block_id: page.id, children: [paragraph('5')] as never });

    now += 60_000;
    expect(fake.state.blockUsage()).toMatchObject({ created: 6, blocked: true });
    const attempts = [
      () => notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Another') } } }),
      () => notion.blocks.children.append({ block_id: page.id, children: [paragraph('6')] as never }),
      () => notion.databases.create({ parent: { type: 'page_id', page_id: PARENT_PAGE_ID }, title: text('Another database'), initial_data_source: { properties: { Name: { title: {} } } } } as never),
    ];
    for (const attempt of attempts) {
      const error = await apiError(attempt);
      expect(error.status).toBe(403);
      expect(bodyOf(error)).toMatchObject({
        object: 'error',
        status: 403,
        code: 'restricted_resource',
        message: expect.stringContaining('This workspace has used all of its free blocks'),
        additional_data: { block_limit: 'block_creation' },
      });
      expect(error.additional_data).toEqual({ block_limit: 'block_creation' });
    }
    expect(fake.state.blockUsage()).toMatchObject({ created: 6, refused: 3 });
    expect(fake.state.blocks(page.id)).toHaveLength(5);

    const [one, two] = (await notion.blocks.children.list({ block_id: page.id })).results;
    const edited = (await notion.blocks.update({ block_id: one!.id, paragraph: { rich_text: text('one, in place') } } as never)) as Record<string, any>;
    expect(edited.paragraph.rich_text[0].plain_text).toBe('one, in place');
    await notion.blocks.delete({ block_id: two!.id });
    await notion.pages.update({ page_id: page.id, properties: { title: { title: text('Report, renamed') } } });
    expect((await notion.pages.retrieve({ page_id: page.id })).id).toBe(page.id);
    expect(fake.state.blocks(page.id)).toHaveLength(4);
  });

  it('can be set at runtime and starts from blocks already used', async () => {
    fake = await startFake();
    const notion = clientFor(fake);
    await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('One') } } });
    fake.setBlockLimit({ lifetime: 1, graceMs: 0 });
    expect(fake.state.blockUsage()).toMatchObject({ created: 1, lifetime: 1, blocked: true });
    expect((await apiError(() => notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Two') } } }))).status).toBe(403);
    fake.setBlockLimit(false);
    await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Two') } } });
    expect(fake.state.blockUsage()).toMatchObject({ created: 2, lifetime: null, blocked: false });

    fake.setBlockLimit({ lifetime: 1000, used: 999, graceMs: 0 });
    await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('The thousandth') } } });
    expect(fake.state.blockUsage()).toMatchObject({ created: 1000, blocked: true });
  });
});

describe('block update', () => {
  it('replaces the given fields of a text block, keeps the rest, and refuses a change of type', async () => {
    fake = await startFake();
    const notion = clientFor(fake);
    const page = await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('Report') } } });
    const [callout, heading] = (await notion.blocks.children.append({
      block_id: page.id,
      children: [
        { type: 'callout', callout: { rich_text: text('Old'), icon: { type: 'emoji', emoji: '📊' }, color: 'gray_background' } },
        { type: 'heading_3', heading_3: { rich_text: text('Spend') } },
      ] as never,
    })).results as Record<string, any>[];
    const updated = (await notion.blocks.update({ block_id: callout!.id, callout: { rich_text: [...text('New '), { type: 'text', text: { content: 'bold' }, annotations: { bold: true } }] } } as never)) as Record<string, any>;
    expect(updated.callout.rich_text.map((t: { plain_text: string }) => t.plain_text)).toEqual(['New ', 'bold']);
    expect(updated.callout).toMatchObject({ color: 'gray_background', icon: { emoji: '📊' } });
    expect(updated.callout.rich_text[1].annotations.bold).toBe(true);

    const error = await apiError(() => notion.blocks.update({ block_id: heading!.id, paragraph: { rich_text: text('x') } } as never));
    expect(error.code).toBe('validation_error');
    expect((await notion.blocks.update({ block_id: heading!.id, heading_3: { rich_text: [] } } as never)) as Record<string, any>).toMatchObject({ heading_3: { rich_text: [] } });
    expect((await apiError(() => notion.blocks.update({ block_id: heading!.id, heading_3: { rich_text: text('x'.repeat(2001)) } } as never))).code).toBe('validation_error');
  });
});

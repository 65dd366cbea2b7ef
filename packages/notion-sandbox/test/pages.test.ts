import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { PARENT_PAGE_ID, addRow, apiError, bodyOf, clientFor, createUsageDatabase, plain, startFake, text } from './helpers.js';

const T0 = Date.parse('2026-11-02T09:00:20.000Z');
let now = T0;
let fake: NotionFake;
let dataSourceId: string;

beforeAll(async () => {
  fake = await startFake({ clock: () => now });
  ({ dataSourceId } = await createUsageDatabase(clientFor(fake)));
});
afterAll(() => fake.close());

type Page = { id: string; properties: Record<string, any>; last_edited_time: string; created_time: string; in_trash: boolean; archived: boolean; last_edited_by: { id: string } };

describe('page create / retrieve / update', () => {
  it('round-trips every supported property type', async () => {
    const notion = clientFor(fake);
    const created = (await notion.pages.create({
      parent: { data_source_id: dataSourceId },
      properties: {
        'Request ID': { title: text('req-42') },
        'Supabase ID': { rich_text: text('6a1f') },
        Timestamp: { date: { start: '2026-11-01T10:00:00Z' } },
        Provider: { select: { name: 'openai' } },
        Tags: { multi_select: [{ name: 'batch' }, { name: 'eu' }] },
        'Total Tokens': { number: 2000 },
        'Total Cost': { number: 0.5 },
        Success: { checkbox: true },
        Link: { url: 'https://example.com/r/42' },
        Contact: { email: 'ops@example.com' },
        Phone: { phone_number: '+1 555 0100' },
      },
    })) as Page;
    const page = (await notion.pages.retrieve({ page_id: created.id })) as Page;
    expect(plain(page, 'Request ID')).toBe('req-42');
    expect(page.properties['Request ID'].id).toBe('title');
    expect(plain(page, 'Supabase ID')).toBe('6a1f');
    expect(page.properties.Timestamp.date).toEqual({ start: '2026-11-01T10:00:00.000+00:00', end: null, time_zone: null });
    expect(page.properties.Provider.select).toMatchObject({ name: 'openai', color: 'green' });
    expect(page.properties.Tags.multi_select.map((o: { name: string }) => o.name)).toEqual(['batch', 'eu']);
    expect(page.properties['Total Tokens'].number).toBe(2000);
    expect(page.properties.Success.checkbox).toBe(true);
    expect(page.properties.Link.url).toBe('https://example.com/r/42');
    expect(page.properties.Contact.email).toBe('ops@example.com');
    expect(page.properties.Phone.phone_number).toBe('+1 555 0100');
    expect(page.properties['Cost per 1K Tokens'].formula).toEqual({ type: 'number', number: 0.25 });
    expect(page.properties.Created.created_time).toBe('2026-11-02T09:00:00.000Z');

    const source = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Record<string, any> };
    expect(source.properties.Tags.multi_select.options.map((o: { name: string }) => o.name)).toEqual(['batch', 'eu']);
  });

  it('keeps last_edited_time (rounded down to the minute) and last_edited_by', async () => {
    const notion = clientFor(fake);
    now = T0;
    const id = await addRow(notion, dataSourceId, { requestId: 'edit-me' });
    now = T0 + 3 * 60_000 + 30_000;
    const updated = (await notion.pages.update({ page_id: id, properties: { 'Total Tokens': { number: 7 } } })) as Page;
    expect(updated.created_time).toBe('2026-11-02T09:00:00.000Z');
    expect(updated.last_edited_time).toBe('2026-11-02T09:03:00.000Z');
    expect(updated.last_edited_by.id).toBe(fake.botId);
    expect(updated.properties.Edited.last_edited_time).toBe('2026-11-02T09:03:00.000Z');
    now = T0;
  });

  it('addresses properties by id as well as by name', async () => {
    const notion = clientFor(fake);
    const source = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Record<string, { id: string }> };
    const tokensId = source.properties['Total Tokens']!.id;
    const page = (await notion.pages.create({ parent: { data_source_id: dataSourceId }, properties: { title: { title: text('by-id') }, [tokensId]: { number: 11 } } })) as Page;
    expect(page.properties['Total Tokens'].number).toBe(11);
    const only = (await notion.pages.retrieve({ page_id: page.id, filter_properties: [tokensId] })) as Page;
    expect(Object.keys(only.properties)).toEqual(['Total Tokens']);
  });

  it('moves a page to the trash and back; a trashed page cannot be edited', async () => {
    const notion = clientFor(fake);
    const id = await addRow(notion, dataSourceId, { requestId: 'trash-me' });
    const trashed = (await notion.pages.update({ page_id: id, in_trash: true })) as Page;
    expect([trashed.in_trash, trashed.archived]).toEqual([true, true]);
    const edit = await apiError(() => notion.pages.update({ page_id: id, properties: { 'Total Tokens': { number: 1 } } }));
    expect(edit.code).toBe('validation_error');
    expect(edit.message).toContain('archived');
    const restored = (await notion.pages.update({ page_id: id, in_trash: false, properties: { 'Total Tokens': { number: 2 } } })) as Page;
    expect([restored.in_trash, restored.properties['Total Tokens'].number]).toEqual([false, 2]);
  });

  it('a page under a page has only a title and shows as a child_page block', async () => {
    const notion = clientFor(fake);
    const page = await notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { title: { title: text('November report') } } });
    expect(plain(page, 'title')).toBe('November report');
    const children = await notion.blocks.children.list({ block_id: PARENT_PAGE_ID });
    expect(children.results).toContainEqual(expect.objectContaining({ id: page.id, type: 'child_page', child_page: { title: 'November report' } }));
    const error = await apiError(() => notion.pages.create({ parent: { page_id: PARENT_PAGE_ID }, properties: { Cost: { number: 1 } } as never }));
    expect(error.code).toBe('validation_error');
  });
});

describe('value limits and schema checks', () => {
  const create = (properties: Record<string, unknown>) => () =>
    clientFor(fake).pages.create({ parent: { data_source_id: dataSourceId }, properties: { 'Request ID': { title: text('limits') }, ...properties } as never });

  it('rejects a 2001-character text item with Notion’s message', async () => {
    const error = await apiError(create({ 'Supabase ID': { rich_text: text('x'.repeat(2001)) } }));
    expect(bodyOf(error)).toMatchObject({
      status: 400,
      code: 'validation_error',
      message: 'body failed validation: body.properties.Supabase ID.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.',
    });
    await create({ 'Supabase ID': { rich_text: text('x'.repeat(2000)) } })();
  });

  it('rejects more than 100 rich text items, long urls, emails and phone numbers, and 101 multi-select values', async () => {
    const items = Array.from({ length: 101 }, () => text('a')[0]);
    expect((await apiError(create({ 'Supabase ID': { rich_text: items } }))).message).toContain('rich_text.length should be ≤ `100`');
    expect((await apiError(create({ Link: { url: `https://x.io/${'a'.repeat(2000)}` } }))).message).toContain('url.length should be ≤ `2000`');
    expect((await apiError(create({ Contact: { email: `${'a'.repeat(196)}@x.io` } }))).message).toContain('email.length should be ≤ `200`');
    expect((await apiError(create({ Phone: { phone_number: '1'.repeat(201) } }))).message).toContain('phone_number.length should be ≤ `200`');
    const tags = Array.from({ length: 101 }, (_, i) => ({ name: `t${i}` }));
    expect((await apiError(create({ Tags: { multi_select: tags } }))).message).toContain('multi_select.length should be ≤ `100`');
  });

  it('rejects a comma in a select value and a 101st option created by a page', async () => {
    expect((await apiError(create({ Provider: { select: { name: 'open,ai' } } }))).code).toBe('validation_error');
    const notion = clientFor(fake);
    const { dataSourceId: fresh } = await createUsageDatabase(notion, 'Options');
    const options = Array.from({ length: 100 }, (_, i) => ({ name: `model-${i}` }));
    await notion.dataSources.update({ data_source_id: fresh, properties: { Provider: { select: { options } } } });
    const reuse = await notion.pages.create({ parent: { data_source_id: fresh }, properties: { Provider: { select: { name: 'MODEL-7' } } } });
    expect((reuse as Page).properties.Provider.select.name).toBe('model-7');
    const error = await apiError(() => notion.pages.create({ parent: { data_source_id: fresh }, properties: { Provider: { select: { name: 'model-100' } } } }));
    expect(error.code).toBe('validation_error');
    // An update naming a new option is refused alike, and the page keeps its value.
    const page = reuse as Page;
    const update = await apiError(() => notion.pages.update({ page_id: page.id, properties: { Provider: { select: { name: 'model-101' } } } }));
    expect(update.code).toBe('validation_error');
    const kept = (await notion.pages.retrieve({ page_id: page.id })) as Page;
    expect(kept.properties.Provider.select.name).toBe('model-7');
  });

  it('rejects a select option name longer than 100 characters, in a page and in a schema', async () => {
    const long = 'm'.repeat(101);
    expect((await apiError(create({ Provider: { select: { name: long } } }))).message).toBe(
      'body failed validation: body.properties.Provider.select.name.length should be ≤ `100`, instead was `101`.',
    );
    await create({ Provider: { select: { name: 'm'.repeat(100) } } })();
    const notion = clientFor(fake);
    const schema = await apiError(() => notion.dataSources.update({ data_source_id: dataSourceId, properties: { Provider: { select: { options: [{ name: long }] } } } }));
    expect(schema.code).toBe('validation_error');
  });

  it('checks values against the schema type', async () => {
    expect((await apiError(create({ 'Total Tokens': { rich_text: text('12') } }))).message).toBe('Total Tokens is expected to be number.');
    expect((await apiError(create({ 'Total Tokens': { number: '12' } }))).message).toBe('Total Tokens is expected to be number.');
    expect((await apiError(create({ Nope: { number: 1 } }))).message).toBe('Nope is not a property that exists.');
    expect((await apiError(create({ Timestamp: { date: { start: 'yesterday-ish' } } }))).code).toBe('validation_error');
    expect((await apiError(create({ 'Cost per 1K Tokens': { formula: { number: 1 } } }))).code).toBe('validation_error');
  });
});

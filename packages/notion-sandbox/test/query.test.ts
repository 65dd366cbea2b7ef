import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { addRow, apiError, clientFor, createUsageDatabase, plain, startFake } from './helpers.js';

const T0 = Date.parse('2026-11-20T12:00:00.000Z');
const ROWS = 250;
let now = T0;
let fake: NotionFake;
let notion: Client;
let dataSourceId: string;
const ids: string[] = [];

type Query = Parameters<Client['dataSources']['query']>[0];

/** Every page of a query, following next_cursor; checks has_more along the way. */
async function queryAll(args: Omit<Query, 'data_source_id'>, pageSize = 100) {
  const results: { id: string }[] = [];
  const pages: { count: number; hasMore: boolean; status: string | undefined }[] = [];
  let cursor: string | undefined;
  do {
    const res = await notion.dataSources.query({ data_source_id: dataSourceId, ...args, page_size: pageSize, ...(cursor ? { start_cursor: cursor } : {}) } as Query);
    results.push(...res.results);
    pages.push({ count: res.results.length, hasMore: res.has_more, status: res.request_status?.type });
    expect(res.has_more).toBe(res.next_cursor !== null);
    cursor = res.next_cursor ?? undefined;
  } while (cursor);
  return { results, pages, ids: results.map((r) => r.id) };
}

beforeAll(async () => {
  fake = await startFake({ clock: () => now });
  notion = clientFor(fake);
  ({ dataSourceId } = await createUsageDatabase(notion));
  for (let i = 0; i < ROWS; i += 1) {
    ids.push(
      await addRow(notion, dataSourceId, {
        requestId: `req-${i}`,
        supabaseId: `sb-${i}`,
        tokens: i % 10 === 0 ? null : i * 2,
        success: i % 3 !== 0,
        timestamp: `2026-11-${String(1 + (i % 30)).padStart(2, '0')}T08:30:00Z`,
        provider: i % 2 ? 'openai' : 'anthropic',
      }),
    );
    now += 1000;
  }
});
afterAll(() => fake.close());

describe('query filters', () => {
  it('equals on rich_text finds the one row', async () => {
    const { ids: found } = await queryAll({ filter: { property: 'Supabase ID', rich_text: { equals: 'sb-17' } } });
    expect(found).toEqual([ids[17]]);
    const none = await queryAll({ filter: { property: 'Supabase ID', rich_text: { equals: 'SB-17' } } });
    expect(none.ids).toEqual([]);
  });

  it('an `or` of 100 equals clauses looks rows up by key', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => i * 2 + 1);
    const filter = { or: keys.map((k) => ({ property: 'Supabase ID', rich_text: { equals: `sb-${k}` } })) };
    const { ids: found } = await queryAll({ filter });
    expect(found.sort()).toEqual(keys.map((k) => ids[k]).sort());
  });

  it('an `or` with 101 clauses is a validation_error', async () => {
    const filter = { or: Array.from({ length: 101 }, (_, i) => ({ property: 'Supabase ID', rich_text: { equals: `sb-${i}` } })) };
    const error = await apiError(() => notion.dataSources.query({ data_source_id: dataSourceId, filter }));
    expect(error.code).toBe('validation_error');
    expect(error.message).toBe('body failed validation: body.filter.or.length should be ≤ `100`, instead was `101`.');
  });

  it('compound filters nest two levels deep, not three', async () => {
    const leaf = { property: 'Success', checkbox: { equals: true } };
    await notion.dataSources.query({ data_source_id: dataSourceId, filter: { and: [leaf, { or: [leaf, leaf] }] } });
    const error = await apiError(() => notion.dataSources.query({ data_source_id: dataSourceId, filter: { and: [{ or: [{ and: [leaf] }] }] } as never }));
    expect(error.code).toBe('validation_error');
  });

  it('number ranges, checkbox, select and is_empty', async () => {
    const range = await queryAll({ filter: { and: [{ property: 'Total Tokens', number: { greater_than_or_equal_to: 100 } }, { property: 'Total Tokens', number: { less_than: 200 } }] } });
    const expected = ids.filter((_, i) => i % 10 !== 0 && i * 2 >= 100 && i * 2 < 200);
    expect(range.ids).toEqual(expected);
    const failed = await queryAll({ filter: { property: 'Success', checkbox: { equals: false } } });
    expect(failed.ids).toEqual(ids.filter((_, i) => i % 3 === 0));
    const empty = await queryAll({ filter: { property: 'Total Tokens', number: { is_empty: true } } });
    expect(empty.ids).toHaveLength(ROWS / 10);
    const openai = await queryAll({ filter: { property: 'Provider', select: { equals: 'openai' } } });
    expect(openai.ids).toHaveLength(ROWS / 2);
  });

  it('date on_or_after compares by day for a date and by instant for a date-time', async () => {
    const byDay = await queryAll({ filter: { property: 'Timestamp', date: { on_or_after: '2026-11-29' } } });
    expect(byDay.ids).toEqual(ids.filter((_, i) => 1 + (i % 30) >= 29));
    const byInstant = await queryAll({ filter: { property: 'Timestamp', date: { on_or_after: '2026-11-29T09:00:00Z' } } });
    expect(byInstant.ids).toEqual(ids.filter((_, i) => 1 + (i % 30) >= 30));
  });

  it('last_edited_time finds the rows edited since a moment', async () => {
    now += 5 * 60_000;
    const since = new Date(Math.floor(now / 60_000) * 60_000).toISOString();
    const edited = [ids[3]!, ids[100]!, ids[249]!];
    for (const id of edited) await notion.pages.update({ page_id: id, properties: { 'Total Cost': { number: 1 } } });
    const { ids: found } = await queryAll({ filter: { timestamp: 'last_edited_time', last_edited_time: { on_or_after: since } } });
    expect(found).toEqual(edited);
    const viaProperty = await queryAll({ filter: { property: 'Edited', last_edited_time: { on_or_after: since } } });
    expect(viaProperty.ids).toEqual(edited);
  });

  it('rejects unknown properties, mismatched filter types and page_size over 100', async () => {
    expect((await apiError(() => notion.dataSources.query({ data_source_id: dataSourceId, filter: { property: 'Nope', rich_text: { equals: 'x' } } }))).message).toBe('Could not find property with name or id: Nope');
    expect((await apiError(() => notion.dataSources.query({ data_source_id: dataSourceId, filter: { property: 'Total Tokens', rich_text: { equals: 'x' } } }))).code).toBe('validation_error');
    expect((await apiError(() => notion.dataSources.query({ data_source_id: dataSourceId, page_size: 101 }))).code).toBe('validation_error');
  });
});

describe('sorts and paging', () => {
  it('pages through all rows: every page exactly once, in creation order by default', async () => {
    const { ids: found, pages } = await queryAll({}, 100);
    expect(found).toEqual(ids);
    expect(pages.map((p) => [p.count, p.hasMore])).toEqual([[100, true], [100, true], [50, false]]);
    expect(pages.every((p) => p.status === 'complete')).toBe(true);
  });

  it('pages through a sorted, filtered query with an odd page size', async () => {
    const sorts = [{ property: 'Total Tokens', direction: 'descending' as const }];
    const { ids: found } = await queryAll({ sorts }, 37);
    expect(new Set(found).size).toBe(ROWS);
    const tokens = (i: number) => (i % 10 === 0 ? null : i * 2);
    const expected = ids.map((id, i) => ({ id, t: tokens(i), i })).sort((a, b) => (a.t === null ? 1 : b.t === null ? -1 : b.t - a.t) || a.i - b.i);
    expect(found).toEqual(expected.map((e) => e.id));
  });

  it('sorts by (minute-precision) timestamp and by title', async () => {
    const newest = await notion.dataSources.query({ data_source_id: dataSourceId, sorts: [{ timestamp: 'created_time', direction: 'descending' }], page_size: 3 });
    // created_time has minute precision, as in Notion: rows 240–249 were created in the same (latest) minute.
    expect(newest.results.map((r) => Number(plain(r, 'Request ID').slice(4))).every((n) => n >= 240)).toBe(true);
    const byTitle = await notion.dataSources.query({ data_source_id: dataSourceId, sorts: [{ property: 'Request ID', direction: 'ascending' }], page_size: 3 });
    expect(byTitle.results.map((r) => plain(r, 'Request ID'))).toEqual(['req-0', 'req-1', 'req-2']);
  });

  it('leaves pages in the trash out of queries', async () => {
    await notion.pages.update({ page_id: ids[5]!, in_trash: true });
    const { ids: found } = await queryAll({});
    expect(found).toHaveLength(ROWS - 1);
    expect(found).not.toContain(ids[5]);
    const lookup = await queryAll({ filter: { property: 'Supabase ID', rich_text: { equals: 'sb-5' } } });
    expect(lookup.ids).toEqual([]);
    await notion.pages.update({ page_id: ids[5]!, in_trash: false });
  });

  it('returns only the asked-for properties with filter_properties', async () => {
    const source = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Record<string, { id: string }> };
    const res = await notion.dataSources.query({ data_source_id: dataSourceId, page_size: 1, filter_properties: ['title', source.properties['Supabase ID']!.id] });
    expect(Object.keys((res.results[0] as { properties: object }).properties).sort()).toEqual(['Request ID', 'Supabase ID']);
  });
});

describe('the per-query result limit', () => {
  it('stops at the limit with has_more false and request_status incomplete', async () => {
    const small = await startFake({ queryResultLimit: 25 });
    try {
      const client = clientFor(small);
      const { dataSourceId: source } = await createUsageDatabase(client);
      for (let i = 0; i < 30; i += 1) await addRow(client, source, { requestId: `r${i}` });
      const seen: string[] = [];
      const statuses: unknown[] = [];
      let cursor: string | undefined;
      let calls = 0;
      do {
        const res = await client.dataSources.query({ data_source_id: source, page_size: 10, ...(cursor ? { start_cursor: cursor } : {}) });
        seen.push(...res.results.map((r) => r.id));
        statuses.push(res.request_status);
        cursor = res.next_cursor ?? undefined;
        calls += 1;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(calls).toBe(3);
      expect(statuses).toEqual(Array(3).fill({ type: 'incomplete', incomplete_reason: 'query_result_limit_reached' }));
      // A narrower query is a new query with its own budget.
      const narrow = await client.dataSources.query({ data_source_id: source, filter: { property: 'Request ID', title: { starts_with: 'r2' } } });
      expect(narrow.request_status).toEqual({ type: 'complete' });
    } finally {
      await small.close();
    }
  });
});

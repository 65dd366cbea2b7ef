import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotionFake } from '../src/index.js';
import { PARENT_PAGE_ID, addRow, apiError, clientFor, createUsageDatabase, plain, startFake, text } from './helpers.js';

let fake: NotionFake;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(() => fake.close());

type Schema = Record<string, { id: string; name: string; type: string } & Record<string, any>>;

describe('databases and data sources', () => {
  it('create → retrieve: one data source whose properties have ids, the title’s being `title`', async () => {
    const notion = clientFor(fake);
    const { databaseId, dataSourceId, database } = await createUsageDatabase(notion);
    expect(database).toMatchObject({ object: 'database', parent: { type: 'page_id', page_id: PARENT_PAGE_ID }, in_trash: false });
    expect(database.data_sources).toEqual([{ id: dataSourceId, name: 'Token Usage Logs' }]);

    const again = await notion.databases.retrieve({ database_id: databaseId });
    expect((again as typeof database).data_sources).toEqual(database.data_sources);

    const source = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Schema; parent: unknown; database_parent: unknown };
    expect(source.parent).toEqual({ type: 'database_id', database_id: databaseId });
    expect(source.database_parent).toEqual({ type: 'page_id', page_id: PARENT_PAGE_ID });
    const props = source.properties;
    expect(props['Request ID']).toMatchObject({ id: 'title', name: 'Request ID', type: 'title', title: {} });
    const ids = Object.values(props).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of Object.values(props)) expect(p.id).toMatch(/^\S+$/);
    expect(props['Total Cost']).toMatchObject({ type: 'number', number: { format: 'dollar' } });
    expect(props.Provider!.select.options.map((o: { name: string; color: string; id: string }) => [o.name, o.color, typeof o.id])).toEqual([
      ['openai', 'green', 'string'],
      ['anthropic', 'orange', 'string'],
    ]);
    expect(props['Cost per 1K Tokens']).toMatchObject({ type: 'formula', formula: { expression: expect.stringContaining('prop("Total Tokens")') } });
  });

  it('shows the database as a child_database block on the parent page, with a default table view', async () => {
    const notion = clientFor(fake);
    const { databaseId } = await createUsageDatabase(notion, 'Cost Alerts');
    const children = await notion.blocks.children.list({ block_id: PARENT_PAGE_ID });
    expect(children.results).toContainEqual(expect.objectContaining({ id: databaseId, type: 'child_database', child_database: { title: 'Cost Alerts' } }));
    const views = await notion.views.list({ database_id: databaseId });
    expect(views.results).toHaveLength(1);
    expect(await notion.views.retrieve({ view_id: views.results[0]!.id })).toMatchObject({ type: 'table', name: 'Default view' });
  });

  it('needs exactly one title property and rejects unknown number formats', async () => {
    const notion = clientFor(fake);
    const parent = { type: 'page_id' as const, page_id: PARENT_PAGE_ID };
    expect((await apiError(() => notion.databases.create({ parent, initial_data_source: { properties: { Notes: { rich_text: {} } } } }))).code).toBe('validation_error');
    expect((await apiError(() => notion.databases.create({ parent, initial_data_source: { properties: { A: { title: {} }, B: { title: {} } } } }))).code).toBe('validation_error');
    expect((await apiError(() => notion.databases.create({ parent, initial_data_source: { properties: { A: { title: {} }, N: { number: { format: 'bitcoin' } } } } }))).code).toBe('validation_error');
  });

  it('renames a property and it can still be addressed by id, in writes and filters', async () => {
    const notion = clientFor(fake);
    const { dataSourceId } = await createUsageDatabase(notion);
    const before = (await notion.dataSources.retrieve({ data_source_id: dataSourceId })) as { properties: Schema };
    const costId = before.properties['Total Cost']!.id;
    const pageId = await addRow(notion, dataSourceId, { requestId: 'req-1', cost: 0.5 });

    const updated = (await notion.dataSources.update({ data_source_id: dataSourceId, properties: { [costId]: { name: 'Cost (USD)' } } })) as { properties: Schema };
    expect(updated.properties['Total Cost']).toBeUndefined();
    expect(updated.properties['Cost (USD)']).toMatchObject({ id: costId, type: 'number', number: { format: 'dollar' } });

    const page = (await notion.pages.retrieve({ page_id: pageId })) as { properties: Record<string, any> };
    expect(page.properties['Cost (USD)']).toEqual({ id: costId, type: 'number', number: 0.5 });

    await notion.pages.update({ page_id: pageId, properties: { [costId]: { number: 0.75 } } });
    const found = await notion.dataSources.query({ data_source_id: dataSourceId, filter: { property: costId, number: { equals: 0.75 } } });
    expect(found.results.map((r) => r.id)).toEqual([pageId]);
    const old = await apiError(() => notion.pages.update({ page_id: pageId, properties: { 'Total Cost': { number: 1 } } }));
    expect(old.message).toBe('Total Cost is not a property that exists.');
  });

  it('adds and removes properties; the title property cannot be removed', async () => {
    const notion = clientFor(fake);
    const { dataSourceId } = await createUsageDatabase(notion);
    const updated = (await notion.dataSources.update({
      data_source_id: dataSourceId,
      properties: { Region: { select: { options: [{ name: 'eu' }] } }, Phone: null },
    })) as { properties: Schema };
    expect(updated.properties.Region).toMatchObject({ type: 'select', select: { options: [expect.objectContaining({ name: 'eu' })] } });
    expect(updated.properties.Phone).toBeUndefined();
    const error = await apiError(() => notion.dataSources.update({ data_source_id: dataSourceId, properties: { 'Request ID': null } }));
    expect(error.code).toBe('validation_error');
  });

  it('select options: a comma is rejected, and so is a 101st option', async () => {
    const notion = clientFor(fake);
    const { dataSourceId } = await createUsageDatabase(notion);
    const comma = await apiError(() => notion.dataSources.update({ data_source_id: dataSourceId, properties: { Provider: { select: { options: [{ name: 'a,b' }] } } } }));
    expect(comma.code).toBe('validation_error');
    const options = Array.from({ length: 101 }, (_, i) => ({ name: `option ${i}` }));
    const tooMany = await apiError(() => notion.dataSources.update({ data_source_id: dataSourceId, properties: { Provider: { select: { options } } } }));
    expect(tooMany.code).toBe('validation_error');
    const ok = (await notion.dataSources.update({ data_source_id: dataSourceId, properties: { Provider: { select: { options: options.slice(0, 100) } } } })) as { properties: Schema };
    expect(ok.properties.Provider!.select.options).toHaveLength(100);
    const duplicate = await apiError(() => notion.dataSources.update({ data_source_id: dataSourceId, properties: { Tags: { multi_select: { options: [{ name: 'Eu' }, { name: 'eu' }] } } } }));
    expect(duplicate.code).toBe('validation_error');
  });

  it('updates a database title and moves it to the trash', async () => {
    const notion = clientFor(fake);
    const { databaseId, dataSourceId } = await createUsageDatabase(notion);
    const renamed = await notion.databases.update({ database_id: databaseId, title: text('Renamed') });
    expect((renamed as { title: { plain_text: string }[] }).title[0]!.plain_text).toBe('Renamed');
    await notion.databases.update({ database_id: databaseId, in_trash: true });
    expect(await notion.databases.retrieve({ database_id: databaseId })).toMatchObject({ in_trash: true });
    const write = await apiError(() => addRow(notion, dataSourceId, { requestId: 'late' }));
    expect(write.code).toBe('validation_error');
  });

  it('a second data source can be created in a database', async () => {
    const notion = clientFor(fake);
    const { databaseId } = await createUsageDatabase(notion);
    const second = await notion.dataSources.create({ parent: { database_id: databaseId }, title: text('Archive'), properties: { Name: { title: {} } } });
    const db = (await notion.databases.retrieve({ database_id: databaseId })) as { data_sources: { id: string; name: string }[] };
    expect(db.data_sources.map((d) => d.name)).toEqual(['Token Usage Logs', 'Archive']);
    const error = await apiError(() => notion.pages.create({ parent: { database_id: databaseId }, properties: {} }));
    expect(error.message).toContain('data sources');
    const page = await notion.pages.create({ parent: { data_source_id: second.id }, properties: { Name: { title: text('x') } } });
    expect(plain(page, 'Name')).toBe('x');
  });
});

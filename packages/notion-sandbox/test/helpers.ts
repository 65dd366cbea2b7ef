/** Shared setup for the Notion fake's tests: a fake, an SDK client on it, and a usage database. */
import { APIResponseError, Client } from '@notionhq/client';
import { expect } from 'vitest';
import { startNotionFake, type NotionFake, type NotionFakeOptions } from '../src/index.js';

export const PARENT_PAGE_ID = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';
export const PRIVATE_PAGE_ID = '7d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a';
export const NOTION_VERSION = '2025-09-03';

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

export async function startFake(options: NotionFakeOptions = {}): Promise<NotionFake> {
  return startNotionFake({
    rateLimit: false,
    pages: [
      { id: PARENT_PAGE_ID, title: 'Team reports' },
      { id: PRIVATE_PAGE_ID, title: 'Not shared', shared: false },
    ],
    ...options,
  });
}

export function clientFor(fake: NotionFake, options: Partial<ClientOptions> = {}): Client {
  return new Client({ auth: fake.token, baseUrl: fake.url, notionVersion: NOTION_VERSION, logger: () => undefined, ...options });
}

export const text = (content: string) => [{ type: 'text' as const, text: { content } }];

/** A usage-log-like database under the parent page; returns its ids. */
export async function createUsageDatabase(notion: Client, title = 'Token Usage Logs') {
  const db = (await notion.databases.create({
    parent: { type: 'page_id', page_id: PARENT_PAGE_ID },
    title: text(title),
    initial_data_source: {
      properties: {
        'Request ID': { title: {} },
        'Supabase ID': { rich_text: {} },
        Timestamp: { date: {} },
        Provider: { select: { options: [{ name: 'openai', color: 'green' }, { name: 'anthropic', color: 'orange' }] } },
        Tags: { multi_select: {} },
        'Total Tokens': { number: { format: 'number_with_commas' } },
        'Total Cost': { number: { format: 'dollar' } },
        Success: { checkbox: {} },
        Link: { url: {} },
        Contact: { email: {} },
        Phone: { phone_number: {} },
        'Cost per 1K Tokens': { formula: { expression: 'if(prop("Total Tokens") > 0, prop("Total Cost") / prop("Total Tokens") * 1000, 0)' } },
        Created: { created_time: {} },
        Edited: { last_edited_time: {} },
      },
    },
  })) as { id: string; data_sources: { id: string; name: string }[] };
  return { databaseId: db.id, dataSourceId: db.data_sources[0]!.id, database: db };
}

export interface Row {
  requestId: string;
  supabaseId?: string;
  tokens?: number | null;
  cost?: number | null;
  success?: boolean;
  timestamp?: string;
  provider?: string;
}

export function rowProperties(row: Row) {
  return {
    'Request ID': { title: text(row.requestId) },
    ...(row.supabaseId !== undefined ? { 'Supabase ID': { rich_text: text(row.supabaseId) } } : {}),
    ...(row.tokens !== undefined ? { 'Total Tokens': { number: row.tokens } } : {}),
    ...(row.cost !== undefined ? { 'Total Cost': { number: row.cost } } : {}),
    ...(row.success !== undefined ? { Success: { checkbox: row.success } } : {}),
    ...(row.timestamp !== undefined ? { Timestamp: { date: { start: row.timestamp } } } : {}),
    ...(row.provider !== undefined ? { Provider: { select: { name: row.provider } } } : {}),
  };
}

export async function addRow(notion: Client, dataSourceId: string, row: Row): Promise<string> {
  const page = await notion.pages.create({ parent: { type: 'data_source_id', data_source_id: dataSourceId }, properties: rowProperties(row) as never });
  return page.id;
}

/** Runs `call` and returns the APIResponseError it must throw. */
export async function apiError(call: () => Promise<unknown>): Promise<APIResponseError> {
  try {
    await call();
  } catch (error) {
    expect(APIResponseError.isAPIResponseError(error), `expected an APIResponseError, got ${String(error)}`).toBe(true);
    return error as APIResponseError;
  }
  throw new Error('expected the call to fail');
}

/** The error body Notion sends, parsed from an APIResponseError. */
export function bodyOf(error: APIResponseError): Record<string, unknown> {
  return JSON.parse(error.body) as Record<string, unknown>;
}

/** Plain text of a title / rich_text property of a page object. */
export function plain(page: unknown, property: string): string {
  const value = (page as { properties: Record<string, { type: string } & Record<string, unknown>> }).properties[property];
  if (!value) throw new Error(`no property ${property}`);
  return ((value[value.type] as { plain_text: string }[]) ?? []).map((t) => t.plain_text).join('');
}

/** Shared setup for the web page tests: a fake with the real catalogue provisioned, and readers for its HTML. */
import type { Client } from '@notionhq/client';
import { DATASETS, type Dataset } from '../../src/datasets.js';
import { createNotionClient } from '../../src/notion/client.js';
import { provisionNotion, type NotionIdsOf, type ProvisionOptions } from '../../src/notion/provision/provision.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';

export const PARENT_PAGE_ID = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';

export const text = (content: string) => [{ type: 'text' as const, text: { content } }];

const NO_IDS = Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as ProvisionOptions['recorded'];

export interface Workspace {
  fake: NotionFake;
  notion: Client;
  ids: Record<Dataset, NotionIdsOf>;
}

/** A fresh fake with the six databases, views and dashboard; "now" is 2026-11-20, so month to date starts 2026-11-01. */
export async function provisioned(): Promise<Workspace> {
  const fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT_PAGE_ID, title: 'Team reports' }] });
  const client = createNotionClient({ token: fake.token, baseUrl: fake.url, maxRetries: 0 });
  const result = await provisionNotion({
    client,
    parentPageId: PARENT_PAGE_ID,
    recorded: NO_IDS,
    envFile: undefined,
    timezone: 'UTC',
    now: new Date('2026-11-20T12:00:00Z'),
  });
  return { fake, notion: client, ids: result.databases as Record<Dataset, NotionIdsOf> };
}

export interface Call {
  id: string;
  at: string;
  service?: string;
  model?: string;
  cost?: number;
  success?: boolean;
}

/** A Token Usage Logs page; returns its page id. */
export async function addCall(ws: Workspace, call: Call): Promise<string> {
  const page = await ws.notion.pages.create({
    parent: { type: 'data_source_id', data_source_id: ws.ids.token_usage_logs.dataSourceId },
    properties: {
      'Request ID': { title: text(call.id) },
      Timestamp: { date: { start: call.at } },
      ...(call.service ? { Service: { select: { name: call.service } } } : {}),
      ...(call.model ? { Model: { select: { name: call.model } } } : {}),
      ...(call.cost !== undefined ? { 'Total Cost': { number: call.cost } } : {}),
      Success: { checkbox: call.success ?? true },
    } as never,
  });
  return page.id;
}

export interface Day {
  id: string;
  /** YYYY-MM-DD */
  day: string;
  service?: string;
  model?: string;
  cost?: number;
}

/** A Daily Costs page (one day × service × model); returns its page id. */
export async function addDay(ws: Workspace, row: Day): Promise<string> {
  const page = await ws.notion.pages.create({
    parent: { type: 'data_source_id', data_source_id: ws.ids.daily_cost_breakdown.dataSourceId },
    properties: {
      Name: { title: text(row.id) },
      Date: { date: { start: row.day } },
      ...(row.service ? { Service: { select: { name: row.service } } } : {}),
      ...(row.model ? { Model: { select: { name: row.model } } } : {}),
      ...(row.cost !== undefined ? { 'Total Cost': { number: row.cost } } : {}),
    } as never,
  });
  return page.id;
}

export async function addPage(ws: Workspace, dataset: Dataset, properties: Record<string, unknown>): Promise<string> {
  const page = await ws.notion.pages.create({ parent: { type: 'data_source_id', data_source_id: ws.ids[dataset].dataSourceId }, properties: properties as never });
  return page.id;
}

export async function get(ws: Workspace, path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${ws.fake.url}${path}`, init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

export async function databaseHtml(ws: Workspace, dataset: Dataset): Promise<string> {
  const { status, body } = await get(ws, `/databases/${ws.ids[dataset].databaseId}`);
  if (status !== 200) throw new Error(`GET database ${dataset}: ${status}`);
  return body;
}

const unescape = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Attributes of an opening tag. */
export function attributes(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/\s([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, unescape(m[2]!)]));
}

/** Opening tags (as attribute maps) that carry `attribute`, in document order. */
export function tagsWith(html: string, attribute: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<[a-z][a-z0-9]*\\b[^>]*\\s${attribute}="[^"]*"[^>]*>`, 'g'))].map((m) => attributes(m[0]));
}

/** The markup of one view's section; a widget of the dashboard when `widget` is set. */
export function viewSection(html: string, name: string, options: { widget?: boolean } = {}): string {
  const starts = [...html.matchAll(/<section class="view[^"]*"[^>]*>/g)];
  const hit = starts.find((m) => attributes(m[0])['data-view'] === name && (attributes(m[0])['data-widget'] === 'true') === (options.widget ?? false));
  if (!hit) throw new Error(`no view section ${name}`);
  const start = hit.index!;
  return html.slice(start, html.indexOf('</section>', start) + '</section>'.length);
}

export const sectionAttributes = (section: string) => attributes(/^<section[^>]*>/.exec(section)![0]);
export const chartAttributes = (section: string) => attributes(/<figure class="chart"[^>]*>/.exec(section)![0]);

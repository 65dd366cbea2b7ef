/**
 * The one path for every Notion request the sync makes: each waits for the
 * shared rate limit in the lane of the pass that makes it, and 429/529 answers
 * pause every sender for Retry-After.
 *
 * It retries two things itself: a 429 or 529, after that pause (the SDK's own
 * retries are off, so one process's Retry-After holds for all), and a read that
 * fails transiently, a few times with backoff. A write that fails otherwise
 * fails its row for this pass; the caller runs the pass again. Every retry
 * layer and what it owns: "Who retries what" in docs/architecture.md.
 */
import { APIResponseError, type Client } from '@notionhq/client';
import type { DatabaseSpec } from '../notion/catalogue/index.js';
import { NotionRequestError, toNotionRequestError } from '../notion/client.js';
import { planSchema } from '../notion/provision/plan-schema.js';
import { readLiveProperties } from '../notion/schema.js';
import { currentLane } from '../notion/rate-limit/lane-context.js';
import type { RequestLimiter } from '../notion/rate-limit/limiter.js';
import type { PropertyValue } from './mapping.js';

/** How often one request may be throttled (429/529) before it fails. */
export const MAX_THROTTLED_ATTEMPTS = 8;
export const MAX_READ_ATTEMPTS = 4;
export const READ_RETRY_BASE_MS = 250;
/** Used when a 429/529 carries no Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** Notion's `or` filters take at most 100 clauses. */
export const MAX_OR_CLAUSES = 100;

/** An HTTP status; 'timeout' when no complete answer came in time, 'network' when none came at all. */
export type RequestOutcome = number | 'network' | 'timeout';

export interface NotionGatewayOptions {
  client: Client;
  limiter: RequestLimiter;
  /** Called once per request sent, with its HTTP status (or 'network'). */
  onRequest?: (outcome: RequestOutcome, kind: 'read' | 'write') => void;
  sleep?: (ms: number) => Promise<void>;
}

/** What the sync needs of a data source's schema. */
export interface LiveSchema {
  /** Our key → live property id. */
  ids: Map<string, string>;
  /** Our key → the option names a select property has now. */
  options: Map<string, string[]>;
}

export interface NotionGateway {
  readSchema(dataSourceId: string, spec: DatabaseSpec): Promise<LiveSchema>;
  create(dataSourceId: string, properties: Record<string, PropertyValue>): Promise<string>;
  /** Overwrites a page's properties; `restore` also takes it out of the trash, in the same request. */
  update(pageId: string, properties: Record<string, PropertyValue>, options?: { restore?: boolean }): Promise<void>;
  trash(pageId: string): Promise<void>;
  /** Live (not trashed) pages whose `Supabase ID` property equals one of `keys`: key → page ids. */
  findByKeys(dataSourceId: string, supabaseIdProperty: string, keys: readonly string[]): Promise<Map<string, string[]>>;
}

function retryAfterMs(error: unknown): number {
  const cause = error instanceof NotionRequestError ? error.cause : error;
  if (!APIResponseError.isAPIResponseError(cause)) return DEFAULT_RETRY_AFTER_MS;
  const headers = cause.headers as { get?: (name: string) => string | null } | Record<string, string> | undefined;
  const header = typeof headers?.get === 'function' ? headers.get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = header === undefined || header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS;
}

/** The SDK's code for a request that got no complete answer in time (see createNotionClient). */
const TIMEOUT_CODE = 'notionhq_client_request_timeout';

const isThrottle = (e: NotionRequestError) => e.status === 429 || e.status === 529;

export function createNotionGateway(options: NotionGatewayOptions): NotionGateway {
  const { client, limiter } = options;
  const report = options.onRequest ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function send<T>(what: string, kind: 'read' | 'write', call: () => Promise<T>): Promise<T> {
    let throttled = 0;
    let failedReads = 0;
    for (;;) {
      // The lane of the pass that asks (see lane-context.ts): alerts before rollups before raw logs.
      await limiter.acquire(currentLane());
      try {
        const result = await call();
        report(200, kind);
        return result;
      } catch (raw) {
        const error = toNotionRequestError(raw, what);
        if (!(error instanceof NotionRequestError)) {
          report('network', kind);
          throw error;
        }
        report(error.status ?? (error.notionCode === TIMEOUT_CODE ? 'timeout' : 'network'), kind);
        if (isThrottle(error) && ++throttled < MAX_THROTTLED_ATTEMPTS) {
          await limiter.pauseFor(retryAfterMs(error), { status: error.status! });
          continue;
        }
        if (kind === 'read' && error.retryable && ++failedReads < MAX_READ_ATTEMPTS) {
          await sleep(READ_RETRY_BASE_MS * 2 ** failedReads);
          continue;
        }
        throw error;
      }
    }
  }

  return {
    async readSchema(dataSourceId, spec) {
      const source = (await send(`retrieve data source ${dataSourceId}`, 'read', () =>
        client.dataSources.retrieve({ data_source_id: dataSourceId }),
      )) as { properties: Record<string, unknown> };
      const live = readLiveProperties(source.properties);
      const { ids } = planSchema(spec, live);
      const options = new Map<string, string[]>();
      for (const [key, id] of ids) {
        const property = live.find((p) => p.id === id);
        if (property?.selectOptions) options.set(key, property.selectOptions.map((o) => o.name));
      }
      return { ids, options };
    },

    async create(dataSourceId, properties) {
      const page = await send('create page', 'write', () =>
        client.pages.create({ parent: { type: 'data_source_id', data_source_id: dataSourceId }, properties: properties as never }),
      );
      return page.id;
    },

    async update(pageId, properties, updateOptions = {}) {
      // Update page takes in_trash and properties together: a trashed page is restored and overwritten at once.
      const restore = updateOptions.restore ? { in_trash: false } : {};
      await send(`update page ${pageId}`, 'write', () => client.pages.update({ page_id: pageId, properties: properties as never, ...restore }));
    },

    async trash(pageId) {
      try {
        await send(`trash page ${pageId}`, 'write', () => client.pages.update({ page_id: pageId, in_trash: true }));
      } catch (error) {
        // Already gone (deleted, or trashed and purged) or already in trash: nothing left to do.
        if (error instanceof NotionRequestError && error.notionCode === 'object_not_found') return;
        if (error instanceof NotionRequestError && error.notionCode === 'validation_error' && /archived/i.test(error.message)) return;
        throw error;
      }
    },

    async findByKeys(dataSourceId, supabaseIdProperty, keys) {
      const found = new Map<string, string[]>();
      for (let i = 0; i < keys.length; i += MAX_OR_CLAUSES) {
        const chunk = keys.slice(i, i + MAX_OR_CLAUSES);
        const filter = { or: chunk.map((key) => ({ property: supabaseIdProperty, rich_text: { equals: key } })) };
        let cursor: string | undefined;
        do {
          const page = await send('look up pages by Supabase ID', 'read', () =>
            client.dataSources.query({
              data_source_id: dataSourceId,
              filter: filter as never,
              page_size: 100,
              ...(cursor ? { start_cursor: cursor } : {}),
            }),
          );
          for (const result of page.results) {
            const key = supabaseIdOf(result, supabaseIdProperty);
            if (key) found.set(key, [...(found.get(key) ?? []), result.id]);
          }
          cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
        } while (cursor);
      }
      return found;
    },
  };
}

function supabaseIdOf(page: unknown, propertyId: string): string | undefined {
  const properties = (page as { properties?: Record<string, { id?: string; rich_text?: { plain_text: string }[] }> }).properties ?? {};
  const property = Object.values(properties).find((p) => p.id === propertyId);
  return property?.rich_text?.map((t) => t.plain_text).join('') || undefined;
}

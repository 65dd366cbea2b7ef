/**
 * A faithful, stateful, in-memory HTTP fake of the Notion API (version
 * 2025-09-03) for tests, benchmarks and the local demo. Drive it with
 * @notionhq/client pointed at `fake.url`; steer it through `fake.faults`,
 * `fake.setRateLimit()`, `fake.share()`; read it through `fake.state` and
 * `fake.stats()`.
 */
import type { BlockLimitOptions } from './block-limit.js';
import { Faults } from './faults.js';
import { newId, normalizeId } from './ids.js';
import { Cursors } from './pagination.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { richTextOf } from './rich-text.js';
import { Router, type Settings } from './router.js';
import { blockRoutes } from './routes/blocks.js';
import { dataSourceRoutes } from './routes/data-sources.js';
import { databaseRoutes } from './routes/databases.js';
import { pageRoutes } from './routes/pages.js';
import { userRoutes } from './routes/users.js';
import { viewRoutes } from './routes/views.js';
import { startServer } from './server.js';
import { stateReader, type StateReader } from './state.js';
import { Stats, type RequestListener, type StatsFilter, type StatsSnapshot } from './stats.js';
import { Store, type TimestampPrecision } from './store.js';
import { LIMITS } from './validation.js';

export type { BlockLimitOptions, BlockUsage } from './block-limit.js';
export { DEFAULT_BLOCK_GRACE_MS } from './block-limit.js';
export type { FaultStatus, FaultSummary, ProxyStatus, RequestMatcher } from './faults.js';
export type { RateLimitOptions } from './rate-limit.js';
export type { StateReader } from './state.js';
export type { RequestListener, RequestStat, RequestStatus, StatsFilter, StatsSnapshot } from './stats.js';

export interface SeedPage {
  /** A UUID, with or without dashes. */
  id: string;
  title: string;
  /** Whether the page is shared with the integration (default true). Unshared pages answer object_not_found. */
  shared?: boolean;
  inTrash?: boolean;
}

export interface NotionFakeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Bearer tokens the fake accepts. Default ['secret_fake_notion_token']. */
  tokens?: readonly string[];
  /**
   * Tokens of an integration given only the Read content capability: accepted
   * (add them to `tokens` too), but every write answers 403 restricted_resource.
   */
  readOnlyTokens?: readonly string[];
  /** Accepted Notion-Version values; default: any non-empty value (the header is still required). */
  notionVersions?: readonly string[];
  /** The integration's bot user. */
  bot?: { id?: string; name?: string; workspaceName?: string };
  /** Top-level pages of the workspace, e.g. the parent page of tokensync's databases. */
  pages?: readonly SeedPage[];
  /** Per-token rate limit (default 3 requests/s, burst 10); `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * The Free-workspace block limit (e.g. `{ lifetime: 1000 }`, grace three days by default);
   * off by default, as in a paid workspace. Blocks are counted either way (`state.blockUsage()`).
   */
  blockLimit?: BlockLimitOptions | false;
  /** Rows one data source query returns before it is cut off (default 10,000, as Notion). */
  queryResultLimit?: number;
  /** Largest request body in bytes (default 500 KB, as Notion). */
  maxBodyBytes?: number;
  /** Source of "now" in ms, for created/last edited times and relative date filters. Default Date.now. */
  clock?: () => number;
  /** Notion rounds created_time / last_edited_time down to the minute (default); 'millisecond' keeps them exact. */
  timestampPrecision?: TimestampPrecision;
  /** Unexpected errors inside the fake (answered 500); default: console.error. */
  onError?: (error: unknown) => void;
  /** Told of every request as it is answered (method, route pattern, status). */
  onRequest?: RequestListener;
}

export interface NotionFake {
  /** Base URL for the SDK's `baseUrl`, e.g. http://127.0.0.1:41234 (the SDK adds /v1). */
  readonly url: string;
  /** The first accepted token. */
  readonly token: string;
  readonly botId: string;
  /** Injected faults: `fail(503, 2)`, `failFromProxy(502)`, `delay(500)`, `loseResponses(1)`, `stallResponses(1)`, `clear()`, `pending()`. */
  readonly faults: Faults;
  /** Read-only state, as the API would return it. */
  readonly state: StateReader;
  /** Changes the rate limit at runtime (`false` turns it off). */
  setRateLimit(options: RateLimitOptions | false): void;
  /** Sets or removes the block limit at runtime; blocks counted so far stay counted. */
  setBlockLimit(options: BlockLimitOptions | false): void;
  /** Adds a top-level page at runtime. */
  addPage(page: SeedPage): void;
  /** Shares a page with the integration, or stops sharing it. */
  share(pageId: string, shared: boolean): void;
  /** Requests served so far, by method, route pattern and status ('lost' for dropped responses, 'stalled' for answers stopped mid-body). */
  stats(): StatsSnapshot;
  /** How many requests matched, e.g. count({ route: '/v1/pages', status: 429 }). */
  count(filter?: StatsFilter): number;
  resetStats(): void;
  close(): Promise<void>;
}

function seedPage(store: Store, page: SeedPage): void {
  const id = normalizeId(page.id);
  if (!id) throw new Error(`seed page id ${page.id} is not a UUID`);
  store.pages.set(id, {
    ...store.stamp(id),
    parent: { type: 'workspace', workspace: true },
    seq: store.nextSeq(),
    inTrash: page.inTrash ?? false,
    isLocked: false,
    icon: null,
    cover: null,
    values: new Map([['title', richTextOf(page.title)]]),
    shared: page.shared ?? true,
  });
}

export async function startNotionFake(options: NotionFakeOptions = {}): Promise<NotionFake> {
  const tokens = options.tokens ?? ['secret_fake_notion_token'];
  if (tokens.length === 0) throw new Error('startNotionFake needs at least one accepted token');
  const bot = {
    id: normalizeId(options.bot?.id) ?? newId(),
    name: options.bot?.name ?? 'tokensync (fake)',
    workspaceName: options.bot?.workspaceName ?? 'Fake workspace',
    workspaceId: newId(),
  };
  const store = new Store(bot, options.clock ?? Date.now, options.timestampPrecision ?? 'minute');
  for (const page of options.pages ?? []) seedPage(store, page);
  store.blockLimit.configure(options.blockLimit ?? false);

  const router = new Router();
  router.add([...userRoutes, ...databaseRoutes, ...dataSourceRoutes, ...pageRoutes, ...blockRoutes, ...viewRoutes]);
  const faults = new Faults();
  const stats = new Stats(options.onRequest);
  const rateLimiter = new RateLimiter(options.rateLimit);
  const settings: Settings = { queryResultLimit: options.queryResultLimit ?? LIMITS.queryResults };

  const server = await startServer(
    {
      store,
      router,
      cursors: new Cursors(),
      faults,
      stats,
      rateLimiter,
      settings,
      tokens: new Set(tokens),
      readOnlyTokens: new Set(options.readOnlyTokens ?? []),
      versions: options.notionVersions ? new Set(options.notionVersions) : undefined,
      maxBodyBytes: options.maxBodyBytes ?? LIMITS.bodyBytes,
      onError: options.onError ?? ((error) => console.error('notion fake: unexpected error', error)),
    },
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );

  return {
    url: server.url,
    token: tokens[0]!,
    botId: bot.id,
    faults,
    state: stateReader(store),
    setRateLimit: (limit) => rateLimiter.configure(limit),
    setBlockLimit: (limit) => store.blockLimit.configure(limit),
    addPage: (page) => seedPage(store, page),
    share: (pageId, shared) => {
      const page = store.pages.get(normalizeId(pageId) ?? pageId);
      if (!page) throw new Error(`no page ${pageId}`);
      page.shared = shared;
    },
    stats: () => stats.snapshot(),
    count: (filter) => stats.count(filter),
    resetStats: () => stats.reset(),
    close: () => server.close(),
  };
}

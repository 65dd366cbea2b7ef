/**
 * npm run demo: the whole product on this machine, on embedded defaults. An
 * embedded Postgres (or a database of its own on DATABASE_URL's server) with
 * thirty days of usage, the Notion fake as a local sandbox with its read-only
 * web page, the real worker on Redis, until everything is in the sandbox.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { loadConfig, type Config, type RawEnvironment } from '../config/env.js';
import { DATASETS, notionIdVariables, type Dataset } from '../datasets.js';
import type { Logger } from '../logging/logger.js';
import { createNotionClient } from '../notion/client.js';
import { upsertEnvFile } from '../notion/provision/env-file.js';
import { provisionNotion } from '../notion/provision/provision.js';
import { REPORT_TITLE } from '../report/render.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { openSupabaseSource, type SyncProgress } from '../supabase/source.js';
import { syncProgress } from '../sync/progress.js';
import { assertRedisAnswers, dropPrefix } from '../worker/redis-tools.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { DemoError, openDemoDatabase, type DemoDatabase } from './database.js';
import { writeHistory, type HistorySummary } from './history.js';

/** The sandbox's parent page, the "LLM costs" page of the demo workspace. */
export const DEMO_PARENT_PAGE_ID = '5d3c1a7e-2b4f-4c8d-9e6a-7f1b2c3d4e5f';
export const DEMO_QUEUE_PREFIX = 'tokensync-demo';
/** The sandbox allows this much (Notion allows 3/s) so thirty days sync in seconds. */
export const DEMO_REQUESTS_PER_SECOND = 300;
/** Pages of the demo's Token Usage Logs window: more than 90 made-up days of calls. */
export const DEMO_TOKEN_LOG_PAGES = 20_000;
const DEMO_SYNC_INTERVAL_MS = 5_000;
const DEMO_REPORTING_INTERVAL_MS = 30_000;
const PROGRESS_EVERY_MS = 500;
/** The user the summary's curl acts as: the demo's heavy tester, whose blocking limit shows. */
export const DEMO_API_USER = 'user-007';
/** How long the summary's access token lives. */
const DEMO_TOKEN_HOURS = 24;

export interface DemoOptions {
  /** The user's environment: REDIS_URL, DATABASE_URL, REPORT_TIMEZONE and LOG_LEVEL are honoured; nothing else. */
  env: RawEnvironment;
  /** Port of the Notion sandbox and its web page; 0 for any free one. */
  port: number;
  days: number;
  /** Where the demo's settings are written, for `npm run verify -- --env-file`. */
  envFile: string;
  logger: Logger;
  syncTimeoutMs: number;
  onStep?: (step: string) => void;
  onProgress?: (progress: SyncProgress[]) => void;
  now?: Date;
  /** BullMQ prefix of the demo's queues, cleared at start and stop (default tokensync-demo). */
  queuePrefix?: string;
}

export interface DemoSummary extends HistorySummary {
  /** Live pages per database in the sandbox. */
  pages: Record<Dataset, number>;
}

/** The usage API the demo's worker serves, signed in with the demo's own throwaway JWT secret. */
export interface DemoApi {
  url: string;
  docsUrl: string;
  /** The user the access token is for. */
  user: string;
  /** A user access token (HS256, signed with the secret the demo made for this run; it dies with the demo). */
  token: string;
  tokenHours: number;
}

export interface RunningDemo {
  sandboxUrl: string;
  api: DemoApi;
  reportUrl: string | undefined;
  databaseUrl: string;
  database: string;
  redisUrl: string;
  healthUrl: string;
  summary: DemoSummary;
  fake: NotionFake;
  /** Stops the worker, the sandbox and the database, and removes the demo's queues. Idempotent. */
  stop(): Promise<void>;
}

/** Only what the demo takes from the user's environment; the rest is the demo's own. */
function userSettings(env: RawEnvironment): RawEnvironment {
  const keep = ['REDIS_URL', 'DATABASE_URL', 'SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY', 'REPORT_TIMEZONE', 'LOG_LEVEL'];
  return Object.fromEntries(keep.map((name) => [name, env[name]]));
}

/** The user's settings the demo honours, validated (a bad REDIS_URL is named before anything starts). */
export function demoSettings(env: RawEnvironment): Config {
  return loadConfig(userSettings(env));
}

/** The sandbox on the port asked for, or on any free one when that is taken. */
async function startSandbox(port: number, onStep: (step: string) => void): Promise<NotionFake> {
  const options = {
    pages: [{ id: DEMO_PARENT_PAGE_ID, title: 'LLM costs' }],
    bot: { name: 'tokensync (demo)', workspaceName: 'Acme AI (demo)' },
    rateLimit: { requestsPerSecond: DEMO_REQUESTS_PER_SECOND, burst: 50 },
  };
  try {
    return await startNotionFake({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    onStep(`port ${port} is taken; the sandbox takes a free one`);
    return startNotionFake({ ...options, port: 0 });
  }
}

/** The worker's configuration: the user's Redis and time zone, the demo's database and sandbox. */
function demoConfig(
  options: DemoOptions,
  databaseUrl: string,
  fake: NotionFake,
  dataSources: Partial<Record<Dataset, { databaseId: string; dataSourceId: string }>>,
  jwtSecret: string,
): Config {
  const ids = Object.fromEntries(
    DATASETS.flatMap((dataset) => {
      const names = notionIdVariables(dataset);
      const found = dataSources[dataset];
      return found ? [[names.databaseId, found.databaseId], [names.dataSourceId, found.dataSourceId]] : [];
    }),
  );
  return loadConfig({
    ...userSettings(options.env),
    SUPABASE_URL: undefined,
    SUPABASE_SERVICE_ROLE_KEY: undefined,
    DATABASE_URL: databaseUrl,
    NOTION_TOKEN: fake.token,
    NOTION_BASE_URL: fake.url,
    NOTION_PARENT_PAGE_ID: DEMO_PARENT_PAGE_ID,
    NOTION_ENV_FILE: options.envFile,
    NOTION_REQUESTS_PER_SECOND: String(DEMO_REQUESTS_PER_SECOND),
    // The demo's charts still sum raw-log pages: its window holds every made-up call (90 days at most).
    TOKEN_LOG_PAGE_BUDGET: String(DEMO_TOKEN_LOG_PAGES),
    TOKEN_LOG_REQUEST_SHARE: '1',
    QUEUE_PREFIX: options.queuePrefix ?? DEMO_QUEUE_PREFIX,
    SYNC_INTERVAL_MS: String(DEMO_SYNC_INTERVAL_MS),
    ROLLUP_INTERVAL_MS: String(DEMO_REPORTING_INTERVAL_MS),
    BUDGET_INTERVAL_MS: String(DEMO_REPORTING_INTERVAL_MS),
    REPORT_INTERVAL_MS: String(DEMO_REPORTING_INTERVAL_MS),
    WORKER_HTTP_PORT: '0',
    // The worker serves the usage API too, on a free port, verifying tokens with the demo's own secret.
    WORKER_API: 'true',
    API_PORT: '0',
    SUPABASE_JWT_SECRET: jwtSecret,
    ...ids,
  });
}

function reportPageOf(fake: NotionFake): string | undefined {
  const block = fake.state.blocks(DEMO_PARENT_PAGE_ID).find((b) => b.type === 'child_page' && (b.child_page as { title?: string }).title === REPORT_TITLE);
  return block ? String(block.id) : undefined;
}

/** Resolves when every dataset's rows are in the sandbox as they are now, and the report page exists. */
async function waitUntilSynced(options: DemoOptions, config: Config, fake: NotionFake): Promise<void> {
  const source = openSupabaseSource(config, { allowExitOnIdle: true });
  const deadline = Date.now() + options.syncTimeoutMs;
  try {
    for (;;) {
      const progress = await syncProgress(source, { tokenLogWindowDays: config.sync.tokenLogWindowDays });
      options.onProgress?.(progress);
      if (progress.every((p) => p.synced === p.rows) && reportPageOf(fake)) return;
      if (Date.now() > deadline) {
        const behind = progress.filter((p) => p.synced < p.rows).map((p) => `${p.dataset} ${p.synced}/${p.rows}`);
        throw new DemoError(
          `not synced after ${options.syncTimeoutMs / 1000} s (${behind.join(', ') || 'the report page is missing'}); ` +
            'the worker logs above say why (LOG_LEVEL=info shows more)',
        );
      }
      await new Promise((r) => setTimeout(r, PROGRESS_EVERY_MS));
    }
  } finally {
    await source.close();
  }
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const step = options.onStep ?? (() => undefined);
  const now = options.now ?? new Date();
  const settings = demoSettings(options.env);
  await assertRedisAnswers(settings.redisUrl);

  const cleanups: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => options.logger.warn({ err: error }, 'demo: stopping'));
    })());

  try {
    step('starting the database');
    const database: DemoDatabase = await openDemoDatabase(settings);
    cleanups.push(() => database.close());
    const historyConfig = loadConfig({ ...userSettings(options.env), SUPABASE_URL: undefined, SUPABASE_SERVICE_ROLE_KEY: undefined, DATABASE_URL: database.url });
    const source = openSupabaseSource(historyConfig, { allowExitOnIdle: true });
    const history = await writeHistory({ databaseUrl: database.url, source, config: historyConfig, logger: options.logger, days: options.days, now, onStep: step }).finally(() => source.close());

    step('starting the Notion sandbox and creating the six databases');
    const fake = await startSandbox(options.port, step);
    cleanups.push(() => fake.close());
    const provisioned = await provisionNotion({
      client: createNotionClient({ token: fake.token, baseUrl: fake.url }),
      parentPageId: DEMO_PARENT_PAGE_ID,
      recorded: Object.fromEntries(DATASETS.map((d) => [d, { databaseId: undefined, dataSourceId: undefined }])) as never,
      // The ids go to the demo's file, beside its other settings, never to .env.local.
      envFile: options.envFile,
      timezone: settings.reportTimezone,
      now,
    });
    // No Supabase project, so no project JWT secret: a throwaway one, for this run only, never written anywhere.
    const jwtSecret = randomBytes(32).toString('base64url');
    const config = demoConfig(options, database.url, fake, provisioned.databases, jwtSecret);
    // Commands run with this file (verify, job, sync) share the demo worker's queues and its Notion limit, at the sandbox's pace.
    await upsertEnvFile(options.envFile, {
      DATABASE_URL: database.url,
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.worker.queuePrefix,
      NOTION_TOKEN: fake.token,
      NOTION_BASE_URL: fake.url,
      NOTION_PARENT_PAGE_ID: DEMO_PARENT_PAGE_ID,
      NOTION_REQUESTS_PER_SECOND: String(config.sync.notionRequestsPerSecond),
    });

    step('starting the worker (it serves the usage API too) and syncing');
    await dropPrefix(config.redisUrl, config.worker.queuePrefix);
    const worker: RunningWorker = await startWorker(config, options.logger);
    cleanups.push(async () => {
      await worker.stop();
      await dropPrefix(config.redisUrl, config.worker.queuePrefix);
    });
    await waitUntilSynced(options, config, fake);

    const pages = Object.fromEntries(DATASETS.map((d) => [d, fake.state.pageCount(provisioned.databases[d]!.dataSourceId)])) as Record<Dataset, number>;
    const reportPage = reportPageOf(fake);
    const apiUrl = `http://${config.api.host}:${worker.apiPort!}`;
    return {
      sandboxUrl: fake.url,
      api: {
        url: apiUrl,
        docsUrl: `${apiUrl}/docs`,
        user: DEMO_API_USER,
        token: await demoToken(jwtSecret, DEMO_API_USER),
        tokenHours: DEMO_TOKEN_HOURS,
      },
      reportUrl: reportPage ? `${fake.url}/pages/${reportPage}` : undefined,
      databaseUrl: database.url,
      database: database.description,
      redisUrl: config.redisUrl,
      healthUrl: `http://${config.worker.httpHost}:${worker.httpPort}/readyz`,
      summary: { ...history, pages },
      fake,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An access token as Supabase Auth would sign one for `user`, with the demo's throwaway secret. */
function demoToken(secret: string, user: string): Promise<string> {
  return new SignJWT({ role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime(`${DEMO_TOKEN_HOURS}h`)
    .sign(new TextEncoder().encode(secret));
}

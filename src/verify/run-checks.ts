/**
 * Runs the selected check groups with what the configuration provides; a group
 * whose settings are missing fails with the variables to set. Connections are
 * opened here and always closed.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type Config, type LayeredEnvironment, type RawEnvironment } from '../config/env.js';
import { ConfigError } from '../errors.js';
import { limitedNotionClient, openLimiter } from '../cli/limiter.js';
import { openSupabaseSource, openTransport, type SourceOverrides } from '../supabase/source.js';
import { readCreationStatus } from '../sync/creation.js';
import { checkBlockCreation, checkFootprint } from './blocks.js';
import { checkReportPage } from './report.js';
import { fail, pass, type CheckGroup, type CheckResult } from './check.js';
import { checkNotion } from './notion.js';
import { checkRedis } from './redis.js';
import { connectOnce } from '../worker/redis-tools.js';
import { checkEstimatedCosts } from './estimates.js';
import { checkSupabase, expectedSchema } from './supabase.js';
import { checkSync } from './sync.js';
import { checkRecordedIds } from './ids.js';
import { checkCatalogueAge } from './catalogue.js';

export interface RunChecksOptions {
  groups: readonly CheckGroup[];
  env?: RawEnvironment;
  /** Where each value of `env` came from, to say which file holds the Notion ids. */
  layers?: LayeredEnvironment;
  /** For tests: how the rpc transport reaches PostgREST. */
  sourceOverrides?: SourceOverrides;
  /** Seconds to wait for Redis before failing. */
  redisTimeoutMs?: number;
}

const REDIS_TIMEOUT_MS = 3_000;

function configChecks(env: RawEnvironment | undefined, layers: LayeredEnvironment | undefined): { config?: Config; results: CheckResult[] } {
  try {
    const config = env ? loadConfig(env) : loadConfig();
    return {
      config,
      results: [pass('config', 'environment', 'every variable is valid'), checkRecordedIds(config, layers), checkCatalogueAge(config.pricing.catalogueMaxAgeDays)],
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { results: error.issues.map((i) => fail('config', i.variable, i.problem, 'fix the variable; see .env.example')) };
  }
}

async function supabaseGroup(config: Config, overrides: SourceOverrides | undefined): Promise<CheckResult[]> {
  if (!config.sourceTransport) {
    return [fail('supabase', 'configuration', 'no database configured', 'set DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY')];
  }
  const source = openSupabaseSource(config, overrides);
  try {
    const results = await checkSupabase(source, await expectedSchema());
    // Only a schema that is all there has the function to ask.
    if (results.every((r) => r.ok)) results.push(await checkEstimatedCosts(source));
    return results;
  } finally {
    await source.close();
  }
}

async function syncGroup(config: Config, overrides: SourceOverrides | undefined): Promise<CheckResult[]> {
  if (!config.sourceTransport) {
    return [fail('sync', 'configuration', 'no database configured', 'set DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY')];
  }
  const source = openSupabaseSource(config, overrides);
  try {
    return await checkSync(source, config);
  } finally {
    await source.close();
  }
}

async function redisGroup(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  const where = new URL(config.redisUrl).host;
  let redis: Redis;
  try {
    redis = await connectOnce(config.redisUrl, timeoutMs);
  } catch (error) {
    return checkRedis({ info: () => Promise.reject(error) }, where);
  }
  try {
    return await checkRedis({ info: (section) => redis.info(section) }, where);
  } finally {
    redis.disconnect();
  }
}

async function notionGroup(config: Config, overrides: SourceOverrides | undefined): Promise<CheckResult[]> {
  const { token, parentPageId } = config.notion;
  if (!token || !parentPageId) {
    const unset = [!token && 'NOTION_TOKEN', !parentPageId && 'NOTION_PARENT_PAGE_ID'].filter(Boolean).join(' and ');
    return [fail('notion', 'configuration', `${unset} not set`, `set ${unset}; see .env.example`)];
  }
  // The workers' limit, shared through Redis: verify beside a busy worker draws no 429s.
  const limit = await openLimiter(config);
  const results: CheckResult[] = [];
  try {
    results.push(
      ...(await checkNotion({
        client: limitedNotionClient(config, limit, { maxRetries: 2 }),
        parentPageId,
        recorded: config.notion.recorded,
        timezone: config.reportTimezone,
      })),
    );
    const report = await checkReportPage(limit.redis, config.worker.queuePrefix);
    if (report) results.push(report);
  } finally {
    limit.close();
  }
  results.push(checkFootprint(config));
  // Whether Notion refused new blocks is known to the database; without one there is nothing to read.
  if (config.sourceTransport) {
    const transport = openTransport(config, overrides);
    try {
      results.push(await checkBlockCreation(() => readCreationStatus(transport)));
    } finally {
      await transport.close();
    }
  }
  return results;
}

export async function runChecks(options: RunChecksOptions): Promise<CheckResult[]> {
  const { config, results } = configChecks(options.env, options.layers);
  if (!config) return results;
  if (options.groups.includes('supabase')) results.push(...(await supabaseGroup(config, options.sourceOverrides)));
  if (options.groups.includes('redis')) results.push(...(await redisGroup(config, options.redisTimeoutMs ?? REDIS_TIMEOUT_MS)));
  if (options.groups.includes('notion')) results.push(...(await notionGroup(config, options.sourceOverrides)));
  if (options.groups.includes('sync')) results.push(...(await syncGroup(config, options.sourceOverrides)));
  return results;
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readEnvironment, readEnvironmentLayers, requireDatabaseUrl, requireNotion } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const KEY = 'service-role-key-0123456789abcdef';

describe('loadConfig', () => {
  it('has sane defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      logLevel: 'info',
      logFormat: 'auto',
      databaseUrl: undefined,
      supabase: undefined,
      sourceTransport: undefined,
      redisUrl: 'redis://127.0.0.1:6379',
      reportTimezone: 'UTC',
      budgetCheck: { failMode: 'open', cacheTtlMs: 5000, timeoutMs: 2000, defaultEstimateUsd: 0.1, defaultEstimateTokens: 8000, holdTtlMs: 120_000 },
      pricing: { fallbackModels: {}, catalogueMaxAgeDays: 60 },
      notion: {
        token: undefined,
        parentPageId: undefined,
        baseUrl: 'https://api.notion.com',
        envFile: '.env.local',
        workspacePlan: 'paid',
        blockLimitRetryMs: 3_600_000,
        timeoutMs: 60_000,
        recorded: expect.objectContaining({ cost_alerts: { databaseId: undefined, dataSourceId: undefined } }),
      },
      sync: {
        notionRequestsPerSecond: 3, tokenLogWindowDays: 30, tokenLogPageBudget: 500, tokenLogRequestShare: 0.05,
        settleMs: 1000, intervalMs: 60_000, leaseTtlMs: 30_000,
        laneMaxLagMs: { alerts: 60_000, rollups: 300_000, logs: 900_000 },
      },
      worker: { queuePrefix: 'tokensync', api: false, httpHost: '127.0.0.1', httpPort: 9464, shutdownTimeoutMs: 30_000, redisStartupTimeoutMs: 10_000, jobLockMs: 30_000 },
      reporting: { rollupIntervalMs: 300_000, budgetIntervalMs: 300_000, reportIntervalMs: 900_000, notionEditsIntervalMs: 60_000, alertWebhookUrl: undefined, logRetentionDays: 90 },
      // No DATABASE_URL: nothing to LISTEN on, the intervals alone wake the worker.
      wake: { listen: false, budgetsWindowMs: 250, logsWindowMs: 1000, rollupsWindowMs: 15_000, spendWindowMs: 60_000 },
      api: { host: '127.0.0.1', port: 8787, rateLimitPerSecond: 10, rateLimitBurst: 20, shutdownTimeoutMs: 10_000, trustProxy: false, jwtSecret: undefined, jwksUrl: undefined },
      secrets: [],
    });
  });

  it('listens for changes when DATABASE_URL is set, unless CHANGE_NOTIFICATIONS=off', () => {
    const databaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
    expect(loadConfig({ DATABASE_URL: databaseUrl }).wake.listen).toBe(true);
    expect(loadConfig({ DATABASE_URL: databaseUrl, CHANGE_NOTIFICATIONS: 'off' }).wake.listen).toBe(false);
    expect(() => loadConfig({ BUDGET_WAKE_WINDOW_MS: '5' })).toThrow(/BUDGET_WAKE_WINDOW_MS: must be at least 10/);
  });

  it.each([
    ['a bare id', '0123456789abcdef0123456789ABCDEF'],
    ['a dashed id', '01234567-89ab-cdef-0123-456789abcdef'],
    ['a page URL', 'https://www.notion.so/acme/LLM-Costs-0123456789abcdef0123456789abcdef?pvs=4'],
    ['a URL with a view id in the query', 'https://www.notion.so/0123456789abcdef0123456789abcdef?v=fedcba9876543210fedcba9876543210'],
  ])('reads NOTION_PARENT_PAGE_ID from %s', (_name, value) => {
    expect(loadConfig({ NOTION_PARENT_PAGE_ID: value }).notion.parentPageId).toBe('01234567-89ab-cdef-0123-456789abcdef');
  });

  it('reads the ids setup:notion recorded, and scrubs the Notion token', () => {
    const config = loadConfig({
      NOTION_TOKEN: 'ntn_0123456789abcdefghij',
      NOTION_COST_ALERTS_DATABASE_ID: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      NOTION_COST_ALERTS_DATA_SOURCE_ID: 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb',
    });
    expect(config.notion.recorded.cost_alerts).toEqual({
      databaseId: 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
      dataSourceId: 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb',
    });
    expect(config.secrets).toContain('ntn_0123456789abcdefghij');
  });

  it('requireNotion names each missing Notion variable', () => {
    expect(() => requireNotion(loadConfig({}), 'setup:notion')).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ variable: 'NOTION_TOKEN' }), expect.objectContaining({ variable: 'NOTION_PARENT_PAGE_ID' })] }),
    );
  });

  it('chooses the transport: postgres for DATABASE_URL alone, rpc for the Supabase pair, the override above both', () => {
    const db = 'postgres://app:pw@localhost:5432/app';
    expect(loadConfig({ DATABASE_URL: db }).sourceTransport).toBe('postgres');
    expect(loadConfig({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: KEY }).sourceTransport).toBe('rpc');
    expect(loadConfig({ DATABASE_URL: db, SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: KEY }).sourceTransport).toBe('rpc');
    expect(
      loadConfig({ DATABASE_URL: db, SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: KEY, SUPABASE_TRANSPORT: 'postgres' })
        .sourceTransport,
    ).toBe('postgres');
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root:pw@db/app' }, /must be a postgres:\/\/ or postgresql:\/\/ URL/],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }, /must be a postgres:\/\//],
    ['SUPABASE_URL', { SUPABASE_URL: 'x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: KEY }, /must be the project URL/],
    ['SUPABASE_SERVICE_ROLE_KEY', { SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'short' }, /looks truncated/],
    ['SUPABASE_SERVICE_ROLE_KEY', { SUPABASE_URL: 'https://x.supabase.co' }, /is required when SUPABASE_URL is set/],
    ['SUPABASE_URL', { SUPABASE_SERVICE_ROLE_KEY: KEY }, /is required when SUPABASE_SERVICE_ROLE_KEY is set/],
    ['SUPABASE_TRANSPORT', { SUPABASE_TRANSPORT: 'rpc' }, /needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY/],
    ['SUPABASE_TRANSPORT', { SUPABASE_TRANSPORT: 'postgres' }, /needs DATABASE_URL/],
    ['SUPABASE_TRANSPORT', { SUPABASE_TRANSPORT: 'graphql' }, /rpc|postgres/],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }, /must be a redis:\/\/ or rediss:\/\/ URL/],
    ['REPORT_TIMEZONE', { REPORT_TIMEZONE: 'Mars/Olympus_Mons' }, /must be an IANA time zone/],
    ['NOTION_PARENT_PAGE_ID', { NOTION_PARENT_PAGE_ID: 'https://www.notion.so/My-Page' }, /must be a page id \(32 hex characters\) or the page URL/],
    ['NOTION_BASE_URL', { NOTION_BASE_URL: 'api.notion.com' }, /must be an http\(s\) URL/],
    ['NOTION_WORKFLOW_ANALYTICS_DATA_SOURCE_ID', { NOTION_WORKFLOW_ANALYTICS_DATA_SOURCE_ID: 'abc' }, /as written by npm run setup:notion/],
    ['BUDGET_CHECK_FAIL_MODE', { BUDGET_CHECK_FAIL_MODE: 'maybe' }, /open|closed/],
    ['BUDGET_CHECK_CACHE_TTL_MS', { BUDGET_CHECK_CACHE_TTL_MS: '-1' }, /must be a whole number of milliseconds/],
    ['BUDGET_CHECK_TIMEOUT_MS', { BUDGET_CHECK_TIMEOUT_MS: '0' }, /must be more than 0/],
    ['BUDGET_CHECK_TIMEOUT_MS', { BUDGET_CHECK_TIMEOUT_MS: '1.5' }, /whole number of milliseconds/],
    ['LANE_MAX_LAG_ALERTS_MS', { LANE_MAX_LAG_ALERTS_MS: '1m' }, /whole number of milliseconds, e\.g\. 60000/],
    ['LANE_MAX_LAG_LOGS_MS', { LANE_MAX_LAG_LOGS_MS: '500' }, /must be at least 1000/],
    ['TOKEN_LOG_PAGE_BUDGET', { TOKEN_LOG_PAGE_BUDGET: '0' }, /between 1 and 50000 pages/],
    ['TOKEN_LOG_PAGE_BUDGET', { TOKEN_LOG_PAGE_BUDGET: 'lots' }, /whole number of pages/],
    ['TOKEN_LOG_REQUEST_SHARE', { TOKEN_LOG_REQUEST_SHARE: '1.5' }, /fraction between 0 and 1/],
    ['TOKEN_LOG_REQUEST_SHARE', { TOKEN_LOG_REQUEST_SHARE: '0' }, /more than 0/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /info/],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }, /json/],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '30' }, /0 \(keep for ever\) or at least 62/],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '-1' }, /whole number of days/],
  ])('names %s and what a valid value looks like', (variable, env, problem) => {
    const error = configError(env);
    expect(error.issues).toEqual([{ variable, problem: expect.stringMatching(problem) }]);
    expect(error.message).toContain(`${variable}: `);
  });

  it('reports every bad variable at once', () => {
    const error = configError({ LOG_LEVEL: 'loud', REDIS_URL: 'nope', REPORT_TIMEZONE: 'Nowhere' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['LOG_LEVEL', 'REDIS_URL', 'REPORT_TIMEZONE']);
  });

  it('never echoes a secret value in its message', () => {
    const error = configError({ DATABASE_URL: 'mysql://root:s3cr3t-pass@db/app', SUPABASE_SERVICE_ROLE_KEY: 'tiny-secret' });
    expect(error.message).not.toContain('s3cr3t-pass');
    expect(error.message).not.toContain('tiny-secret');
  });

  it('treats empty values as unset (a copied .env.example works as it is)', () => {
    expect(loadConfig({ DATABASE_URL: '', SUPABASE_URL: '  ', REDIS_URL: '' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('collects secret values for the logger: passwords (raw and decoded) and keys', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:p%40ss-word@db:5432/app',
      REDIS_URL: 'redis://:redis-pass@cache:6379',
      SUPABASE_URL: 'https://x.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: KEY,
    });
    expect([...config.secrets].sort()).toEqual([KEY, 'p%40ss-word', 'p@ss-word', 'redis-pass'].sort());
  });

  it('reads the budget check policy', () => {
    expect(
      loadConfig({
        BUDGET_CHECK_FAIL_MODE: 'closed',
        BUDGET_CHECK_CACHE_TTL_MS: '0',
        BUDGET_CHECK_TIMEOUT_MS: '250',
        BUDGET_DEFAULT_ESTIMATE_USD: '0.025',
        BUDGET_DEFAULT_ESTIMATE_TOKENS: '1500',
        BUDGET_HOLD_TTL_MS: '30000',
      }).budgetCheck,
    ).toEqual({ failMode: 'closed', cacheTtlMs: 0, timeoutMs: 250, defaultEstimateUsd: 0.025, defaultEstimateTokens: 1500, holdTtlMs: 30_000 });
  });

  it.each([
    ['BUDGET_DEFAULT_ESTIMATE_USD', '-1', /BUDGET_DEFAULT_ESTIMATE_USD.*must be an amount in USD, e\.g\. 0\.10/],
    ['BUDGET_DEFAULT_ESTIMATE_TOKENS', '1.5', /BUDGET_DEFAULT_ESTIMATE_TOKENS.*must be a whole number of tokens/],
    ['BUDGET_HOLD_TTL_MS', '10', /BUDGET_HOLD_TTL_MS.*must be between 1000 and 86400000/],
  ])('stops on a bad %s, naming it', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(message);
  });

  it('treats the alert webhook URL as a secret and names it when malformed', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';
    expect(loadConfig({ ALERT_WEBHOOK_URL: url }).secrets).toContain(url);
    expect(configError({ ALERT_WEBHOOK_URL: 'hooks.slack.com/x' }).issues).toEqual([
      { variable: 'ALERT_WEBHOOK_URL', problem: expect.stringMatching(/must be an http\(s\) URL/) },
    ]);
  });

  it('requireDatabaseUrl says who needs it', () => {
    expect(() => requireDatabaseUrl(loadConfig({}), 'db:migrate')).toThrow(/DATABASE_URL: is required for db:migrate/);
  });
});

describe('readEnvironment', () => {
  it('takes the process environment over .env.local over .env', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensync-env-'));
    try {
      await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nREPORT_TIMEZONE=Europe/Paris\nREDIS_URL=redis://from-env-file:6379\n');
      await writeFile(join(dir, '.env.local'), 'REPORT_TIMEZONE=Asia/Tokyo\nREDIS_URL=redis://from-local:6379\n');
      const env = readEnvironment(dir, { REDIS_URL: 'redis://from-process:6379', LOG_FORMAT: '' });
      expect(loadConfig(env)).toMatchObject({ logLevel: 'debug', reportTimezone: 'Asia/Tokyo', redisUrl: 'redis://from-process:6379' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a file named on the command line over everything else, and names a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensync-env-'));
    try {
      await writeFile(join(dir, '.env.local'), 'REPORT_TIMEZONE=Asia/Tokyo\nLOG_LEVEL=debug\n');
      await writeFile(join(dir, '.env.demo'), 'REPORT_TIMEZONE=Europe/Oslo\nREDIS_URL=redis://from-demo:6379\n');
      const env = readEnvironment(dir, { REDIS_URL: 'redis://from-process:6379' }, '.env.demo');
      expect(loadConfig(env)).toMatchObject({ logLevel: 'debug', reportTimezone: 'Europe/Oslo', redisUrl: 'redis://from-demo:6379' });
      expect(() => readEnvironment(dir, {}, '.env.nowhere')).toThrow(/--env-file: \.env\.nowhere does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the ids file (NOTION_ENV_FILE)', () => {
  const ID = (n: number) => `${String(n).repeat(8)}-0000-4000-8000-000000000000`;
  const VARIABLE = 'NOTION_COST_ALERTS_DATA_SOURCE_ID';

  it('is read by every command, over .env.local and .env, under the process environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensync-env-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'tokensync-ids-'));
    try {
      const idsFile = join(elsewhere, 'notion.env');
      await writeFile(join(dir, '.env'), `NOTION_ENV_FILE=${idsFile}\n${VARIABLE}=${ID(1)}\n`);
      await writeFile(join(dir, '.env.local'), `${VARIABLE}=${ID(2)}\nREPORT_TIMEZONE=Asia/Tokyo\n`);
      await writeFile(idsFile, `${VARIABLE}=${ID(3)}\nREPORT_TIMEZONE=\n`);
      const layers = readEnvironmentLayers(dir, {});
      expect(loadConfig(layers.values).notion.recorded.cost_alerts.dataSourceId).toBe(ID(3));
      expect(layers.origins[VARIABLE]).toBe(idsFile);
      expect(layers.notionEnvFile).toMatchObject({ path: idsFile, exists: true });
      // An empty value in a file leaves the one below it in place.
      expect(layers.values.REPORT_TIMEZONE).toBe('Asia/Tokyo');
      expect(loadConfig(readEnvironment(dir, { [VARIABLE]: ID(4) })).notion.recorded.cost_alerts.dataSourceId).toBe(ID(4));
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('is .env.local by default, and a relative NOTION_ENV_FILE is found from the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensync-env-'));
    try {
      expect(readEnvironmentLayers(dir, {}).notionEnvFile).toMatchObject({ path: join(dir, '.env.local'), exists: false });
      await writeFile(join(dir, 'ids.env'), `${VARIABLE}=${ID(5)}\n`);
      const layers = readEnvironmentLayers(dir, { NOTION_ENV_FILE: 'ids.env' });
      expect(layers.values[VARIABLE]).toBe(ID(5));
      expect(layers.origins[VARIABLE]).toBe(join(dir, 'ids.env'));
      expect(() => readEnvironmentLayers(dir, { NOTION_ENV_FILE: tmpdir() })).toThrow(/NOTION_ENV_FILE: .* cannot be read \(EISDIR\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the Notion workspace plan', () => {
  it('is free or paid, and names the variable when it is neither', () => {
    expect(loadConfig({ NOTION_WORKSPACE_PLAN: 'free' }).notion.workspacePlan).toBe('free');
    expect(() => loadConfig({ NOTION_WORKSPACE_PLAN: 'team' })).toThrow(/NOTION_WORKSPACE_PLAN/);
    expect(() => loadConfig({ NOTION_BLOCK_LIMIT_RETRY_MS: '10' })).toThrow(/NOTION_BLOCK_LIMIT_RETRY_MS: must be at least 60000/);
  });
});

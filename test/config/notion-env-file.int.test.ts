/**
 * setup:notion records the ids in NOTION_ENV_FILE; every later command, in a
 * process of its own, reads them from there (not only from .env.local).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, notionIdVariables } from '../../src/datasets.js';
import { parse as parseDotenv } from 'dotenv';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertOneOfEach, pagesByKey, PARENT } from '../sync/harness.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../worker/redis.js';
import { runScript } from '../support/cli.js';

let fake: NotionFake;
let db: TestDatabase;
let dir: string;
let idsFile: string;
const prefix = uniquePrefix();

beforeAll(async () => {
  fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }] });
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'tokensync-ids-'));
  idsFile = join(dir, 'notion.env');
});
afterAll(async () => {
  await fake.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
  await dropPrefix(prefix);
});

const cli = (script: string, args: string[], overrides: Record<string, string> = {}) =>
  runScript(script, args, {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url,
      NOTION_TOKEN: fake.token,
      NOTION_PARENT_PAGE_ID: PARENT,
      NOTION_BASE_URL: fake.url,
      NOTION_ENV_FILE: idsFile,
      NOTION_REQUESTS_PER_SECOND: '50',
      SYNC_SETTLE_MS: '0',
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_FORMAT: 'json',
      ...overrides,
    },
    timeout: 60_000,
  });

describe('NOTION_ENV_FILE outside the working directory', () => {
  it('holds the ids setup:notion records, and the next commands use them', async () => {
    const setup = await cli('setup-notion', []);
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
    const recorded = parseDotenv(await readFile(idsFile));
    for (const dataset of DATASETS) expect(recorded[notionIdVariables(dataset).dataSourceId]).toMatch(/^[0-9a-f-]{36}$/);

    // A second process, with nothing but NOTION_ENV_FILE to find the ids by.
    const rows = await insertOneOfEach(db);
    const sync = await cli('sync', ['--once', '--dataset', 'cost_alerts', '--dataset', 'budget_limits']);
    expect(sync.stderr).not.toMatch(/no Notion data source id/);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^cost_alerts\s+1\s+1\s+0\s+0\s+0\s+0$/m);
    const alertsSource = recorded[notionIdVariables('cost_alerts').dataSourceId]!;
    expect([...pagesByKey(fake, alertsSource).keys()]).toEqual([rows.cost_alerts[0]!.id]);

    // verify says which file the ids are read from.
    const verify = await cli('verify', ['--only', 'notion']);
    expect(verify.stdout).toContain(`notion ids: ${DATASETS.length} of ${DATASETS.length} data source ids, read from ${idsFile} (NOTION_ENV_FILE)`);
    expect(verify.code).toBe(0);
  }, 90_000);

  it('loses to ids in the process environment, and verify says so', async () => {
    const stale = '11111111-2222-4333-8444-555555555555';
    const variable = notionIdVariables('cost_alerts').dataSourceId;
    const verify = await cli('verify', ['--only', 'notion', '--json'], { [variable]: stale });
    const ids = (JSON.parse(verify.stdout) as { checks: { name: string; warning?: boolean; detail: string }[] }).checks.find((c) => c.name === 'notion ids');
    expect(ids).toMatchObject({ warning: true, detail: expect.stringContaining(`differ from what setup:notion recorded in ${idsFile}`) });
  });
});

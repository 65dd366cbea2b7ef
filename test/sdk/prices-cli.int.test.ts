/** npm run prices: the catalogue's date, a newer catalogue's differences, and model_pricing rows from a file. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueInfo } from '../../src/sdk/pricing/catalogue-info.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runScript } from '../support/cli.js';
import { openTracker } from '../support/sdk.js';
import { usageCall } from '../support/fixtures.js';

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'tokensync-prices-'));
});
afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

const prices = (args: string[]) => runScript('prices', args, { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url } });

describe('npm run prices', () => {
  it('--help shows the bundled catalogue’s version and date', async () => {
    const result = await prices(['--help']);
    const info = catalogueInfo();
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`@pydantic/genai-prices ${info.version}, published ${info.publishedOn}`);
  });

  it('--apply checks the whole file, writes the rows once, and says so', async () => {
    const file = join(dir, 'deepseek.json');
    await writeFile(file, JSON.stringify([
      { provider: 'DeepSeek', model: 'deepseek-chat', input_per_mtok: '0.28', output_per_mtok: '0.42', cache_read_per_mtok: 0.028, notes: 'api-docs.deepseek.com' },
    ]));
    expect(await prices(['--apply', file])).toMatchObject({ code: 2, stderr: expect.stringContaining('--effective-from') });

    const dry = await prices(['--apply', file, '--effective-from', '2025-09-29', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('deepseek/deepseek-chat from 2025-09-29T00:00:00.000Z') });
    expect((await db.pool.query('select count(*)::int as n from model_pricing')).rows[0]).toEqual({ n: 0 });

    expect(await prices(['--apply', file, '--effective-from', '2025-09-29'])).toMatchObject({ code: 0, stdout: expect.stringContaining('1 rows added') });
    expect(await prices(['--apply', file, '--effective-from', '2025-09-29'])).toMatchObject({ code: 0, stdout: expect.stringContaining('0 rows added to model_pricing, 1 already there') });
    const rows = await db.pool.query(`select provider, model, input_per_mtok::text, cache_read_per_mtok::text, notes from model_pricing`);
    expect(rows.rows).toEqual([{ provider: 'deepseek', model: 'deepseek-chat', input_per_mtok: '0.280000000', cache_read_per_mtok: '0.028000000', notes: 'api-docs.deepseek.com' }]);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify([{ provider: 'openai', model: 'gpt-4o', input_per_mtok: '-1', output_per_mtok: '1', api_key: 'sk-nope' }]));
    expect(await prices(['--apply', bad, '--effective-from', '2026-01-01'])).toMatchObject({ code: 2, stderr: expect.stringContaining('bad.json') });
  });

  it('--diff lists what a newer catalogue changes for the models in the logs', async () => {
    const tracker = openTracker(db, 'postgres');
    tracker.record(usageCall('seen', { createdAt: new Date().toISOString() }));
    tracker.record(usageCall('seen-deepseek', { provider: 'deepseek', model: 'deepseek-chat', createdAt: new Date().toISOString() }));
    expect(await tracker.close()).toMatchObject({ written: 2 });
    // A stand-in for a newer package: gpt-4o at $3 input, everything else unpriced.
    const newer = join(dir, 'newer');
    await mkdir(join(newer, 'dist'), { recursive: true });
    await writeFile(join(newer, 'package.json'), JSON.stringify({ name: '@pydantic/genai-prices', version: '9.9.9', module: 'dist/index.js' }));
    await writeFile(join(newer, 'dist', 'index.js'), `export function calcPrice(_usage, model) {
      if (model === 'deepseek-chat') {
        // Still the pre-2025-09-05 prices, doubled: under the published correction, billing does not move.
        return { provider: { id: 'deepseek' }, model: { id: 'deepseek-chat' }, model_price: { input_mtok: 0.54, cache_read_mtok: 0.14, output_mtok: 2.2 } };
      }
      if (model !== 'gpt-4o') return null;
      return { provider: { id: 'openai' }, model: { id: 'gpt-4o' }, model_price: { input_mtok: 3, cache_read_mtok: 1.25, output_mtok: 10 } };
    }\n`);
    const result = await prices(['--diff', '--against', newer]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('openai/gpt-4o (1 calls): input 2.5 → 3');
    expect(result.stdout).toContain('1 of 2 models would change');
    expect(result.stdout).not.toContain('deepseek/deepseek-chat (1 calls)');
    expect(result.stdout).toMatch(/overrides[^\n]*\n  deepseek\/deepseek-chat: input 0\.27 → 0\.54/);
    expect(await prices(['--diff'])).toMatchObject({ code: 2 });
    expect(await prices(['--diff', '--against', dir])).toMatchObject({ code: 1 });
  });
});

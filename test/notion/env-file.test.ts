import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { upsertEnvFile } from '../../src/notion/provision/env-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokensync-envfile-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('replaces keys in place, appends new ones, keeps every other line, and writes 0600', async () => {
  const file = join(dir, '.env.local');
  await writeFile(file, '# mine\nNOTION_TOKEN=ntn_keep_me\nNOTION_COST_ALERTS_DATABASE_ID=old\n\nexport OTHER=1\n', { mode: 0o644 });
  const { changed } = await upsertEnvFile(file, { NOTION_COST_ALERTS_DATABASE_ID: 'new-id', NOTION_COST_ALERTS_DATA_SOURCE_ID: 'ds-id' });
  expect(changed).toEqual(['NOTION_COST_ALERTS_DATABASE_ID', 'NOTION_COST_ALERTS_DATA_SOURCE_ID']);
  expect(await readFile(file, 'utf8')).toBe(
    '# mine\nNOTION_TOKEN=ntn_keep_me\nNOTION_COST_ALERTS_DATABASE_ID=new-id\n\nexport OTHER=1\n\n# Written by npm run setup:notion\nNOTION_COST_ALERTS_DATA_SOURCE_ID=ds-id\n',
  );
  expect((await stat(file)).mode & 0o777).toBe(0o600);
});

it('creates the file when missing and does not touch it when nothing changed', async () => {
  const file = join(dir, 'ids.env');
  expect((await upsertEnvFile(file, { A_ID: '1' })).changed).toEqual(['A_ID']);
  const before = await stat(file);
  expect((await upsertEnvFile(file, { A_ID: '1' })).changed).toEqual([]);
  expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
});

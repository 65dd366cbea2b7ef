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

it('refuses, and writes nothing, a value that would not read back as itself, naming the key but never the value', async () => {
  const file = join(dir, '.env.local');
  await writeFile(file, 'NOTION_TOKEN=ntn_keep_me\n', { mode: 0o600 });
  const hostile = {
    'a line break that adds a variable': 'secret_abc\nNOTION_BASE_URL=http://attacker.example',
    'a carriage return': 'secret_abc\rX=1',
    'an opening quote that swallows the lines after it': '"secret_abc',
    'a comment that cuts the value': 'abc#def',
    'a variable to expand': 'abc$NOTION_TOKEN',
    'a space': 'abc def',
    'a backslash': 'abc\\n',
    'a control character': 'abc\u0007',
  };
  for (const [what, value] of Object.entries(hostile)) {
    const error = await upsertEnvFile(file, { NOTION_WEBHOOK_SECRET: value }).catch((e: Error) => e);
    expect(error, what).toMatchObject({ code: 'env_file_value_refused', context: { key: 'NOTION_WEBHOOK_SECRET' } });
    expect((error as Error).message, what).not.toContain(value);
  }
  await expect(upsertEnvFile(file, { 'BAD KEY': 'x' })).rejects.toMatchObject({ code: 'env_file_value_refused' });
  expect(await readFile(file, 'utf8')).toBe('NOTION_TOKEN=ntn_keep_me\n');
  // What the product writes: ids, URLs with a query, tokens.
  const plain = { A_ID: '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/db?sslmode=no-verify&x=1', NOTION_TOKEN: 'secret_fake_notion_token' };
  expect((await upsertEnvFile(file, plain)).changed.sort()).toEqual(Object.keys(plain).sort());
});

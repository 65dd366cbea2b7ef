import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify, stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createScrubber, REDACTED } from '../../src/logging/scrub.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

const NOTION_TOKEN = 'ntn_4Xq8rJp2ZsYw9Lm3Nv5Bc7Df1Gh6Kt0Pa';
const SERVICE_KEY = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const DB_PASSWORD = 'pa"ss\\word-9';

describe('logger redaction', () => {
  const secrets = [NOTION_TOKEN, SERVICE_KEY, DB_PASSWORD];

  it('keeps every known secret out of every field, message and stack', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, secrets, format: 'json' });
    const error = new Error(`connect failed for postgres://app:${DB_PASSWORD}@db:5432/app`);
    logger.info({ notion: { auth: NOTION_TOKEN }, request: { headers: { apikey: SERVICE_KEY } } }, 'calling with %s', NOTION_TOKEN);
    logger.error({ err: error, note: `key=${SERVICE_KEY}` }, 'database unreachable');
    logger.warn({ quoted: JSON.stringify({ password: DB_PASSWORD }) }, 'nested json');

    const output = lines.join('\n');
    expect(lines).toHaveLength(3);
    for (const secret of [NOTION_TOKEN, SERVICE_KEY, DB_PASSWORD, JSON.stringify(DB_PASSWORD).slice(1, -1)]) {
      expect(output).not.toContain(secret);
    }
    expect(output.split(REDACTED).length - 1).toBeGreaterThanOrEqual(6);
    // Everything else survives, and lines are still JSON.
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed[1]).toMatchObject({ msg: 'database unreachable', level: 50, err: { type: 'Error' } });
    expect(parsed[1].err.message).toBe(`connect failed for postgres://app:${REDACTED}@db:5432/app`);
  });

  it('redacts fields named like secrets even when the value is unknown', () => {
    const { lines, destination } = capture();
    createLogger({ destination, format: 'json' }).info({ password: 'hunter2', config: { token: 'abc' }, user: 'ana' }, 'login');
    expect(JSON.parse(lines[0]!)).toMatchObject({ password: REDACTED, config: { token: REDACTED }, user: 'ana' });
  });

  it('is JSON by default when writing to a stream', () => {
    const { lines, destination } = capture();
    createLogger({ destination, level: 'debug' }).debug({ dataset: 'token_usage_logs' }, 'page read');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 20, dataset: 'token_usage_logs', msg: 'page read', name: 'tokensync' });
  });
});

describe('scrubber', () => {
  const scrub = createScrubber([]);

  it.each([
    ['a URL password', 'postgres://app:topsecret@db/app', `postgres://app:${REDACTED}@db/app`],
    ['a redis URL password', 'redis://:cachepass@cache:6379', `redis://:${REDACTED}@cache:6379`],
    ['a Notion token', `auth ${NOTION_TOKEN} failed`, `auth ${REDACTED} failed`],
    ['a legacy Notion token', 'secret_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', REDACTED],
    ['a Supabase JWT', `key ${SERVICE_KEY}`, `key ${REDACTED}`],
    ['a Supabase secret key', 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz', REDACTED],
    ['a bearer header', 'Authorization: Bearer abc.def-ghi_jkl', `Authorization: Bearer ${REDACTED}`],
  ])('removes %s by its shape', (_name, input, output) => {
    expect(scrub(input)).toBe(output);
  });

  it('leaves our own PASSWORD placeholder and ordinary text alone', () => {
    const hint = 'e.g. postgres://postgres:PASSWORD@db.PROJECT.supabase.co:5432/postgres';
    expect(scrub(hint)).toBe(hint);
    expect(scrub('rows=120 dataset=cost_alerts')).toBe('rows=120 dataset=cost_alerts');
  });

  it('removes known secrets URL-encoded too', () => {
    expect(createScrubber(['p@ss word'])(`x=${encodeURIComponent('p@ss word')}`)).toBe(`x=${REDACTED}`);
  });
});

describe('pretty format (a terminal)', () => {
  it('writes readable lines to stdout, scrubbed, from the compiled logger', async () => {
    // pino-pretty is loaded only when asked for: run the built module in a process of its own, whose stdout we read.
    const script = `import { createLogger } from './dist/src/logging/logger.js';
      createLogger({ format: 'pretty', secrets: [${JSON.stringify(NOTION_TOKEN)}] }).warn({ dataset: 'cost_alerts' }, 'token ${NOTION_TOKEN} refused');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' } });
    const plain = stripVTControlCharacters(stdout);
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(tokensync\/\d+\): token \[redacted\] refused\n\s+dataset: "cost_alerts"\n$/);
    expect(stdout).not.toContain(NOTION_TOKEN);
  });
});

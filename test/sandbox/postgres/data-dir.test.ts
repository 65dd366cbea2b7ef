import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/sandbox/postgres/index.js';
import { Clients } from './helpers.js';

/** Two PGlite starts (initdb in WASM on the first). */
const TIMEOUT_MS = 90_000;

describe('with a dataDir', () => {
  let dir: string;
  let server: EmbeddedPostgres | undefined;
  const clients = new Clients(() => server!.url);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokensync-embedded-pg-'));
  });
  afterAll(async () => {
    await clients.endAll();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what was committed across a restart, and not what was open at close()', async () => {
    server = await startEmbeddedPostgres({ dataDir: dir });
    const [{ client: writer }, { client: open }] = await Promise.all([clients.connect(), clients.connect()]);
    await writer.query(`create table kept (k text); insert into kept values ('committed')`);
    await open.query('begin');
    await open.query(`insert into kept values ('open at close')`);
    await server.close();
    await clients.endAll();

    server = await startEmbeddedPostgres({ dataDir: dir });
    const { client } = await clients.connect();
    expect((await client.query('select k from kept')).rows).toEqual([{ k: 'committed' }]);
  }, TIMEOUT_MS);
});

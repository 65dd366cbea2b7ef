import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/index.js';
import { clusterCopyFile, createInMemory } from '../src/initial-cluster.js';
import { Clients } from './helpers.js';

/** PGlite starts: a few seconds each with initdb in WASM, about one from a copy. */
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

describe('in memory: the kept copy of a fresh cluster', () => {
  const startParams = [...PGlite.defaultStartParams, '-c', 'TimeZone=UTC'];
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'tokensync-pglite-copy-'));
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  const markerOf = async (db: PGlite) =>
    (await db.query<{ marker: string | null }>(`select to_regclass('public.marker')::text as marker`)).rows[0]!.marker;

  it('a missing or damaged copy means a plain initdb, and a whole copy is made before any query', async () => {
    const file = await clusterCopyFile(startParams, cacheDir);
    await writeFile(file, 'not a tar file');
    const db = await createInMemory({ startParams }, cacheDir);
    await db.exec('create table marker (k int)');
    await db.close();
    expect(await readdir(cacheDir)).toEqual([basename(file)]);
    expect((await stat(file)).size).toBeGreaterThan(100_000);
    const next = await createInMemory({ startParams }, cacheDir);
    expect(await markerOf(next)).toBeNull();
    await next.close();
  }, TIMEOUT_MS);

  it('is never kept where another user could write', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'tokensync-pglite-shared-'));
    try {
      await chmod(shared, 0o777);
      await expect(clusterCopyFile(startParams, shared)).rejects.toThrow(/is not this user's own directory/);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('is what the next start begins from', async () => {
    // Mark the copy with a table of its own: a start that ran initdb instead would not have it.
    const marked = await createInMemory({ startParams }, cacheDir);
    await marked.exec('create table marker (k int)');
    await writeFile(await clusterCopyFile(startParams, cacheDir), Buffer.from(await (await marked.dumpDataDir('gzip')).arrayBuffer()));
    await marked.close();
    const db = await createInMemory({ startParams }, cacheDir);
    expect(await markerOf(db)).toBe('marker');
    await db.close();
  }, TIMEOUT_MS);
});

/**
 * A new in-memory database starts from a copy of a freshly initialised cluster:
 * PGlite's initdb costs about 2 s of CPU at every start, loading its result about
 * half a second. The copy is made once per PGlite version and kept in a directory of
 * the user's own under the system's temp directory; it is written under a temporary
 * name and renamed, so processes starting side by side never read half a file.
 * Anything wrong with it (missing, unreadable, refused by PGlite, a directory someone
 * else could write to) means a plain initdb, as before.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/** Per user: the temp directory is shared, and a cluster planted by someone else must never be loaded. */
export const DEFAULT_CACHE_DIR = join(tmpdir(), `tokensync-pglite-${process.getuid?.() ?? 'user'}`);

/** PGlite's version: a cluster made by one version is not loaded by another. */
async function pgliteVersion(): Promise<string> {
  // The package's exports leave out package.json; it sits above the resolved entry (dist/index.js).
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** The cache directory, made private to this user; refused when someone else owns it. */
async function ownCacheDir(cacheDir: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  const { uid, mode } = await stat(cacheDir);
  if (process.getuid && (uid !== process.getuid() || (mode & 0o022) !== 0)) {
    throw new Error(`${cacheDir} is not this user's own directory`);
  }
  return cacheDir;
}

/** Named by PGlite's version and the start parameters (initdb sees them). */
export async function clusterCopyFile(startParams: readonly string[], cacheDir = DEFAULT_CACHE_DIR): Promise<string> {
  await ownCacheDir(cacheDir);
  const version = await pgliteVersion();
  const params = createHash('sha256').update(startParams.join('\0')).digest('hex').slice(0, 12);
  return join(cacheDir, `initdb-${version}-${params}.tar.gz`);
}

async function readCached(file: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(file)]);
  } catch {
    return undefined;
  }
}

async function saveCluster(db: PGlite, file: string): Promise<void> {
  const dump = await db.dumpDataDir('gzip');
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
}

/** An in-memory PGlite, from the kept copy of a fresh cluster when there is one (and making it when not). */
export async function createInMemory(options: Pick<PGliteOptions, 'startParams'>, cacheDir = DEFAULT_CACHE_DIR): Promise<PGlite> {
  const file = await clusterCopyFile(options.startParams ?? [], cacheDir).catch(() => undefined);
  const cached = file ? await readCached(file) : undefined;
  if (cached) {
    try {
      return await PGlite.create({ ...options, loadDataDir: cached });
    } catch {
      await rm(file!, { force: true });
    }
  }
  const db = await PGlite.create(options);
  // Before the first query: the copy must be the cluster as initdb left it.
  if (file) await saveCluster(db, file).catch(() => undefined);
  return db;
}

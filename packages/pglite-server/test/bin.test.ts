import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin/pglite-server.js', import.meta.url));
const run = promisify(execFile);

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts the bin and waits for the line that says where it listens. */
async function start(args: string[]): Promise<string> {
  child = spawn(process.execPath, ['--liftoff-only', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; waited < 30_000; waited += 50) {
    const url = /listening on (postgres:\/\/\S+)/.exec(output)?.[1];
    if (url) return url;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pglite-server did not start:\n${output}`);
}

async function stop(): Promise<number | null> {
  child!.kill('SIGTERM');
  const [code] = (await once(child!, 'exit')) as [number | null];
  child = undefined;
  return code;
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('pglite-server (the bin)', () => {
  it('serves a --data-dir database to pg clients, and stops on SIGTERM leaving the cluster in the directory', async () => {
    // Keeping it across a restart is the library's, tested in data-dir.test.ts: here, that the bin passes the directory on.
    const dataDir = await mkdtemp(join(tmpdir(), 'pglite-server-bin-'));
    try {
      const url = await start(['--port', '0', '--data-dir', dataDir]);
      await query(url, 'create table kept (n int); insert into kept values (42)');
      expect(await query(url, 'select n from kept')).toEqual([{ n: 42 }]);
      expect(await stop()).toBe(0);
      expect(await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).toMatch(/^\d+/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints its help, and refuses a bad option with the fix', async () => {
    const help = await run(process.execPath, [BIN, '--help']);
    expect(help.stdout).toMatch(/Usage: pglite-server/);
    expect(help.stdout).toContain('--data-dir');
    const bad = await run(process.execPath, [BIN, '--port', '99999']).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('--port must be a port number');
  });
});

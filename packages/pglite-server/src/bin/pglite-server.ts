#!/usr/bin/env node
/**
 * `pglite-server`: a PostgreSQL on a port with no server installed, for trying
 * something with psql or any client by hand.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres, type EmbeddedPostgresOptions } from '../index.js';

const HELP = `Usage: pglite-server [options]

Serves PGlite (PostgreSQL compiled to WebAssembly, in this process) over the
Postgres wire protocol, so psql, pg and other clients connect as to a server.
Every connection shares one session; see the package's README for what that
means. Stop it with Ctrl+C.

Options:
  --port N          port to listen on (default 5433; 0 = any free port)
  --host ADDR       address to listen on (default 127.0.0.1)
  --data-dir DIR    keep the database in DIR between runs (created on first
                    use); default: in memory, gone when it stops
  -h, --help        show this help
`;

class UsageError extends Error {}

function portOf(value: string | undefined): number {
  if (value === undefined) return 5433;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (0–65535), not "${value}"`);
  return port;
}

function optionsFromArgs(args: readonly string[]): EmbeddedPostgresOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  return { host: values.host ?? '127.0.0.1', port: portOf(values.port), ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) };
}

async function main(): Promise<void> {
  let options: EmbeddedPostgresOptions | 'help';
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`pglite-server: ${(error as Error).message}\nRun pglite-server --help for the options.\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const server = await startEmbeddedPostgres(options).catch((error: NodeJS.ErrnoException) => {
    const fix = error.code === 'EADDRINUSE' ? ` (port ${options.port} is taken: pass --port 0 for any free one)` : '';
    process.stderr.write(`pglite-server: cannot start: ${error.message}${fix}\n`);
    process.exit(1);
  });
  process.stdout.write(`PostgreSQL (PGlite) listening on ${server.url}\n  ${options.dataDir ? `data in ${options.dataDir}` : 'in memory: nothing is kept'}\n  psql ${server.url}\n`);
  const stop = () => {
    process.stdout.write('pglite-server: stopping\n');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();

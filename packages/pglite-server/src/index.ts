/**
 * An embedded PostgreSQL for `npm run demo` and tests: PGlite (Postgres compiled
 * to WASM, in this process) served over the Postgres wire protocol, so that `pg`
 * clients, pools and the migrator run exactly as against a real server. Every
 * connection shares PGlite's one session; see README.md for what that means.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Connection } from './connection.js';
import { ExclusiveScheduler } from './scheduler.js';
import { SharedSession } from './session.js';

export interface EmbeddedPostgresOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Directory that keeps the database between runs; in memory when absent. */
  dataDir?: string;
  /** Unexpected failures inside the server (the connection concerned is closed); default console.error. */
  onError?: (error: unknown) => void;
}

export interface EmbeddedPostgres {
  /** Connection string for `pg`, e.g. postgres://postgres@127.0.0.1:41234/postgres. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Open client connections. */
  connections(): number;
  /**
   * Resolves once no client is connected and the session has been reset (what a
   * real server does when a backend ends: SET, prepared statements, advisory
   * locks, temp tables and LISTEN are gone).
   */
  idle(): Promise<void>;
  /** Ends every connection (rolling back open transactions), frees the port and closes the database. */
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const session = await SharedSession.open(options.dataDir);
  const scheduler = new ExclusiveScheduler<object>();
  const onError = options.onError ?? ((error) => console.error('embedded postgres: unexpected error', error));
  const open = new Set<Connection>();
  let closing = false;
  let connectionsAccepted = 0;

  /** Stands in for the server itself when it takes a turn of its own. */
  const housekeeping = {};
  let idleWaiters: (() => void)[] = [];
  let resets = 0;
  const wakeIdleWaiters = () => {
    if (open.size > 0 || resets > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    waiters.forEach((resolve) => resolve());
  };
  const resetWhenIdle = async () => {
    if (closing || open.size > 0) return;
    resets += 1;
    try {
      await scheduler.run(housekeeping, async () => (open.size === 0 && !closing ? session.reset() : undefined), () => false);
    } catch (error) {
      onError(error);
    } finally {
      resets -= 1;
      wakeIdleWaiters();
    }
  };

  const server = createServer((socket) => {
    if (closing) return void socket.destroy();
    const connection = new Connection(socket, { id: ++connectionsAccepted, session, scheduler, onError });
    open.add(connection);
    void connection.finished.then(() => {
      open.delete(connection);
      return resetWhenIdle();
    });
  });

  const host = options.host ?? '127.0.0.1';
  try {
    await listen(server, host, options.port ?? 0);
  } catch (error) {
    await session.close();
    throw error;
  }
  server.on('error', onError);
  const { port } = server.address() as AddressInfo;

  return {
    url: `postgres://postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`,
    host,
    port,
    connections: () => open.size,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wakeIdleWaiters();
      }),
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const connections = [...open];
      connections.forEach((connection) => connection.terminate());
      await Promise.all(connections.map((connection) => connection.finished));
      await stopped;
      // Last in line: after the turns of connections that were closing, and any reset.
      await scheduler.run(housekeeping, () => session.close(), () => false);
      wakeIdleWaiters();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A TCP proxy in front of the test PostgreSQL, so a test can take "the
 * database" away from one client without stopping the server that every other
 * test uses. cut() drops every connection and refuses new ones until restore();
 * holdResponses() lets requests through but swallows the answers, so a test can
 * make a write commit and its answer get lost.
 */
import net from 'node:net';
import { ADMIN_DATABASE_URL } from './services.js';

export interface TcpProxy {
  readonly port: number;
  /** The URL of `database` through the proxy. */
  urlFor(database: string): string;
  cut(): void;
  restore(): void;
  holdResponses(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** In front of the test PostgreSQL unless another `target` is given (e.g. Redis). */
export async function startTcpProxy(target: { host: string; port: number } | undefined = undefined): Promise<TcpProxy> {
  const postgres = new URL(ADMIN_DATABASE_URL);
  const targetPort = target?.port ?? Number(postgres.port || 5432);
  const targetHost = target?.host ?? postgres.hostname;
  let mode: 'open' | 'down' | 'holding' = 'open';
  let accepted = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (mode === 'open') client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    urlFor(database) {
      const url = new URL(ADMIN_DATABASE_URL);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      url.pathname = `/${database}`;
      return url.toString();
    },
    cut() {
      mode = 'down';
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      mode = 'open';
    },
    holdResponses() {
      mode = 'holding';
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A PostgreSQL server that refuses every connection the way a real one does
 * after the startup packet: FATAL ErrorResponse with a SQLSTATE, then close.
 * It stands in for what the shared test server (trust, no TLS) cannot do:
 * a wrong password (28P01), or pg_hba accepting only TLS (28000, "no encryption").
 * An SSLRequest is answered N (no TLS offered), as a server without TLS does.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

const SSL_REQUEST_CODE = 80877103;

export interface RefusingPostgres {
  url(user?: string, password?: string): string;
  close(): Promise<void>;
}

function errorResponse(sqlState: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', sqlState], ['M', message]].map(([tag, value]) => Buffer.from(`${tag}${value}\0`)),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

export async function startRefusingPostgres(sqlState: string, message: string): Promise<RefusingPostgres> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 8 && buffered.length >= buffered.readInt32BE(0)) {
        const length = buffered.readInt32BE(0);
        const code = buffered.readInt32BE(4);
        buffered = buffered.subarray(length);
        if (code === SSL_REQUEST_CODE) socket.write('N');
        else socket.end(errorResponse(sqlState, message));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (user = 'postgres', password = 'not-the-password') => `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** pg clients of the embedded server that a test can cut off, and that are ended after each test. */
import { Socket } from 'node:net';
import pg from 'pg';

export interface TestClient {
  client: pg.Client;
  /** Destroys the TCP socket under the client, as a crashed process would. */
  cutOff(): void;
  /** Resolves when the client's connection has ended, by either side. */
  ended: Promise<void>;
}

export class Clients {
  #open: TestClient[] = [];

  constructor(private readonly url: () => string) {}

  async connect(config: pg.ClientConfig = {}): Promise<TestClient> {
    let socket: Socket | undefined;
    const client = new pg.Client({
      connectionString: this.url(),
      ...config,
      stream: () => (socket = new Socket()),
    });
    // A connection the server ends is reported as an error of the client; the tests look at `ended`.
    client.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await client.connect();
    const opened: TestClient = { client, ended, cutOff: () => socket?.destroy() };
    this.#open.push(opened);
    return opened;
  }

  async endAll(): Promise<void> {
    const open = this.#open;
    this.#open = [];
    await Promise.all(open.map(({ client }) => client.end().catch(() => undefined)));
  }
}

/** Whether a promise has settled yet, without waiting for it. */
export function watch<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

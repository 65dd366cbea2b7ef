/**
 * One client connection: frames its messages, gathers them into groups that
 * must run together, and runs each group in a turn of the shared session,
 * writing the backend's answer to this socket only.
 *
 * A group ends with Sync (an extended-protocol query: Parse, Bind, Describe,
 * Execute, Sync), a simple Query, or Flush (a client that wants answers before
 * its Sync, e.g. a cursor; it then keeps the session until that Sync). The
 * startup packet is a group of its own.
 *
 * Named prepared statements would be shared by every connection of the one
 * session; each connection's names get a prefix of their own, as if each had a
 * backend, and are closed when it leaves.
 */
import type { Socket } from 'node:net';
import type { ExclusiveScheduler } from './scheduler.js';
import type { SharedSession } from './session.js';
import {
  CANCEL_REQUEST_CODE,
  closeStatementMessage,
  DECLINE_ENCRYPTION,
  errorResponse,
  GSSENC_REQUEST_CODE,
  MessageReader,
  ProtocolViolation,
  SSL_REQUEST_CODE,
  sqlTextOf,
  statementReference,
  SYNC_MESSAGE,
  withSqlText,
  type FrontendMessage,
} from './wire.js';

export interface ConnectionDeps {
  /** Unique among the server's connections; prefixes this connection's statement names. */
  id: number;
  session: SharedSession;
  scheduler: ExclusiveScheduler<object>;
  /** Unexpected failures of the session (the connection is closed after each). */
  onError: (error: unknown) => void;
}

/** Messages after which the client waits for an answer. */
const GROUP_ENDS = new Set(['S', 'Q', 'H']);

/**
 * COPY … FROM STDIN hangs PGlite for good (it waits for data inside one call),
 * which would stop every connection. Such a statement is replaced by one that
 * raises, so Postgres itself answers with the error and aborts the transaction
 * as any failed statement would.
 */
const COPY_FROM_STDIN = /\bcopy\b[^;]*\bfrom\s+stdin\b/i;
const REFUSE_COPY_FROM_STDIN =
  "do $$ begin raise exception using errcode = 'feature_not_supported', " +
  "message = 'COPY FROM STDIN is not supported by the embedded Postgres server'; end $$";

export class Connection {
  readonly #reader = new MessageReader();
  /** Messages of the group being gathered. */
  #gathered: Buffer[] = [];
  /** This connection's groups run one after another, in the order they came. */
  #queue: Promise<void> = Promise.resolve();
  /** An extended-protocol query answered up to a Flush but not yet ended by Sync. */
  #midQuery = false;
  /** Named prepared statements of this connection, as the session knows them (prefixed). */
  readonly #statements = new Set<string>();
  #closed = false;
  /** Resolves once the socket is closed and whatever it left open in the session is rolled back. */
  readonly finished: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // 'close' always follows 'error'; ECONNRESET from a client that went away is not a fault.
    socket.on('error', () => undefined);
    this.finished = new Promise((resolve) => socket.once('close', () => resolve(this.#end())));
  }

  /**
   * Closes the connection without a word. A real server would first send FATAL
   * 57P01, but a pool that is ending its clients (pg's Pool.end() returns before
   * their sockets close) reports that message as an error of an idle client;
   * a bare close is what an ending client expects, and what any other sees as a
   * lost connection, which is retryable just the same.
   */
  terminate(): void {
    if (this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
  }

  #receive(chunk: Buffer): void {
    let messages: FrontendMessage[];
    try {
      messages = this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof ProtocolViolation)) throw error;
      this.socket.end(errorResponse('FATAL', '08P01', error.message));
      return;
    }
    for (const message of messages) {
      // After Terminate (or a close) nothing more is read.
      if (this.#closed || !this.socket.writable) return;
      if (message.kind === 'untyped') this.#beforeStartup(message.code, message.bytes);
      else this.#gather(message.type, message.bytes);
    }
  }

  #beforeStartup(code: number, bytes: Buffer): void {
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      this.socket.write(DECLINE_ENCRYPTION);
    } else if (code === CANCEL_REQUEST_CODE) {
      // A running query cannot be interrupted: PGlite runs it in one synchronous call.
      this.socket.destroy();
    } else {
      this.#enqueue(bytes, 'startup');
    }
  }

  #gather(type: string, bytes: Buffer): void {
    if (type === 'X') {
      // Terminate: an unfinished group is dropped, as a real backend drops it.
      this.#gathered = [];
      this.socket.end();
      return;
    }
    this.#gathered.push(refuseCopyFromStdin(this.#ownStatementNames(bytes)));
    if (!GROUP_ENDS.has(type)) return;
    const group = Buffer.concat(this.#gathered);
    this.#gathered = [];
    this.#enqueue(group, type);
  }

  /** Gives this connection's named statements their prefix, and keeps track of those it prepares and closes. */
  #ownStatementNames(message: Buffer): Buffer {
    const reference = statementReference(message);
    if (!reference || reference.name === '') return message;
    const name = `c${this.deps.id}.${reference.name}`;
    if (reference.type === 'P') this.#statements.add(name);
    if (reference.type === 'C') this.#statements.delete(name);
    return reference.renamed(name);
  }

  #enqueue(group: Buffer, end: string): void {
    this.#queue = this.#queue.then(() => this.#run(group, end));
  }

  async #run(group: Buffer, end: string): Promise<void> {
    const { scheduler, session } = this.deps;
    try {
      await scheduler.run(
        this,
        async () => {
          if (this.#closed) return;
          await session.execute(group, (answer) => this.#write(answer));
          if (end === 'H') this.#midQuery = true;
          else if (end === 'S' || end === 'Q') this.#midQuery = false;
        },
        () => this.#midQuery || session.inTransaction(),
      );
    } catch (error) {
      this.deps.onError(error);
      this.socket.destroy();
    }
  }

  #write(answer: Buffer): void {
    if (this.socket.writable) this.socket.write(answer);
  }

  async #end(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    const { scheduler, session } = this.deps;
    try {
      if (scheduler.holds(this)) await scheduler.run(this, () => session.abandon(), () => false);
      if (this.#statements.size > 0) {
        const closes = [...this.#statements].map(closeStatementMessage);
        await scheduler.run(this, () => session.execute(Buffer.concat([...closes, SYNC_MESSAGE]), () => undefined), () => false);
      }
    } catch (error) {
      this.deps.onError(error);
    }
  }
}

function refuseCopyFromStdin(message: Buffer): Buffer {
  const sql = sqlTextOf(message);
  return sql !== undefined && COPY_FROM_STDIN.test(sql) ? withSqlText(message, REFUSE_COPY_FROM_STDIN) : message;
}

/**
 * The one PGlite backend every connection shares, and the raw wire-protocol
 * calls the server makes on it. Callers must hold the scheduler's turn; each
 * call also runs inside PGlite's own lock, so nothing else in the process can
 * step in between.
 */
import { PGlite } from '@electric-sql/pglite';
import { createInMemory } from './initial-cluster.js';
import { queryMessage, SYNC_MESSAGE } from './wire.js';

/**
 * PGlite ignores the options of a client's startup packet (`-c TimeZone=UTC`
 * included), so the session's own default is UTC, set on the command line:
 * RESET and DISCARD ALL come back to it, whatever the machine's time zone.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'TimeZone=UTC'];

/** Everything a session started by one client may leave behind for the next (prepared statements, SET, advisory locks, temp tables, LISTEN). */
const END_OF_SESSION_SQL = 'discard all';

export class SharedSession {
  private constructor(private readonly db: PGlite) {}

  /** An in-memory database, or one kept in `dataDir` (created on first use). */
  static async open(dataDir?: string): Promise<SharedSession> {
    const db = dataDir ? await PGlite.create({ dataDir, startParams: START_PARAMS }) : await createInMemory({ startParams: START_PARAMS });
    return new SharedSession(db);
  }

  /** Runs frontend messages (a whole group, or a startup packet) and streams the backend's answer to `write`. */
  async execute(messages: Buffer, write: (chunk: Buffer) => void): Promise<void> {
    await this.db.runExclusive(() =>
      // PGlite reuses its output buffer: copy each chunk before it goes to a socket.
      this.db.execProtocolRawStream(messages, { onRawData: (chunk) => write(Buffer.from(chunk)) }),
    );
  }

  inTransaction(): boolean {
    return this.db.isInTransaction();
  }

  /**
   * Ends whatever a client that went away left open: the implicit transaction of
   * an unfinished extended-protocol query (Sync), then an explicit one (ROLLBACK).
   */
  async abandon(): Promise<void> {
    await this.execute(Buffer.concat([SYNC_MESSAGE, queryMessage('rollback')]), () => undefined);
  }

  /** What a real backend does when its client disconnects: forget the session's state. */
  async reset(): Promise<void> {
    await this.execute(queryMessage(END_OF_SESSION_SQL), () => undefined);
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

/**
 * Postgres wire protocol (v3) framing, frontend side: cuts the byte stream of
 * one connection into whole messages, and builds the few backend and frontend
 * messages the server writes itself. Message bytes are passed on unchanged.
 *
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Request codes of the untyped packets a client may send before its startup packet. */
export const SSL_REQUEST_CODE = 80_877_103;
export const GSSENC_REQUEST_CODE = 80_877_104;
export const CANCEL_REQUEST_CODE = 80_877_102;

/** Largest message accepted from a client; Postgres itself refuses anything past 1 GB. */
export const MAX_MESSAGE_BYTES = 1 << 30;

export type FrontendMessage =
  /** Before the startup packet: SSLRequest, GSSENCRequest, CancelRequest or the startup packet itself. */
  | { kind: 'untyped'; code: number; bytes: Buffer }
  /** After it: a type byte, e.g. 'Q', 'P', 'B', 'S', 'X'. */
  | { kind: 'typed'; type: string; bytes: Buffer };

export class ProtocolViolation extends Error {}

/**
 * Accumulates chunks and yields complete messages. Until a startup packet has
 * gone by, messages have no type byte (length, then a 4-byte code).
 */
export class MessageReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes needed before anything more can be cut: a header, or the whole message it announced. */
  #needed = 4;
  #started = false;

  push(chunk: Buffer): FrontendMessage[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    // A large message arrives in many chunks: join them once it is whole, not at every chunk.
    if (this.#buffered < this.#needed) return [];
    let pending = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const messages: FrontendMessage[] = [];
    for (;;) {
      const cut = this.#next(pending);
      if (!cut) break;
      messages.push(cut.message);
      pending = cut.rest;
    }
    this.#chunks = pending.length > 0 ? [pending] : [];
    this.#buffered = pending.length;
    return messages;
  }

  #next(pending: Buffer): { message: FrontendMessage; rest: Buffer } | undefined {
    const headerBytes = this.#started ? 5 : 4;
    this.#needed = headerBytes;
    if (pending.length < headerBytes) return undefined;
    const lengthOffset = this.#started ? 1 : 0;
    const length = pending.readInt32BE(lengthOffset);
    if (length < 4 || length > MAX_MESSAGE_BYTES || (!this.#started && length < 8)) {
      throw new ProtocolViolation(`invalid message length ${length}`);
    }
    const total = lengthOffset + length;
    this.#needed = total;
    if (pending.length < total) return undefined;
    const bytes = pending.subarray(0, total);
    const rest = pending.subarray(total);
    if (this.#started) return { message: { kind: 'typed', type: String.fromCharCode(bytes[0]!), bytes }, rest };
    const code = bytes.readInt32BE(4);
    if (code !== SSL_REQUEST_CODE && code !== GSSENC_REQUEST_CODE && code !== CANCEL_REQUEST_CODE) this.#started = true;
    return { message: { kind: 'untyped', code, bytes }, rest };
  }
}

function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`, 'utf8');

/** A simple-protocol Query ('Q'). */
export function queryMessage(sql: string): Buffer {
  return frame('Q', cstring(sql));
}

/** Sync ('S'): ends an extended-protocol sequence (and its implicit transaction). */
export const SYNC_MESSAGE = frame('S', Buffer.alloc(0));

/** The single byte that declines an SSLRequest or GSSENCRequest; the client then goes on in plain text. */
export const DECLINE_ENCRYPTION = Buffer.from('N', 'latin1');

/** A backend ErrorResponse ('E') with severity, SQLSTATE and message. */
export function errorResponse(severity: 'ERROR' | 'FATAL', sqlState: string, message: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${sqlState}`, `M${message}`].map(cstring);
  return frame('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** The SQL text of a Query ('Q') or Parse ('P') message, or undefined for other messages. */
export function sqlTextOf(message: Buffer): string | undefined {
  const type = String.fromCharCode(message[0]!);
  if (type === 'Q') return message.toString('utf8', 5, message.indexOf(0, 5));
  if (type !== 'P') return undefined;
  const statementNameEnd = message.indexOf(0, 5);
  return message.toString('utf8', statementNameEnd + 1, message.indexOf(0, statementNameEnd + 1));
}

/** The same Query or Parse message with other SQL text (a Parse keeps its statement name and parameter types). */
export function withSqlText(message: Buffer, sql: string): Buffer {
  const type = String.fromCharCode(message[0]!);
  if (type === 'Q') return queryMessage(sql);
  const statementNameEnd = message.indexOf(0, 5);
  const queryEnd = message.indexOf(0, statementNameEnd + 1);
  return frame('P', Buffer.concat([message.subarray(5, statementNameEnd + 1), cstring(sql), message.subarray(queryEnd + 1)]));
}

/** Where a message names a prepared statement: Parse creates it, Close ('S') drops it, Bind and Describe ('S') use it. */
export interface StatementReference {
  type: 'P' | 'B' | 'D' | 'C';
  /** '' is the unnamed statement. */
  name: string;
  /** The same message naming another statement. */
  renamed(name: string): Buffer;
}

export function statementReference(message: Buffer): StatementReference | undefined {
  const type = String.fromCharCode(message[0]!);
  const body = message.subarray(5);
  switch (type) {
    case 'P':
      return nameAt(type, body, 0);
    case 'B':
      // After the portal name.
      return nameAt(type, body, body.indexOf(0) + 1);
    case 'D':
    case 'C':
      return body[0] === 0x53 /* 'S' */ ? nameAt(type, body, 1) : undefined;
    default:
      return undefined;
  }
}

function nameAt(type: StatementReference['type'], body: Buffer, start: number): StatementReference {
  const end = body.indexOf(0, start);
  return {
    type,
    name: body.toString('utf8', start, end),
    renamed: (name) => frame(type, Buffer.concat([body.subarray(0, start), cstring(name), body.subarray(end + 1)])),
  };
}

/** Close ('C') of a prepared statement. */
export function closeStatementMessage(name: string): Buffer {
  return frame('C', Buffer.concat([Buffer.from('S', 'latin1'), cstring(name)]));
}

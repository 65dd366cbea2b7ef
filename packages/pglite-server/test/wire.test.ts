import { describe, expect, it } from 'vitest';
import {
  MessageReader,
  ProtocolViolation,
  queryMessage,
  SSL_REQUEST_CODE,
  sqlTextOf,
  statementReference,
  SYNC_MESSAGE,
  withSqlText,
} from '../src/wire.js';

function untyped(code: number, body = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(code, 4);
  return Buffer.concat([header, body]);
}

function typed(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const startup = untyped(196_608, Buffer.from('user\0postgres\0\0'));
const parse = typed('P', Buffer.concat([Buffer.from('s1\0select $1::int\0'), Buffer.from([0, 1, 0, 0, 0, 23])]));

describe('MessageReader', () => {
  it('cuts SSLRequest, startup and typed messages out of one stream, however it is split', () => {
    const stream = Buffer.concat([untyped(SSL_REQUEST_CODE), startup, parse, SYNC_MESSAGE, queryMessage('select 1')]);
    for (const size of [1, 3, 7, stream.length]) {
      const reader = new MessageReader();
      const seen: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        for (const m of reader.push(stream.subarray(i, i + size))) seen.push(m.kind === 'untyped' ? String(m.code) : m.type);
      }
      expect(seen).toEqual([String(SSL_REQUEST_CODE), '196608', 'P', 'S', 'Q']);
    }
  });

  it('yields a large message once, when its last chunk has arrived', () => {
    const reader = new MessageReader();
    reader.push(startup);
    const big = queryMessage(`select '${'x'.repeat(1 << 20)}'`);
    const yielded: number[] = [];
    for (let i = 0; i < big.length; i += 65_536) yielded.push(reader.push(big.subarray(i, i + 65_536)).length);
    expect(yielded.filter((n) => n > 0)).toEqual([1]);
    expect(yielded.at(-1)).toBe(1);
  });

  it('keeps the bytes of each message as they came', () => {
    const reader = new MessageReader();
    const messages = reader.push(Buffer.concat([startup, parse]));
    expect(messages.map((m) => m.bytes)).toEqual([startup, parse]);
  });

  it('refuses a length no client would send', () => {
    const reader = new MessageReader();
    reader.push(startup);
    const bad = Buffer.from([0x51, 0, 0, 0, 2]);
    expect(() => reader.push(bad)).toThrow(ProtocolViolation);
    expect(() => new MessageReader().push(Buffer.from([0x7f, 0xff, 0xff, 0xff]))).toThrow(/invalid message length/);
  });
});

describe('SQL text of Query and Parse', () => {
  it('reads and replaces it, keeping a Parse message’s statement name and parameter types', () => {
    expect(sqlTextOf(queryMessage('select 1'))).toBe('select 1');
    expect(sqlTextOf(parse)).toBe('select $1::int');
    const replaced = withSqlText(parse, 'select 2');
    expect(replaced).toEqual(typed('P', Buffer.concat([Buffer.from('s1\0select 2\0'), Buffer.from([0, 1, 0, 0, 0, 23])])));
    expect(sqlTextOf(SYNC_MESSAGE)).toBeUndefined();
  });
});

describe('statement names', () => {
  const bind = typed('B', Buffer.concat([Buffer.from('portal\0s1\0'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x37, 0, 0])]));
  const describeStatement = typed('D', Buffer.from('Ss1\0'));
  const describePortal = typed('D', Buffer.from('Pportal\0'));

  it('are found in Parse, Bind, and Describe or Close of a statement, and renamed leaving the rest as it was', () => {
    expect(statementReference(parse)).toMatchObject({ type: 'P', name: 's1' });
    expect(statementReference(parse)!.renamed('c1.s1')).toEqual(
      typed('P', Buffer.concat([Buffer.from('c1.s1\0select $1::int\0'), Buffer.from([0, 1, 0, 0, 0, 23])])),
    );
    expect(statementReference(bind)).toMatchObject({ type: 'B', name: 's1' });
    expect(statementReference(bind)!.renamed('c1.s1')).toEqual(
      typed('B', Buffer.concat([Buffer.from('portal\0c1.s1\0'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x37, 0, 0])])),
    );
    expect(statementReference(describeStatement)!.renamed('c1.s1')).toEqual(typed('D', Buffer.from('Sc1.s1\0')));
    expect(statementReference(describePortal)).toBeUndefined();
    expect(statementReference(queryMessage('prepare s1 as select 1'))).toBeUndefined();
  });
});

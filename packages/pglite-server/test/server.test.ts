/**
 * The embedded server as pg clients see it: answers go to the client that asked,
 * transactions of one client are never mixed with another's, and a client that
 * disappears leaves nothing behind. A unit test (no service of this machine is
 * needed): PGlite runs in this process.
 */
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/index.js';
import { queryMessage, SSL_REQUEST_CODE } from '../src/wire.js';
import { Clients, watch } from './helpers.js';

/** PGlite needs a few seconds to start (initdb in WASM). */
const START_TIMEOUT_MS = 60_000;

let server: EmbeddedPostgres;
const clients = new Clients(() => server.url);

beforeAll(async () => {
  server = await startEmbeddedPostgres();
  const { client } = await clients.connect();
  await client.query('create table marks (k text not null)');
  await clients.endAll();
}, START_TIMEOUT_MS);
afterEach(() => clients.endAll());
afterAll(() => server?.close());

const count = async (client: pg.Client, k: string) =>
  (await client.query<{ n: number }>('select count(*)::int as n from marks where k = $1', [k])).rows[0]!.n;

describe('many clients at once', () => {
  it('each of 10 clients gets the answers to its own parameterised queries', async () => {
    const connected = await Promise.all(Array.from({ length: 10 }, () => clients.connect()));
    const { client: blocker } = await clients.connect();
    const wrong: string[] = [];
    const ask = async (client: pg.Client, c: number, i: number) => {
      // Each client has a statement of its own: a Bind that reached another client's Parse would multiply wrongly.
      const factor = c + 2;
      const value = c * 1000 + i;
      const { rows } = await client.query<{ product: number; who: string }>(`select $1::int * ${factor} as product, $2::text as who`, [
        value,
        `client-${c}`,
      ]);
      if (rows[0]?.product !== value * factor || rows[0]?.who !== `client-${c}`) wrong.push(`client-${c} #${i}: ${JSON.stringify(rows)}`);
    };
    for (let round = 0; round < 20; round++) {
      // While one client holds a transaction, every other client's query arrives and waits;
      // at COMMIT they are all ready at once, the moment messages of two queries could mix.
      await blocker.query('begin');
      const asked = connected.map(({ client }, c) => ask(client, c, round));
      await blocker.query('select 1');
      await blocker.query('commit');
      await Promise.all(asked);
    }
    expect(wrong).toEqual([]);
  });

  it('a query whose message arrives over many TCP reads is answered whole, to its client, while others query', async () => {
    const connected = await Promise.all(Array.from({ length: 6 }, () => clients.connect()));
    const big = 'x'.repeat(300_000); // far more than one read of the socket
    const wrong: string[] = [];
    const ask = async (client: pg.Client, c: number, i: number) => {
      if ((c + i) % 3 === 0) {
        const { rows } = await client.query<{ length: number; who: string }>('select length($1::text) as length, $2::text as who', [big + c, `client-${c}`]);
        if (rows[0]?.length !== big.length + String(c).length || rows[0]?.who !== `client-${c}`) wrong.push(`client-${c} #${i} (big): ${JSON.stringify(rows)}`);
      } else {
        const { rows } = await client.query<{ n: number }>('select $1::int as n', [c * 1000 + i]);
        if (rows[0]?.n !== c * 1000 + i) wrong.push(`client-${c} #${i}: ${JSON.stringify(rows)}`);
      }
    };
    await Promise.all(connected.map(({ client }, c) => Promise.all(Array.from({ length: 6 }, (_, i) => ask(client, c, i)))));
    expect(wrong).toEqual([]);
  });

  it('a cursor reading in pages (Flush between pages) keeps its portal while others query', async () => {
    const [{ client: reader }, { client: other }] = await Promise.all([clients.connect(), clients.connect()]);
    // pg sends Execute + Flush for each page of `rows`, and Sync only after the last one.
    const paged = reader.query({ text: 'select generate_series(1, 40) as n', rows: 3 } as unknown as string);
    const others = (async () => {
      const answers: number[] = [];
      for (let i = 0; i < 20; i++) answers.push((await other.query<{ i: number }>('select $1::int as i', [i])).rows[0]!.i);
      return answers;
    })();
    const [all, answers] = await Promise.all([paged, others]);
    expect(all.rows.map((r: { n: number }) => r.n)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('named prepared statements', () => {
  it('are each connection\'s own, as with a backend per connection', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    const run = (client: pg.Client, factor: number, value: number) =>
      client.query<{ x: number }>({ name: 'scaled', text: `select $1::int * ${factor} as x`, values: [value] });
    expect((await run(a, 2, 5)).rows).toEqual([{ x: 10 }]);
    expect((await run(b, 3, 5)).rows).toEqual([{ x: 15 }]);
    expect((await run(a, 2, 7)).rows).toEqual([{ x: 14 }]);
    expect((await run(b, 3, 7)).rows).toEqual([{ x: 21 }]);
  });
});

describe('transactions of two clients', () => {
  it('an uncommitted insert is not seen by the other client, which waits; ROLLBACK discards it', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await a.query('begin');
    await a.query(`insert into marks values ('rolled-back')`);
    const seen = watch(count(b, 'rolled-back'));
    await a.query('select 1');
    expect(seen.settled()).toBe(false);
    await a.query('rollback');
    // Had b's query run inside a's transaction (one shared session), it would have counted 1.
    expect(await seen.promise).toBe(0);
  });

  it('the other client sees a commit once it happened, and its own writes are never swept into a transaction it is not in', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await a.query('begin');
    await a.query(`insert into marks values ('committed')`);
    const seen = watch(count(b, 'committed'));
    const write = watch(b.query(`insert into marks values ('b-autocommit')`));
    await a.query(`select 1`);
    expect([seen.settled(), write.settled()]).toEqual([false, false]);
    await a.query('commit');
    expect(await seen.promise).toBe(1);
    await write.promise;

    await a.query('begin');
    await a.query(`insert into marks values ('rolled-back-2')`);
    const late = watch(b.query(`insert into marks values ('b-during-a')`));
    await a.query('rollback');
    await late.promise;
    expect([await count(a, 'b-autocommit'), await count(a, 'b-during-a'), await count(a, 'rolled-back-2')]).toEqual([1, 1, 0]);
  });

  it('a client cut off mid-transaction leaves nothing behind and does not block the others', async () => {
    const [crashing, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await crashing.client.query('begin');
    await crashing.client.query(`insert into marks values ('orphan')`);
    const waiting = watch(count(b, 'orphan'));
    await crashing.client.query('select 1');
    expect(waiting.settled()).toBe(false);
    crashing.cutOff();
    await crashing.ended;
    expect(await waiting.promise).toBe(0);
    const { client: c } = await clients.connect();
    expect([await count(c, 'orphan'), await count(b, 'orphan')]).toEqual([0, 0]);
  });

  it('a failed transaction stays with its client until it rolls back', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await a.query('begin');
    await expect(a.query('select 1 / 0')).rejects.toMatchObject({ code: '22012' });
    const other = watch(b.query('select 2 as two'));
    await expect(a.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    expect(other.settled()).toBe(false);
    await a.query('rollback');
    expect((await other.promise).rows).toEqual([{ two: 2 }]);
  });
});

describe('what PGlite cannot do is refused, not hung on', () => {
  it('COPY FROM STDIN fails with feature_not_supported; the connection and the others go on', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await expect(a.query('copy marks from stdin')).rejects.toMatchObject({ code: '0A000', message: /COPY FROM STDIN is not supported/ });
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect((await b.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });
});

describe('time zone', () => {
  it('timestamps come back in UTC, whatever TimeZone the startup packet asks for', async () => {
    const { client } = await clients.connect({ options: '-c TimeZone=Europe/Berlin' });
    const { rows } = await client.query(
      `select current_setting('TimeZone') as tz, '2026-11-20 12:00:00+02'::timestamptz as at, '2026-11-20 12:00:00+02'::timestamptz::text as text`,
    );
    expect(rows[0]).toEqual({ tz: 'UTC', at: new Date('2026-11-20T10:00:00Z'), text: '2026-11-20 10:00:00+00' });
  });

  it('a SET is seen by every connection (one shared session) until the last one leaves', async () => {
    const [{ client: a }, { client: b }] = await Promise.all([clients.connect(), clients.connect()]);
    await a.query(`set timezone = 'Asia/Tokyo'`);
    expect((await b.query(`select current_setting('TimeZone') as tz`)).rows).toEqual([{ tz: 'Asia/Tokyo' }]);
    await clients.endAll();
    await server.idle();
    const { client: c } = await clients.connect();
    expect((await c.query(`select current_setting('TimeZone') as tz, now()::text like '%+00' as utc`)).rows).toEqual([{ tz: 'UTC', utc: true }]);
  });
});

describe('the protocol around queries', () => {
  it('declines SSL with N, then serves the startup packet in plain text, and ends on Terminate', async () => {
    const socket = connect(server.port, server.host);
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(SSL_REQUEST_CODE, 4);
    socket.write(ssl);
    await once(socket, 'data');
    expect(Buffer.concat(received).toString('latin1')).toBe('N');

    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196_608, 4);
    received.length = 0;
    socket.write(Buffer.concat([startup, params, queryMessage('select 1')]));
    const ready = () => Buffer.concat(received).toString('latin1');
    while (!/Z\0\0\0\x05I[\s\S]*Z\0\0\0\x05I/.test(ready())) await once(socket, 'data');
    expect(ready().startsWith('R\0\0\0\x08\0\0\0\0')).toBe(true); // AuthenticationOk

    socket.write(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
    await once(socket, 'close');
  });
});

describe('close()', () => {
  it('ends open connections, also one inside a transaction, and frees the port', async () => {
    const [idle, busy] = await Promise.all([clients.connect(), clients.connect()]);
    await busy.client.query('begin');
    await busy.client.query(`insert into marks values ('at-close')`);
    const waiting = watch(idle.client.query('select 1'));
    await server.close();
    await Promise.all([idle.ended, busy.ended]);
    await expect(waiting.promise).rejects.toThrow();
    expect(server.connections()).toBe(0);

    const reuse = createServer();
    await new Promise<void>((resolve, reject) => reuse.once('error', reject).listen(server.port, server.host, resolve));
    await new Promise<void>((resolve) => reuse.close(() => resolve()));
  });
});

/**
 * Change notifications against a real Postgres: one per statement that changed
 * rows, none for one that changed nothing, and a listener whose connection is
 * killed comes back by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { LISTENER_APPLICATION_NAME, startChangeListener, type ChangeListener, type NotifyingTable } from '../../src/worker/change-listener.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { waitUntil } from './processes.js';

let db: TestDatabase;
let listener: ChangeListener;
const heard: NotifyingTable[] = [];
const states: boolean[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await insertLimits(db.pool, [{ entity_type: 'organization', entity_id: 'marker', daily_limit: 1000 }]);
  listener = startChangeListener({
    databaseUrl: db.url,
    logger: createLogger({ level: 'silent' }),
    onChange: (table) => heard.push(table),
    onListening: (listening) => states.push(listening),
    reconnectInitialMs: 50,
  });
  await waitUntil(() => listener.listening);
});
afterAll(async () => {
  await listener?.stop();
  await db?.drop();
});

/** Notifications arrive in commit order: once this marker's is heard, every earlier one was. */
async function heardUpTo(): Promise<NotifyingTable[]> {
  const before = heard.length;
  await db.pool.query(`update public.budget_limits set is_active = is_active where entity_id = 'marker'`);
  await waitUntil(() => heard.length > before && heard.at(-1) === 'budget_limits', 5);
  return heard.splice(0).slice(0, -1);
}

describe('change notifications', () => {
  it('looks at every table once when it starts listening (changes before then were not announced)', async () => {
    expect(new Set(await heardUpTo())).toEqual(new Set(['token_usage_logs', 'budget_limits', 'cost_alerts']));
  });

  it('announces one change per statement, on commit, and none for a statement that changed nothing', async () => {
    await insertLogs(db.pool, Array.from({ length: 500 }, () => ({})));
    await db.pool.query(`update public.cost_alerts set acknowledged = true where false`);
    await db.pool.query(`delete from public.token_usage_logs where false`);
    expect(await heardUpTo()).toEqual(['token_usage_logs']);

    // A rolled-back change wakes nobody.
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await insertLogs(client, [{}]);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await heardUpTo()).toEqual([]);
  });

  it('comes back after its connection is killed, and looks at everything once', async () => {
    const { rows } = await db.pool.query(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1 and datname = current_database()`,
      [LISTENER_APPLICATION_NAME],
    );
    expect(rows).toEqual([{ killed: true }]);
    await waitUntil(() => states.at(-1) === false || !listener.listening, 5);
    await waitUntil(() => listener.listening && states.at(-1) === true, 20);
    expect(states.slice(-2)).toEqual([false, true]);

    expect(new Set(await heardUpTo())).toEqual(new Set(['token_usage_logs', 'budget_limits', 'cost_alerts']));
    await insertLogs(db.pool, [{}]);
    expect(await heardUpTo()).toEqual(['token_usage_logs']);
  });
});

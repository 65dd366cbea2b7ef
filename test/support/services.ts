/**
 * Where the integration tests find the real services. .ci/run points
 * TEST_DATABASE_URL at a throwaway database made for the run; locally the
 * default is the machine's own PostgreSQL.
 */
import pg from 'pg';

export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** A URL for another database on the same server. */
export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(ADMIN_DATABASE_URL).host} (${(error as Error).message}). ` +
        `Integration tests need it; start it with: ${START_POSTGRES}`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Every database and role a test run makes is named `<TEST_DB_PREFIX>_<kind>_<stamp>_<pid>_<random>`,
 * and every Redis key it writes sits under `<TEST_QUEUE_PREFIX>-<stamp>-<random>:`. Two runs
 * with different prefixes never touch each other's; within one prefix the stamp (seconds since
 * the epoch, base 36) lets the global setup clear what a killed run left behind.
 */
export const TEST_DB_PREFIX = namespace('TEST_DB_PREFIX', 'tokensync_test', /^[a-z_][a-z0-9_]{0,29}$/);
export const TEST_QUEUE_PREFIX = namespace('TEST_QUEUE_PREFIX', 'tokensync-test', /^[A-Za-z0-9_.-]{1,60}$/);

/** Older than this, a name of our prefix belongs to a run that died: no test run lasts hours. */
export const STALE_AFTER_MS = 3 * 60 * 60 * 1000;

function namespace(variable: string, fallback: string, shape: RegExp): string {
  const value = process.env[variable] || fallback;
  if (!shape.test(value)) throw new Error(`${variable} is "${value}"; it must match ${shape} (e.g. ${fallback})`);
  return value;
}

const stamp = () => Math.floor(Date.now() / 1000).toString(36);
const random = () => Math.random().toString(36).slice(2, 8).padEnd(6, '0');

/** A database or role name of this run, e.g. uniqueName('db'). */
export function uniqueName(kind: string): string {
  return `${TEST_DB_PREFIX}_${kind}_${stamp()}_${process.pid}_${random()}`;
}

/** A BullMQ prefix of this run (BullMQ's own prefix: all the keys it makes start with it and a colon). */
export function uniqueQueuePrefix(): string {
  return `${TEST_QUEUE_PREFIX}-${stamp()}-${random()}`;
}

/** Whether `name` was made by uniqueName (with this prefix) more than STALE_AFTER_MS ago. */
export function isStaleName(name: string, now = Date.now()): boolean {
  return isStale(name, `${TEST_DB_PREFIX}_`, /^[a-z]+_([0-9a-z]+)_\d+_[0-9a-z]{6}$/, now);
}

/** Whether `prefix` was made by uniqueQueuePrefix (with this prefix) more than STALE_AFTER_MS ago. */
export function isStaleQueuePrefix(prefix: string, now = Date.now()): boolean {
  return isStale(prefix, `${TEST_QUEUE_PREFIX}-`, /^([0-9a-z]+)-[0-9a-z]{6}$/, now);
}

function isStale(name: string, start: string, rest: RegExp, now: number): boolean {
  const made = name.startsWith(start) ? rest.exec(name.slice(start.length))?.[1] : undefined;
  return made !== undefined && now - parseInt(made, 36) * 1000 > STALE_AFTER_MS;
}

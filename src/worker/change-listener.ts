/**
 * Freshness by event: one dedicated Postgres connection LISTENs on the channel
 * the change-notification triggers use (see *_change_notifications.sql) and
 * hands each table name to `onChange`. A lost connection is reopened with
 * backoff; every (re)connection also reports every table as changed, since
 * notifications sent while no one listened are gone. Polling on the intervals
 * stays the fallback whatever happens here.
 */
import pg from 'pg';
import type { Logger } from '../logging/logger.js';

export const CHANGES_CHANNEL = 'tokensync_changes';
/** The tables whose triggers notify. */
export const NOTIFYING_TABLES = ['token_usage_logs', 'budget_limits', 'cost_alerts'] as const;
export type NotifyingTable = (typeof NOTIFYING_TABLES)[number];

export const RECONNECT_INITIAL_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Shown in pg_stat_activity, so operators (and tests) can find the listening session. */
export const LISTENER_APPLICATION_NAME = 'tokensync-listen';

export interface ChangeListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** A committed change to `table` (or, after a reconnect, possibly missed changes). */
  onChange: (table: NotifyingTable) => void;
  /** Told when listening starts (true) or the connection is lost (false). */
  onListening?: (listening: boolean) => void;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

export interface ChangeListener {
  /** Whether a LISTEN is in place right now. */
  readonly listening: boolean;
  stop(): Promise<void>;
}

const isNotifyingTable = (value: string | undefined): value is NotifyingTable =>
  (NOTIFYING_TABLES as readonly string[]).includes(value ?? '');

export function startChangeListener(options: ChangeListenerOptions): ChangeListener {
  const log = options.logger.child({ component: 'change-listener' });
  const initialDelay = options.reconnectInitialMs ?? RECONNECT_INITIAL_MS;
  const maxDelay = options.reconnectMaxMs ?? RECONNECT_MAX_MS;
  let delay = initialDelay;
  let client: pg.Client | undefined;
  let listening = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const setListening = (value: boolean) => {
    if (listening === value) return;
    listening = value;
    options.onListening?.(value);
  };

  const lost = (current: pg.Client, error?: unknown) => {
    if (client !== current) return;
    client = undefined;
    setListening(false);
    current.removeAllListeners();
    current.on('error', () => undefined);
    void current.end().catch(() => undefined);
    if (stopped) return;
    log.warn({ err: error, retryInMs: delay }, 'change notifications lost; polling covers the gap until they are back');
    retry = setTimeout(connect, delay);
    delay = Math.min(maxDelay, delay * 2);
  };

  async function connect(): Promise<void> {
    retry = undefined;
    const current = new pg.Client({ connectionString: options.databaseUrl, application_name: LISTENER_APPLICATION_NAME });
    client = current;
    current.on('error', (error) => lost(current, error));
    current.on('end', () => lost(current));
    current.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && isNotifyingTable(message.payload)) options.onChange(message.payload);
    });
    try {
      await current.connect();
      await current.query(`listen ${CHANGES_CHANNEL}`);
    } catch (error) {
      lost(current, error);
      return;
    }
    if (client !== current || stopped) return;
    delay = initialDelay;
    setListening(true);
    log.info({ channel: CHANGES_CHANNEL }, 'listening for changes');
    // What changed while no one listened was not announced: look at everything once.
    for (const table of NOTIFYING_TABLES) options.onChange(table);
  }

  void connect();

  return {
    get listening() {
      return listening;
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      setListening(false);
      if (current) {
        current.removeAllListeners();
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}

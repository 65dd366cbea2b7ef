/**
 * How far behind the clock a sync read stops (see tokensync_sync_horizon). Where
 * the database shows the sync which transactions are writing, rows stamped
 * before the horizon are committed or hold it back, so a short margin is enough
 * and a committed alert can reach Notion well inside a second. Where it does
 * not (a role without pg_read_all_stats), SYNC_SETTLE_MS must outlast a
 * transaction from its first write to its commit, and is used as configured.
 * Migration 20261204000800_sync_sees_writers.sql says why the margin suffices.
 */
import { z } from 'zod';
import { callFunction, type SqlFunctionTransport } from '../supabase/transport.js';

/** Past the instant between a row's timestamp and its transaction showing up as writing, with room for clock steps. */
export const SEEN_WRITERS_SETTLE_MS = 100;

export interface SettleTime {
  settleMs: number;
  /** Whether the database shows the horizon which transactions are writing. */
  seesWriters: boolean;
}

export async function resolveSettleTime(transport: SqlFunctionTransport, configuredMs: number): Promise<SettleTime> {
  const seesWriters = await callFunction(transport, 'tokensync_sync_sees_writers', {}, z.boolean());
  return { seesWriters, settleMs: seesWriters ? Math.min(configuredMs, SEEN_WRITERS_SETTLE_MS) : configuredMs };
}

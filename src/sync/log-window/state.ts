/**
 * The raw-log window's memory in Postgres (schema `tokensync`, see
 * supabase/migrations/20261204000400_token_log_window.sql): the ring of slots,
 * the cursor, the token bucket of the logs lane's share, and the counts of
 * calls mirrored and left out. Typed calls to its SQL functions.
 */
import { z } from 'zod';
import type { KeysetCursor } from '../../supabase/source.js';
import { callFunction, type SqlFunctionArgs, type SqlFunctionName, type SqlFunctionTransport } from '../../supabase/transport.js';

/** One page write a plan asks for. */
export interface SlotWrite {
  slot: number;
  /** The slot's page; null: it is created. */
  pageId: string | null;
  /** The page is in the trash: the write restores it. */
  trashed: boolean;
  /** The call to show (the whole row) and the hash of what the page will show. */
  row: Record<string, unknown>;
  hash: string;
}

export interface WindowPlan {
  /** Rows the range covered. */
  scanned: number;
  /** Rows created before the window: ignored. */
  expired: number;
  unchanged: number;
  /** Changes in range that the window could show. */
  candidates: number;
  /** Of them, those not chosen: counted once the pass commits. */
  leftOut: number;
  writes: SlotWrite[];
  /** Where the cursor goes when every write went through. */
  nextCursor: KeysetCursor | null;
  /** The range stopped at the scan limit: more rows wait after it. */
  hasMore: boolean;
}

export interface PlanRequest {
  columns: readonly string[];
  salt: string;
  createdAfter: Date | null;
  /** Most writes the plan may ask for. */
  pick: number;
  pageBudget: number;
  scanLimit: number;
  settleMs: number;
  /** False while Notion refuses to create blocks: calls go only to slots that have a page. */
  mayCreate: boolean;
}

export interface RecordedWrite {
  slot: number;
  key: string;
  pageId: string;
  hash: string;
}

export interface LogWindowState {
  /**
   * Refills the logs lane's bucket (rate per second, at most `capacity`) and
   * takes up to `count` requests from it; `force` takes them all (into debt),
   * and a negative forced count gives back requests not sent. Returns what was taken.
   */
  take(request: { capacity: number; ratePerSecond: number; count: number; force?: boolean; at?: Date }): Promise<number>;
  /** Slots whose create was sent and never answered. */
  pending(): Promise<{ slot: number; key: string }[]>;
  /** What Notion holds for them: a page id, or null when the create never happened. */
  resolve(found: readonly { slot: number; pageId: string | null }[]): Promise<void>;
  /** Live pages to move to trash: calls out of the window or gone, and slots past the budget. */
  toTrim(createdBefore: Date | null, pageBudget: number, limit: number): Promise<{ slot: number; pageId: string }[]>;
  trimmed(slots: readonly number[], pageBudget: number): Promise<void>;
  plan(request: PlanRequest): Promise<WindowPlan>;
  record(rows: readonly RecordedWrite[], options: { timezone: string; at?: Date }): Promise<void>;
  /** Slots whose write was refused for good: they show nothing known, and are reused; `gone`: their page no longer exists. */
  release(slots: readonly number[], gone?: readonly number[]): Promise<void>;
  /** Moves the cursor past a planned range and counts what it left out. */
  commit(cursor: KeysetCursor | null, leftOut: number, options: { timezone: string; at?: Date }): Promise<void>;
  /** Every page's content unknown (property ids changed): each is rewritten in place. */
  forget(): Promise<void>;
}

const cursor = z.object({ updated_at: z.string(), id: z.string() });
const planResult = z.object({
  scanned: z.number().int(),
  expired: z.number().int(),
  unchanged: z.number().int(),
  candidates: z.number().int(),
  left_out: z.number().int(),
  writes: z.array(
    z.object({
      slot: z.number().int(),
      page_id: z.string().nullable(),
      trashed: z.boolean(),
      row: z.record(z.string(), z.unknown()),
      hash: z.string(),
    }),
  ),
  next_cursor: cursor.nullable(),
  has_more: z.boolean(),
});

const iso = (at: Date | undefined): { p_at?: string } => (at ? { p_at: at.toISOString() } : {});

export function createLogWindowState(transport: SqlFunctionTransport): LogWindowState {
  const call = <F extends SqlFunctionName, S extends z.ZodType>(fn: F, args: SqlFunctionArgs<F>, schema: S) => callFunction(transport, fn, args, schema);

  return {
    take: ({ capacity, ratePerSecond, count, force, at }) =>
      call(
        'tokensync_log_window_take',
        { p_capacity: Math.max(1, Math.ceil(capacity)), p_rate: ratePerSecond, p_take: count, p_force: force ?? false, p_now: at?.toISOString() ?? null },
        z.number().int(),
      ),

    pending: async () => call('tokensync_log_window_pending', {}, z.array(z.object({ slot: z.number().int(), key: z.string() }))),

    async resolve(found) {
      if (found.length === 0) return;
      await call('tokensync_log_window_resolve', { p_found: found.map((f) => ({ slot: f.slot, page_id: f.pageId })) }, z.number());
    },

    async toTrim(createdBefore, pageBudget, limit) {
      const rows = await call(
        'tokensync_log_window_to_trim',
        { p_created_before: createdBefore?.toISOString() ?? null, p_budget: pageBudget, p_limit: limit },
        z.array(z.object({ slot: z.number().int(), page_id: z.string() })),
      );
      return rows.map((r) => ({ slot: r.slot, pageId: r.page_id }));
    },

    async trimmed(slots, pageBudget) {
      if (slots.length === 0) return;
      await call('tokensync_log_window_trimmed', { p_slots: [...slots], p_budget: pageBudget }, z.number());
    },

    async plan(request) {
      const plan = await call(
        'tokensync_log_window_plan',
        {
          p_columns: [...request.columns],
          p_salt: request.salt,
          p_created_after: request.createdAfter?.toISOString() ?? null,
          p_pick: request.pick,
          p_budget: request.pageBudget,
          p_scan_limit: request.scanLimit,
          p_settle_ms: request.settleMs,
          p_may_create: request.mayCreate,
        },
        planResult,
      );
      return {
        scanned: plan.scanned,
        expired: plan.expired,
        unchanged: plan.unchanged,
        candidates: plan.candidates,
        leftOut: plan.left_out,
        writes: plan.writes.map((w) => ({ slot: w.slot, pageId: w.page_id, trashed: w.trashed, row: w.row, hash: w.hash })),
        nextCursor: plan.next_cursor ? { updatedAt: plan.next_cursor.updated_at, id: plan.next_cursor.id } : null,
        hasMore: plan.has_more,
      };
    },

    async record(rows, { timezone, at }) {
      if (rows.length === 0) return;
      const payload = rows.map((r) => ({ slot: r.slot, key: r.key, page_id: r.pageId, hash: r.hash }));
      await call('tokensync_log_window_record', { p_rows: payload, p_timezone: timezone, ...iso(at) }, z.number());
    },

    async release(slots, gone = []) {
      if (slots.length === 0 && gone.length === 0) return;
      await call('tokensync_log_window_release', { p_slots: [...slots], p_gone: [...gone] }, z.number());
    },

    async commit(next, leftOut, { timezone, at }) {
      await call(
        'tokensync_log_window_commit',
        { p_after_updated_at: next?.updatedAt ?? null, p_after_id: next?.id ?? null, p_left_out: leftOut, p_timezone: timezone, ...iso(at) },
        z.unknown(),
      );
    },

    async forget() {
      await call('tokensync_log_window_forget', {}, z.number());
    },
  };
}

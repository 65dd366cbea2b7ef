/**
 * The sync engine's memory in Postgres (schema `tokensync`, see
 * supabase/migrations/20261123000700_sync_state.sql): typed calls to its SQL
 * functions, each taking a whole batch.
 */
import { z } from 'zod';
import type { Dataset } from '../datasets.js';
import type { KeysetCursor } from '../supabase/source.js';
import { callFunction, type SqlFunctionArgs, type SqlFunctionName, type SqlFunctionTransport } from '../supabase/transport.js';
import { createLogWindowState, type LogWindowState } from './log-window/state.js';
import type { DecideOptions } from './select-options.js';

export interface PageState {
  key: string;
  /** Null when no live page is known (never created, trashed, or a create whose answer was lost). */
  pageId: string | null;
  hash: string | null;
  /** A create was sent and its answer never recorded: look the key up in Notion before creating. */
  createPending: boolean;
}

export interface SyncedRow {
  key: string;
  pageId: string;
  hash: string;
  sourceCreatedAt: string | null;
}

export interface ClaimRequest {
  key: string;
  sourceCreatedAt: string | null;
  /** The content about to be written: a row left out by the page budget keeps it. */
  hash: string;
}

export interface ClaimedPages {
  /** Key → an existing page to write over. */
  pages: Map<string, string>;
  /** Keys the page budget leaves out of Notion. */
  leftOut: Set<string>;
}

export interface TrashCandidate {
  key: string;
  pageId: string | null;
  reason: 'deleted' | 'out_of_window';
  createPending: boolean;
}

const checkpoint = z.object({ after_updated_at: z.string().nullable(), after_id: z.string().nullable() });
const lookup = z.array(
  z.object({ key: z.string(), page_id: z.string().nullable(), hash: z.string().nullable(), create_pending: z.boolean() }),
);
const toTrash = z.array(
  z.object({
    key: z.string(),
    page_id: z.string().nullable(),
    reason: z.enum(['deleted', 'out_of_window']),
    create_pending: z.boolean(),
  }),
);

const claimed = z.array(z.union([z.object({ key: z.string(), page_id: z.string() }), z.object({ key: z.string(), evicted: z.literal(true) })]));

const toCursor = (c: z.infer<typeof checkpoint>): KeysetCursor | null =>
  c.after_updated_at && c.after_id ? { updatedAt: c.after_updated_at, id: c.after_id } : null;

export interface SyncState {
  acquireLease(dataset: Dataset, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(dataset: Dataset, owner: string): Promise<void>;
  checkpoint(dataset: Dataset): Promise<KeysetCursor | null>;
  /** Moves the checkpoint forward (never back). */
  advance(dataset: Dataset, cursor: KeysetCursor): Promise<void>;
  lookup(dataset: Dataset, keys: readonly string[]): Promise<Map<string, PageState>>;
  markPending(dataset: Dataset, rows: readonly { key: string; sourceCreatedAt: string | null }[]): Promise<void>;
  record(dataset: Dataset, rows: readonly SyncedRow[]): Promise<void>;
  toTrash(dataset: Dataset, createdBefore: Date | null, limit: number): Promise<TrashCandidate[]>;
  markTrashed(dataset: Dataset, keys: readonly string[]): Promise<void>;
  /**
   * Pages that exist already for rows about to be created: pages we trashed, then,
   * past `pageBudget` live pages (0: no cap), those of the oldest rows, which are
   * evicted. Rows beyond the budget are recorded as left out (with their hash:
   * they stay out until they change). `wholeDays`: rows with the same
   * sourceCreatedAt (a rollup's day) keep or give up their pages together, and
   * a day that gave them up stays out. See tokensync_sync_claim_pages.
   */
  claimPages(dataset: Dataset, rows: readonly ClaimRequest[], pageBudget: number, options?: { wholeDays?: boolean }): Promise<ClaimedPages>;
  /** Forgets hashes and the checkpoint, so the next pass rewrites every row (pages are kept). */
  reset(dataset: Dataset): Promise<void>;
  /**
   * Records the fingerprint of the property ids pages are written with; true
   * when it replaced a different one, which forgets hashes and the checkpoint
   * as reset() does (a deleted property's values come back only by rewriting).
   */
  noteProperties(dataset: Dataset, fingerprint: string, salt: string): Promise<boolean>;
  /**
   * Records rows the sync gave up on (the checkpoint moves past them), so the
   * backlog still counts them until they are written (tokensync_sync_backlog).
   */
  noteFailures(dataset: Dataset, failures: readonly { key: string; reason: string }[]): Promise<void>;
  /** Which values of an open select get an option, decided once per value (see select-options.ts). */
  decideOptions: DecideOptions;
  /** The ring of Token Usage Logs pages (its own tables; see log-window/state.ts). */
  readonly logWindow: LogWindowState;
}

const optionDecisions = z.record(z.string(), z.string().nullable());

export function createSyncState(transport: SqlFunctionTransport): SyncState {
  const call = <F extends SqlFunctionName, S extends z.ZodType>(fn: F, args: SqlFunctionArgs<F>, schema: S) =>
    callFunction(transport, fn, args, schema);

  return {
    acquireLease: (dataset, owner, ttlMs) =>
      call('tokensync_sync_acquire_lease', { p_dataset: dataset, p_owner: owner, p_ttl_ms: Math.ceil(ttlMs) }, z.boolean()),

    async releaseLease(dataset, owner) {
      await call('tokensync_sync_release_lease', { p_dataset: dataset, p_owner: owner }, z.boolean());
    },

    checkpoint: async (dataset) => toCursor(await call('tokensync_sync_checkpoint', { p_dataset: dataset }, checkpoint)),

    async advance(dataset, cursor) {
      await call(
        'tokensync_sync_advance',
        { p_dataset: dataset, p_after_updated_at: cursor.updatedAt, p_after_id: cursor.id },
        checkpoint,
      );
    },

    async lookup(dataset, keys) {
      if (keys.length === 0) return new Map();
      const rows = await call('tokensync_sync_lookup', { p_dataset: dataset, p_keys: [...keys] }, lookup);
      return new Map(rows.map((r) => [r.key, { key: r.key, pageId: r.page_id, hash: r.hash, createPending: r.create_pending }]));
    },

    async markPending(dataset, rows) {
      if (rows.length === 0) return;
      const payload = rows.map((r) => ({ key: r.key, source_created_at: r.sourceCreatedAt }));
      await call('tokensync_sync_mark_pending', { p_dataset: dataset, p_rows: payload }, z.number());
    },

    async record(dataset, rows) {
      if (rows.length === 0) return;
      const payload = rows.map((r) => ({ key: r.key, page_id: r.pageId, hash: r.hash, source_created_at: r.sourceCreatedAt }));
      await call('tokensync_sync_record', { p_dataset: dataset, p_rows: payload }, z.number());
    },

    async toTrash(dataset, createdBefore, limit) {
      const rows = await call(
        'tokensync_sync_to_trash',
        { p_dataset: dataset, p_created_before: createdBefore?.toISOString() ?? null, p_limit: limit },
        toTrash,
      );
      return rows.map((r) => ({ key: r.key, pageId: r.page_id, reason: r.reason, createPending: r.create_pending }));
    },

    async markTrashed(dataset, keys) {
      if (keys.length === 0) return;
      await call('tokensync_sync_mark_trashed', { p_dataset: dataset, p_keys: [...keys] }, z.number());
    },

    async claimPages(dataset, rows, pageBudget, options = {}) {
      const result: ClaimedPages = { pages: new Map(), leftOut: new Set() };
      if (rows.length === 0) return result;
      const payload = rows.map((r) => ({ key: r.key, source_created_at: r.sourceCreatedAt, hash: r.hash }));
      const got = await call(
        'tokensync_sync_claim_pages',
        { p_dataset: dataset, p_rows: payload, p_page_budget: pageBudget, p_whole_days: options.wholeDays ?? false },
        claimed,
      );
      for (const row of got) {
        if ('page_id' in row) result.pages.set(row.key, row.page_id);
        else result.leftOut.add(row.key);
      }
      return result;
    },

    async reset(dataset) {
      await call('tokensync_sync_reset', { p_dataset: dataset }, z.number());
    },

    logWindow: createLogWindowState(transport),

    noteProperties: (dataset, fingerprint, salt) =>
      call('tokensync_sync_note_properties', { p_dataset: dataset, p_fingerprint: fingerprint, p_salt: salt }, z.boolean()),

    async decideOptions(dataset, property, live, values, capacity) {
      const decided = await call(
        'tokensync_select_options',
        {
          p_dataset: dataset,
          p_property: property,
          p_live: live.map((o) => ({ name: o.name, folded: o.folded })),
          p_values: values.map((v) => ({ name: v.name, folded: v.folded, raw: v.raw })),
          p_capacity: capacity,
        },
        optionDecisions,
      );
      return new Map(Object.entries(decided));
    },

    async noteFailures(dataset, failures) {
      if (failures.length === 0) return;
      const payload = failures.map((f) => ({ key: f.key, reason: f.reason }));
      await call('tokensync_sync_note_failures', { p_dataset: dataset, p_rows: payload }, z.number());
    },
  };
}

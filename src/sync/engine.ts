/**
 * One sync pass of one dataset: read rows changed after the checkpoint →
 * validate → map → hash → write only what changed → record page id and hash →
 * advance the checkpoint; then move to trash the pages of deleted rows and of
 * raw logs past the window.
 *
 * Crash safety: a create is marked pending in Postgres before it is sent, and a
 * pending key is looked up in Notion (by Supabase ID) before it is created again.
 * The checkpoint never passes a row whose write failed transiently, so the next
 * pass reads it again (rows already written are then unchanged and cost nothing).
 * A lease in Postgres keeps two runs of one dataset from overlapping anywhere.
 */
import { randomUUID } from 'node:crypto';
import type { Dataset } from '../datasets.js';
import { TokensyncError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { KeysetCursor, SupabaseSource } from '../supabase/source.js';
import { DATASET_DEFINITIONS } from './datasets/index.js';
import type { NotionGateway } from './notion-gateway.js';
import { prepareRow, type PreparedRow } from './prepare.js';
import type { PageState, SyncState, SyncedRow } from './state.js';

export const DEFAULT_PAGE_SIZE = 200;
export const DEFAULT_WRITE_CONCURRENCY = 4;
/** A run renews its lease every third of this; a killed run blocks others at most this long. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
export const DEFAULT_SETTLE_MS = 1000;
const TRASH_BATCH = 100;
/** Property ids change only when a property is deleted and re-created; setup:notion reports that. */
const PROPERTY_IDS_TTL_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** Another run of the dataset holds its lease; try again later. */
export class SyncBusyError extends TokensyncError {
  readonly code = 'sync_busy';
  constructor(dataset: Dataset) {
    super(`another run of ${dataset} is in progress`, { retryable: true, context: { dataset } });
  }
}

export interface RowFailure {
  key: string | null;
  reason: string;
  /** A later pass may succeed; the checkpoint stays before this row. */
  retryable: boolean;
}

/** The row counts of a pass. */
export const PASS_COUNTS = ['read', 'created', 'updated', 'unchanged', 'skipped', 'trashed', 'warnings'] as const;

export interface PassSummary {
  dataset: Dataset;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Raw logs past the window, not written. */
  skipped: number;
  trashed: number;
  warnings: number;
  failed: RowFailure[];
  /** False when a transient failure stopped the pass early; run it again. */
  complete: boolean;
}

export interface SyncEngineOptions {
  source: SupabaseSource;
  state: SyncState;
  gateway: NotionGateway;
  /** Data source id per dataset (recorded by setup:notion). */
  dataSources: Partial<Record<Dataset, string>>;
  logger: Logger;
  tokenLogWindowDays: number;
  pageSize?: number;
  settleMs?: number;
  writeConcurrency?: number;
  leaseTtlMs?: number;
  /** Who holds leases; unique per engine by default. */
  owner?: string;
  now?: () => Date;
  onProgress?: (summary: Readonly<PassSummary>) => void;
}

export interface PassOptions {
  /** Forget hashes and the checkpoint first: every row is read and rewritten. */
  backfill?: boolean;
}

export interface SyncEngine {
  runPass(dataset: Dataset, options?: PassOptions): Promise<PassSummary>;
}

type Write =
  | { kind: 'create'; row: PreparedRow }
  | { kind: 'update'; row: PreparedRow; pageId: string };

export const emptySummary = (dataset: Dataset): PassSummary => ({
  dataset, read: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, trashed: 0, warnings: 0, failed: [], complete: true,
});

function failureOf(key: string | null, error: unknown): RowFailure {
  const retryable = error instanceof TokensyncError ? error.retryable : true;
  return { key, reason: error instanceof Error ? error.message : String(error), retryable };
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}

export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const { source, state, gateway } = options;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `engine-${randomUUID()}`;
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const concurrency = options.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY;
  const propertyIdCache = new Map<string, { ids: Map<string, string>; until: number }>();

  async function runPass(dataset: Dataset, passOptions: PassOptions = {}): Promise<PassSummary> {
    const dataSourceId = options.dataSources[dataset];
    if (!dataSourceId) {
      throw new SyncConfigError(dataset);
    }
    // One owner per run: two runs in one process must exclude each other too.
    const runOwner = `${owner}:${randomUUID().slice(0, 8)}`;
    if (!(await state.acquireLease(dataset, runOwner, leaseTtlMs))) throw new SyncBusyError(dataset);
    const log = options.logger.child({ dataset, owner: runOwner });
    const pass = new Pass(dataset, dataSourceId, log);
    const renewal = setInterval(() => {
      state.acquireLease(dataset, runOwner, leaseTtlMs).then(
        (held) => {
          // Expired and taken by another run (a long stall): stop at the next page, leave the rest to it.
          if (!held) pass.leaseLost = true;
        },
        (error: unknown) => log.warn({ err: error }, 'could not renew the lease'),
      );
    }, leaseTtlMs / 3);
    try {
      if (passOptions.backfill) await state.reset(dataset);
      await pass.syncChanges();
      if (pass.summary.complete) await pass.trashGone();
      log.info({ ...pass.summary, failed: pass.summary.failed.length }, 'sync pass done');
      return pass.summary;
    } finally {
      clearInterval(renewal);
      await state.releaseLease(dataset, runOwner).catch((error: unknown) => log.warn({ err: error }, 'could not release the lease'));
    }
  }

  class Pass {
    readonly summary: PassSummary;
    leaseLost = false;
    private readonly definition;

    constructor(
      private readonly dataset: Dataset,
      private readonly dataSourceId: string,
      private readonly log: Logger,
    ) {
      this.summary = emptySummary(dataset);
      this.definition = DATASET_DEFINITIONS[dataset];
    }

    /** Read only when there is something to write, and reused for PROPERTY_IDS_TTL_MS. */
    private async propertyIds(): Promise<Map<string, string>> {
      const cached = propertyIdCache.get(this.dataSourceId);
      if (cached && cached.until > Date.now()) return cached.ids;
      const ids = await gateway.propertyIds(this.dataSourceId, this.definition.spec);
      propertyIdCache.set(this.dataSourceId, { ids, until: Date.now() + PROPERTY_IDS_TTL_MS });
      return ids;
    }

    private windowStart(): Date | null {
      return this.definition.windowed ? new Date(now().getTime() - options.tokenLogWindowDays * DAY_MS) : null;
    }

    async syncChanges(): Promise<void> {
      let cursor = await state.checkpoint(this.dataset);
      for (;;) {
        const page = await source.changedRows(this.dataset, cursor, {
          limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
          settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
        });
        if (page.rows.length === 0) return;
        const stopAt = await this.syncRows(page.rows, await this.propertyIds());
        const done = stopAt === undefined ? page.nextCursor : cursorBefore(page.rows, stopAt);
        if (done) await state.advance(this.dataset, done);
        options.onProgress?.(this.summary);
        if (stopAt !== undefined) {
          this.summary.complete = false;
          return;
        }
        if (!page.hasMore) return;
        if (this.leaseLost) {
          this.log.warn('lease lost to another run; stopping this one');
          this.summary.complete = false;
          return;
        }
        cursor = page.nextCursor;
      }
    }

    /** Writes one page of rows; returns the index of the first row that failed transiently, if any. */
    private async syncRows(rows: Record<string, unknown>[], ids: Map<string, string>): Promise<number | undefined> {
      this.summary.read += rows.length;
      const windowStart = this.windowStart();
      const prepared: { index: number; row: PreparedRow }[] = [];
      const expired: string[] = [];
      rows.forEach((raw, index) => {
        const row = prepareRow(this.definition, raw, ids);
        if (!row.ok) {
          this.fail({ key: row.key, reason: row.reason, retryable: false });
        } else if (windowStart && new Date(row.createdAt) < windowStart) {
          this.summary.skipped += 1;
          expired.push(row.key);
        } else {
          if (row.warnings.length > 0) {
            this.summary.warnings += row.warnings.length;
            this.log.warn({ key: row.key, warnings: row.warnings }, 'row sanitised to fit Notion');
          }
          prepared.push({ index, row });
        }
      });

      const known = await this.knownPages([...prepared.map((p) => p.row.key), ...expired]);
      await this.trashPages(expired.flatMap((key) => {
        const page = known.get(key);
        return page?.pageId ? [{ key, pageId: page.pageId }] : [];
      }));
      const writes: (Write & { index: number })[] = [];
      for (const { index, row } of prepared) {
        const page = known.get(row.key);
        if (page?.pageId && page.hash === row.hash) this.summary.unchanged += 1;
        else if (page?.pageId) writes.push({ kind: 'update', row, pageId: page.pageId, index });
        else writes.push({ kind: 'create', row, index });
      }

      const creates = writes.filter((w) => w.kind === 'create');
      await state.markPending(this.dataset, creates.map((w) => ({ key: w.row.key, sourceCreatedAt: w.row.createdAt })));

      const synced: SyncedRow[] = [];
      let firstRetryable: number | undefined;
      await inParallel(writes, concurrency, async (write) => {
        try {
          const pageId = await this.send(write);
          synced.push({ key: write.row.key, pageId, hash: write.row.hash, sourceCreatedAt: write.row.createdAt });
          this.summary[write.kind === 'create' ? 'created' : 'updated'] += 1;
        } catch (error) {
          const failure = failureOf(write.row.key, error);
          this.fail(failure);
          if (failure.retryable && (firstRetryable === undefined || write.index < firstRetryable)) firstRetryable = write.index;
        }
      });
      await state.record(this.dataset, synced);
      return firstRetryable;
    }

    private async send(write: Write): Promise<string> {
      if (write.kind === 'create') return gateway.create(this.dataSourceId, write.row.properties);
      await gateway.update(write.pageId, write.row.properties);
      return write.pageId;
    }

    /** State of `keys`, with creates whose answer was lost resolved against Notion first. */
    private async knownPages(keys: string[]): Promise<Map<string, PageState>> {
      const known = await state.lookup(this.dataset, keys);
      const unresolved = [...known.values()].filter((p) => p.createPending && !p.pageId).map((p) => p.key);
      if (unresolved.length === 0) return known;
      const found = await this.findPages(unresolved);
      for (const [key, pageId] of found) {
        // Adopted without a hash: its content is unknown, so it is rewritten once.
        known.set(key, { key, pageId, hash: null, createPending: false });
      }
      this.log.info({ pending: unresolved.length, adopted: found.size }, 'reconciled creates whose answer was lost');
      return known;
    }

    /** Key → one live page; extra pages for a key (duplicates) are moved to trash. */
    private async findPages(keys: string[]): Promise<Map<string, string>> {
      const supabaseIdProperty = (await this.propertyIds()).get('id');
      if (!supabaseIdProperty) throw new SyncConfigError(this.dataset, 'its data source has no Supabase ID property; run npm run setup:notion');
      const found = await gateway.findByKeys(this.dataSourceId, supabaseIdProperty, keys);
      const result = new Map<string, string>();
      for (const [key, pageIds] of found) {
        result.set(key, pageIds[0]!);
        for (const duplicate of pageIds.slice(1)) {
          this.log.warn({ key, pageId: duplicate }, 'duplicate page moved to trash');
          await gateway.trash(duplicate);
        }
      }
      return result;
    }

    /** Pages of deleted rows and of raw logs past the window go to trash. */
    async trashGone(): Promise<void> {
      const windowStart = this.windowStart();
      for (;;) {
        const candidates = await state.toTrash(this.dataset, windowStart, TRASH_BATCH);
        if (candidates.length === 0) return;
        const lost = candidates.filter((c) => !c.pageId).map((c) => c.key);
        const found = lost.length > 0 ? await this.findPages(lost) : new Map<string, string>();
        const all = candidates.map((c) => ({ key: c.key, pageId: c.pageId ?? found.get(c.key) ?? null }));
        if (!(await this.trashPages(all))) return;
      }
    }

    /** Trashes pages (a null page id: nothing in Notion) and records it; false when one failed. */
    private async trashPages(pages: { key: string; pageId: string | null }[]): Promise<boolean> {
      const done: string[] = [];
      await inParallel(pages, concurrency, async ({ key, pageId }) => {
        try {
          if (pageId) await gateway.trash(pageId);
          done.push(key);
          if (pageId) this.summary.trashed += 1;
        } catch (error) {
          this.fail(failureOf(key, error));
        }
      });
      await state.markTrashed(this.dataset, done);
      if (done.length === pages.length) return true;
      this.summary.complete = false;
      return false;
    }

    private fail(failure: RowFailure): void {
      this.summary.failed.push(failure);
      this.log.warn({ key: failure.key, reason: failure.reason, retryable: failure.retryable }, 'row not synced');
    }
  }

  return { runPass };
}

/** The cursor just before rows[index]: the row before it, or none when it is the first. */
function cursorBefore(rows: Record<string, unknown>[], index: number): KeysetCursor | null {
  const previous = rows[index - 1];
  return previous ? { updatedAt: String(previous.updated_at), id: String(previous.id) } : null;
}

/** The dataset cannot be synced as configured. */
export class SyncConfigError extends TokensyncError {
  readonly code = 'sync_not_configured';
  constructor(dataset: Dataset, problem = 'no Notion data source id is recorded for it; run npm run setup:notion') {
    super(`cannot sync ${dataset}: ${problem}`, { retryable: false, context: { dataset } });
  }
}

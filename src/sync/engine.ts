/**
 * One sync pass of one dataset: read the rows after the checkpoint whose content
 * hash differs from the one recorded (Postgres hashes and compares, so unchanged
 * rows never leave it) → validate → map → write → record page id and hash →
 * advance the checkpoint; then move to trash the pages of deleted rows and of
 * raw logs past the window.
 *
 * Crash safety: a create is marked pending in Postgres before it is sent, and a
 * pending key is looked up in Notion (by Supabase ID) before it is created again.
 * The checkpoint never passes a row whose write failed transiently, so the next
 * pass reads it again (rows already written are then unchanged and cost nothing).
 * A lease in Postgres keeps two runs of one dataset from overlapping anywhere.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Dataset } from '../datasets.js';
import { TokensyncError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { NotionBlockLimitError, NotionRequestError } from '../notion/client.js';
import type { KeysetCursor, RowChange, SupabaseSource } from '../supabase/source.js';
import type { CreationGate } from './creation.js';
import { DATASET_DEFINITIONS, type DatasetDefinition } from './datasets/index.js';
import { inLane } from '../notion/rate-limit/lane-context.js';
import { laneOf } from '../notion/rate-limit/lanes.js';
import { DEFAULT_LOG_WINDOW_SETTINGS, runWindowPass, type LogWindowSettings, type WindowPassContext } from './log-window/window.js';
import type { ChooseOption } from './mapping.js';
import type { LiveSchema, NotionGateway } from './notion-gateway.js';
import { prepareRow, type PreparedRow } from './prepare.js';
import { createSelectOptions, type SelectOptions } from './select-options.js';
import type { SyncState, SyncedRow } from './state.js';

/** Changed rows written (and checkpointed) per page. */
export const DEFAULT_PAGE_SIZE = 200;
/** Rows a page covers at most: an unchanged row costs only a hash in Postgres, so pages can be long. */
export const DEFAULT_SCAN_LIMIT = 5000;
export const DEFAULT_WRITE_CONCURRENCY = 4;
/** A run renews its lease every third of this; a killed run blocks others at most this long. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
export const DEFAULT_SETTLE_MS = 1000;
const TRASH_BATCH = 100;
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
export const PASS_COUNTS = ['read', 'created', 'updated', 'unchanged', 'skipped', 'held', 'trashed', 'warnings', 'leftOut'] as const;

export interface PassSummary {
  dataset: Dataset;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows not written: raw logs past the window, and rows a page budget leaves out. */
  skipped: number;
  /** Rows that need a new page while Notion refuses to create blocks: read again once creation resumes. */
  held: number;
  trashed: number;
  warnings: number;
  /** Raw-log changes not mirrored: over the logs lane's share of the rate limit (counted, never silent). */
  leftOut: number;
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
  /** The Token Usage Logs window: page budget and request share (default DEFAULT_LOG_WINDOW_SETTINGS). */
  logWindow?: LogWindowSettings;
  /** Changed rows per page (default DEFAULT_PAGE_SIZE). */
  pageSize?: number;
  /** Rows a page covers at most (default DEFAULT_SCAN_LIMIT). */
  scanLimit?: number;
  settleMs?: number;
  /**
   * Live pages a dataset may hold at most (0 or absent: no cap). Past it, the
   * oldest rows' pages are written over by newer rows instead of creating pages:
   * Notion counts every page as a block, and some workspaces have a lifetime cap.
   */
  pageBudgets?: Partial<Record<Dataset, number>>;
  writeConcurrency?: number;
  leaseTtlMs?: number;
  /** Who holds leases; unique per engine by default. */
  owner?: string;
  now?: () => Date;
  onProgress?: (summary: Readonly<PassSummary>) => void;
  /** Whether Notion still creates blocks (the workspace block limit); without it a refused create fails its row. */
  creation?: CreationGate;
  /**
   * Aborted when the process stops: passes stop launching writes, wait for those
   * in flight, and checkpoint before the first one not sent (incomplete, not failed).
   */
  signal?: AbortSignal;
}

export interface PassOptions {
  /** Forget hashes and the checkpoint first: every row is read and rewritten. */
  backfill?: boolean;
}

export interface SyncEngine {
  runPass(dataset: Dataset, options?: PassOptions): Promise<PassSummary>;
}

interface Write {
  /** Position in the page's changes: the checkpoint never passes a transient failure. */
  index: number;
  change: RowChange;
  row: PreparedRow;
  /** Where the row lives in Notion; null: it is created. */
  pageId: string | null;
}

export const emptySummary = (dataset: Dataset): PassSummary => ({
  dataset, read: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, held: 0, trashed: 0, warnings: 0, leftOut: 0, failed: [], complete: true,
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
      if (dataset === 'token_usage_logs') {
        // Raw logs are a bounded window of recent calls, a ring of pages (log-window/).
        if (passOptions.backfill) await state.logWindow.forget();
        await pass.runWindow();
        // The window gives a refused call's slot back and moves on: the backlog must still count it.
        await pass.noteGivenUp(pass.summary.failed);
      } else {
        if (passOptions.backfill) await state.reset(dataset);
        // Before the checkpoint is read: a pass allowed to check the block limit reads its held rows again.
        if (options.creation && !(await options.creation.mayCreate(dataset))) pass.creationStopped = true;
        await pass.syncChanges();
        if (pass.summary.complete) await pass.trashGone();
      }
      log.info({ ...pass.summary, failed: pass.summary.failed.length }, 'sync pass done');
      return pass.summary;
    } finally {
      clearInterval(renewal);
      await state.releaseLease(dataset, runOwner).catch((error: unknown) => log.warn({ err: error }, 'could not release the lease'));
    }
  }

  /** The schema per data source, read once and again only when Notion refuses a write (see Pass.send). */
  const schemaCache = new Map<string, Promise<LiveSchema>>();
  /** Open selects' decisions per data source, kept for the process (they never change). */
  const selectOptionsCache = new Map<string, SelectOptions>();

  class Pass implements WindowPassContext {
    readonly summary: PassSummary;
    leaseLost = false;
    /** The property ids changed since pages were last written: the state was reset, every row will be rewritten. */
    private rewriteAll = false;
    private readonly definition: DatasetDefinition;
    /** Set once this pass has re-read the property ids after a refused write. */
    private refreshedIds: Promise<Map<string, string> | null> | undefined;
    /** Set once this pass has told the state which ids it writes with. */
    private noted: Promise<void> | undefined;
    /** Notion refuses creates (the workspace block limit): rows that need a new page are held. */
    creationStopped = false;

    constructor(
      private readonly dataset: Dataset,
      private readonly dataSourceId: string,
      readonly log: Logger,
    ) {
      this.summary = emptySummary(dataset);
      this.definition = DATASET_DEFINITIONS[dataset];
    }

    /**
     * Property ids survive renames; they change only when a property is deleted
     * (and perhaps re-created by setup:notion). A write that names a stale id is
     * refused as invalid, which is when they are read again. The same read tells
     * the open selects which options Notion has.
     */
    private async propertyIds(): Promise<Map<string, string>> {
      let schema = schemaCache.get(this.dataSourceId);
      if (!schema) {
        schema = gateway.readSchema(this.dataSourceId, this.definition.spec);
        schemaCache.set(this.dataSourceId, schema);
        schema.then((read) => this.selectOptions().setLive(read.options), () => schemaCache.delete(this.dataSourceId));
      }
      return (await schema).ids;
    }

    private selectOptions(): SelectOptions {
      let selects = selectOptionsCache.get(this.dataSourceId);
      if (!selects) {
        selects = createSelectOptions(this.dataset, this.definition.spec, state.decideOptions);
        selectOptionsCache.set(this.dataSourceId, selects);
      }
      return selects;
    }

    /** Decides the open-select values of `rows` not decided yet; the mapping then shows each as decided. */
    async optionChoices(rows: readonly Record<string, unknown>[]): Promise<ChooseOption> {
      await this.propertyIds();
      const selects = this.selectOptions();
      await selects.admit(rows);
      return selects.choose;
    }

    /** The ids this pass writes with, recorded in the state (once per pass) before the first write. */
    async writingIds(): Promise<Map<string, string>> {
      const ids = await this.propertyIds();
      this.noted ??= this.noteIds(ids);
      await this.noted;
      return ids;
    }

    /**
     * When pages were written with other ids, or by another mapping (MAPPING_VERSION,
     * the catalogue's shape), the state forgets its hashes and checkpoint: every page is rewritten.
     */
    private async noteIds(ids: Map<string, string>): Promise<void> {
      if (await state.noteProperties(this.dataset, fingerprintOf(ids, this.definition), this.definition.salt)) {
        this.rewriteAll = true;
        this.log.warn('Notion property ids or the mapping changed since pages were written (a property deleted or re-created, or a new version): every page is rewritten');
      }
    }

    /** Re-reads the property ids once per pass; resolves to them when they changed, else null. */
    refreshPropertyIds(): Promise<Map<string, string> | null> {
      this.refreshedIds ??= (async () => {
        const before = await this.propertyIds();
        schemaCache.delete(this.dataSourceId);
        const after = await this.propertyIds();
        if (fingerprintOf(after, this.definition) === fingerprintOf(before, this.definition)) return null;
        await this.noteIds(after);
        return after;
      })();
      return this.refreshedIds;
    }

    /** True once when the property ids changed since pages were written: every page must be rewritten. */
    takeRewriteAll(): boolean {
      const due = this.rewriteAll;
      this.rewriteAll = false;
      return due;
    }

    isLeaseLost(): boolean {
      return this.leaseLost;
    }

    /** Token Usage Logs: the ring of pages, within the logs lane's share (see log-window/window.ts). */
    runWindow(): Promise<void> {
      return runWindowPass(
        {
          state: state.logWindow,
          gateway,
          dataSourceId: this.dataSourceId,
          definition: this.definition,
          settings: options.logWindow ?? DEFAULT_LOG_WINDOW_SETTINGS,
          tokenLogWindowDays: options.tokenLogWindowDays,
          settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
          writeConcurrency: concurrency,
          now,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.creation ? { creation: options.creation } : {}),
        },
        this,
      );
    }

    private windowStart(): Date | null {
      return this.definition.windowed ? new Date(now().getTime() - options.tokenLogWindowDays * DAY_MS) : null;
    }

    /** Pages of changed rows after the checkpoint, written and checkpointed one page at a time. */
    async syncChanges(): Promise<void> {
      let cursor = await state.checkpoint(this.dataset);
      for (;;) {
        if (options.signal?.aborted) {
          this.summary.complete = false;
          return;
        }
        const page = await source.syncChanges(this.dataset, cursor, {
          limit: options.scanLimit ?? DEFAULT_SCAN_LIMIT,
          maxChanges: options.pageSize ?? DEFAULT_PAGE_SIZE,
          settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
          columns: this.definition.columns,
          salt: this.definition.salt,
          createdAfter: this.windowStart(),
        });
        if (page.scanned === 0) return;
        this.summary.read += page.scanned;
        this.summary.skipped += page.expired;
        this.summary.unchanged += page.scanned - page.expired - page.changes.length;
        if (page.expiredPages.length > 0) await this.trashResolving(page.expiredPages);
        const stopAt = page.changes.length > 0 ? await this.writeChanges(page.changes, cursor) : undefined;
        if (this.rewriteAll) {
          // The state was reset under this pass (new property ids): start again from the first row.
          this.rewriteAll = false;
          cursor = null;
          continue;
        }
        const done = stopAt === undefined ? page.nextCursor : cursorBefore(page.changes, stopAt);
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

    /**
     * Writes one page of changes (read after `from`); returns the index of the
     * first one that failed transiently, if any.
     */
    private async writeChanges(changes: RowChange[], from: KeysetCursor | null): Promise<number | undefined> {
      const ids = await this.writingIds();
      if (this.rewriteAll) return undefined;
      const failedBefore = this.summary.failed.length;
      const writes: Write[] = [];
      const choose = await this.optionChoices(changes.map((c) => c.row));
      changes.forEach((change, index) => {
        const row = prepareRow(this.definition, change.row, ids, choose);
        if (!row.ok) {
          this.fail({ key: row.key, reason: row.reason, retryable: false });
          return;
        }
        if (row.warnings.length > 0) {
          this.summary.warnings += row.warnings.length;
          this.log.warn({ key: row.key, warnings: row.warnings }, 'row sanitised to fit Notion');
        }
        writes.push({ index, change, row, pageId: change.pageId });
      });
      await this.adoptLostCreates(writes);
      // Existing pages first: a row written over one needs no create, whatever the block limit says.
      await this.reuseExistingPages(writes);
      const held: Write[] = [];
      const sending: Write[] = [];
      for (const write of writes) (this.creationStopped && !write.pageId ? held : sending).push(write);
      await state.markPending(
        this.dataset,
        sending.filter((w) => !w.pageId).map((w) => ({ key: w.row.key, sourceCreatedAt: w.row.createdAt })),
      );

      const synced: SyncedRow[] = [];
      let firstRetryable: number | undefined;
      await inParallel(sending, concurrency, async (write) => {
        if (options.signal?.aborted) {
          // Not sent: the checkpoint stays before it, the next pass sends it.
          if (firstRetryable === undefined || write.index < firstRetryable) firstRetryable = write.index;
          return;
        }
        if (!write.pageId && this.creationStopped) {
          held.push(write);
          return;
        }
        try {
          const pageId = await this.send(write);
          synced.push({ key: write.row.key, pageId, hash: write.change.hash, sourceCreatedAt: write.row.createdAt });
          this.summary[write.pageId ? 'updated' : 'created'] += 1;
          if (!write.pageId) await options.creation?.created();
        } catch (error) {
          if (error instanceof NotionBlockLimitError && options.creation) {
            // Not this row's fault and not worth retrying: every create is held until the workspace can create again.
            this.creationStopped = true;
            held.push(write);
            await options.creation.stopped(error);
            return;
          }
          const failure = failureOf(write.row.key, error);
          this.fail(failure);
          if (failure.retryable && (firstRetryable === undefined || write.index < firstRetryable)) firstRetryable = write.index;
        }
      });
      await state.record(this.dataset, synced);
      await this.noteGivenUp(this.summary.failed.slice(failedBefore));
      if (held.length > 0) {
        // Past the checkpoint but not in Notion: when creation resumes the checkpoint goes back to `from`.
        this.summary.held += held.length;
        await options.creation?.hold(this.dataset, from);
      }
      return firstRetryable;
    }

    /** Rows that failed for good are left behind by the checkpoint: the backlog must still count them. */
    async noteGivenUp(failures: RowFailure[]): Promise<void> {
      const givenUp = failures.filter((f): f is RowFailure & { key: string } => !f.retryable && f.key !== null);
      await state.noteFailures(this.dataset, givenUp.map((f) => ({ key: f.key, reason: f.reason })));
    }

    /** Creates whose answer was lost are looked up in Notion (by Supabase ID); a page found is updated instead. */
    private async adoptLostCreates(writes: Write[]): Promise<void> {
      const lost = writes.filter((w) => w.change.createPending && !w.pageId);
      if (lost.length === 0) return;
      const found = await this.findPages(lost.map((w) => w.row.key));
      for (const write of lost) write.pageId = found.get(write.row.key) ?? null;
      this.log.info({ pending: lost.length, adopted: found.size }, 'reconciled creates whose answer was lost');
    }

    /**
     * Rows about to be created take pages that exist already (trashed by us, or
     * past the page budget the oldest rows'), so creating a page, which is a new
     * block in Notion, is the last resort.
     */
    private async reuseExistingPages(writes: Write[]): Promise<void> {
      const creates = writes.filter((w) => !w.pageId);
      if (creates.length === 0) return;
      const budget = options.pageBudgets?.[this.dataset] ?? 0;
      const claimed = await state.claimPages(
        this.dataset,
        creates.map((w) => ({ key: w.row.key, sourceCreatedAt: w.row.createdAt, hash: w.change.hash })),
        budget,
        { wholeDays: this.definition.byDay },
      );
      for (const write of creates) write.pageId = claimed.pages.get(write.row.key) ?? null;
      if (claimed.leftOut.size > 0) {
        // Older than every row the budget keeps: recorded as left out, nothing to send.
        for (let i = writes.length - 1; i >= 0; i--) if (claimed.leftOut.has(writes[i]!.row.key)) writes.splice(i, 1);
        this.summary.skipped += claimed.leftOut.size;
      }
      if (claimed.pages.size > 0 || claimed.leftOut.size > 0) {
        this.log.debug({ reused: claimed.pages.size, leftOut: claimed.leftOut.size, budget }, 'page budget and recycling: no new page for these rows');
      }
    }

    /**
     * Sends a write; when Notion refuses it as invalid and the property ids have
     * changed since they were read, the row is mapped again and sent once more.
     */
    private async send(write: Write): Promise<string> {
      try {
        return await this.sendOnce(write.pageId, write.row.properties, write.row.key);
      } catch (error) {
        if (!(error instanceof NotionRequestError && error.notionCode === 'validation_error')) throw error;
        const fresh = await this.refreshPropertyIds();
        const again = fresh ? prepareRow(this.definition, write.change.row, fresh, this.selectOptions().choose) : undefined;
        if (!again?.ok) throw error;
        return this.sendOnce(write.pageId, again.properties, write.row.key);
      }
    }

    private async sendOnce(pageId: string | null, properties: PreparedRow['properties'], key?: string): Promise<string> {
      if (!pageId) return gateway.create(this.dataSourceId, properties);
      try {
        await gateway.update(pageId, properties, { restore: true });
        return pageId;
      } catch (error) {
        // The page is gone for good (its trash was emptied): the row gets a page again, found or created.
        if (!(key && error instanceof NotionRequestError && error.notionCode === 'object_not_found')) throw error;
        const found = (await this.findPages([key])).get(key);
        if (found) return this.sendOnce(found, properties);
        return gateway.create(this.dataSourceId, properties);
      }
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
      while (!options.signal?.aborted) {
        const candidates = await state.toTrash(this.dataset, windowStart, TRASH_BATCH);
        if (candidates.length === 0) return;
        if (!(await this.trashResolving(candidates))) return;
      }
    }

    /** Trashes pages, first looking up in Notion those whose create answer was lost; false when one failed. */
    private async trashResolving(candidates: { key: string; pageId: string | null; createPending: boolean }[]): Promise<boolean> {
      const lost = candidates.filter((c) => !c.pageId && c.createPending).map((c) => c.key);
      const found = lost.length > 0 ? await this.findPages(lost) : new Map<string, string>();
      return this.trashPages(candidates.map((c) => ({ key: c.key, pageId: c.pageId ?? found.get(c.key) ?? null })));
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

    fail(failure: RowFailure): void {
      this.summary.failed.push(failure);
      this.log.warn({ key: failure.key, reason: failure.reason, retryable: failure.retryable }, 'row not synced');
    }
  }

  // Every Notion request of a pass waits in its dataset's lane: a raw-log backlog never holds back an alert.
  return { runPass: (dataset, passOptions) => inLane(laneOf(dataset), () => runPass(dataset, passOptions)) };
}

/**
 * Property ids as one short string: equal strings, equal ids. Open selects'
 * "(exact)" properties are left out: setup:notion adding one to a workspace
 * must not rewrite every page (they are empty where the select shows the value).
 */
function fingerprintOf(ids: ReadonlyMap<string, string>, definition: DatasetDefinition): string {
  const exact = new Set(definition.spec.properties.filter((p) => p.exactOf !== undefined).map((p) => p.key));
  const pairs = [...ids].filter(([key]) => !exact.has(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('base64url').slice(0, 22);
}

/**
 * Where to resume when changes[index] failed: after the change before it (the
 * unchanged rows between them are read again, which costs no Notion request),
 * or nowhere new when the first change failed.
 */
function cursorBefore(changes: RowChange[], index: number): KeysetCursor | null {
  const previous = changes[index - 1]?.row;
  return previous ? { updatedAt: String(previous.updated_at), id: String(previous.id) } : null;
}

/** The dataset cannot be synced as configured. */
export class SyncConfigError extends TokensyncError {
  readonly code = 'sync_not_configured';
  constructor(dataset: Dataset, problem = 'no Notion data source id is recorded for it; run npm run setup:notion') {
    super(`cannot sync ${dataset}: ${problem}`, { retryable: false, context: { dataset } });
  }
}

/**
 * A sync pass of Token Usage Logs: a bounded window of recent calls, kept as a
 * ring of pages (see supabase/migrations/20261204000400_token_log_window.sql).
 *
 * 1. Creates whose answer was lost are looked up in Notion (by Supabase ID)
 *    before anything else, so a slot never gets a second page.
 * 2. Slots whose call left the window (or was deleted), and slots past the page
 *    budget, are moved to trash: before the writes, between every batch of
 *    them, and after, so trimming never waits for a pass to finish.
 * 3. The logs lane's token bucket says how many writes this pass may send (its
 *    share of the rate limit since the last pass); Postgres chooses that many of
 *    the changed calls (already shown first, then failed, costliest, over
 *    budget, newest) and assigns them slots. The rest of the range is left out,
 *    counted once the writes went through, and the cursor moves past it.
 * 4. A chosen call goes to its slot: a create only while the ring is not full,
 *    otherwise one in-place update (restoring a trashed page in the same request).
 *
 * While Notion refuses to create blocks (the creation gate, ../creation.ts), plans
 * assign calls only to slots that have a page, so the window never sends a
 * create: a ring the block limit stopped short of its budget is the ring, and
 * what it cannot take is left out and counted. A create refused for the block
 * limit stops creation everywhere, the pass's updates go on, and the range is
 * planned again without creates. When creation resumes the ring grows back to
 * its budget.
 *
 * A write that fails transiently keeps the cursor where it was: the next pass
 * plans the same range again (calls written meanwhile are unchanged and cost
 * nothing) and counts what it leaves out then, so the counts stay exact.
 */
import type { Logger } from '../../logging/logger.js';
import { NotionBlockLimitError, NotionRequestError } from '../../notion/client.js';
import { TokensyncError } from '../../errors.js';
import type { CreationGate } from '../creation.js';
import type { DatasetDefinition } from '../datasets/index.js';
import type { NotionGateway } from '../notion-gateway.js';
import type { ChooseOption } from '../mapping.js';
import { prepareRow } from '../prepare.js';
import type { LogWindowState, RecordedWrite, SlotWrite } from './state.js';

/** Pages the window holds at most: see docs/limits.md and docs/configuration.md (TOKEN_LOG_PAGE_BUDGET). */
export const DEFAULT_TOKEN_LOG_PAGE_BUDGET = 500;
/** The fraction of NOTION_REQUESTS_PER_SECOND the logs lane may use over time. */
/** 0.15 requests/s at Notion's 3/s: at 1M calls/day (11.6/s) the window costs ≤ 0.013 requests per call, a quarter of the volume bar. */
export const DEFAULT_TOKEN_LOG_REQUEST_SHARE = 0.05;
/** The bucket holds this many seconds of the share: a pass after a quiet spell may burst this much. */
export const DEFAULT_BURST_SECONDS = 60;
/** Rows one plan covers at most; a longer backlog is planned (and mostly left out) in several ranges. */
export const DEFAULT_WINDOW_SCAN_LIMIT = 200_000;
/** Writes sent between two trims. */
export const TRIM_EVERY_WRITES = 25;
const TRIM_BATCH = 100;
const DAY_MS = 86_400_000;

export interface LogWindowSettings {
  /** Live pages the window holds at most (TOKEN_LOG_PAGE_BUDGET). */
  pageBudget: number;
  /** Fraction of `requestsPerSecond` the window's writes and trims may use (TOKEN_LOG_REQUEST_SHARE). */
  requestShare: number;
  /** The token's Notion rate (NOTION_REQUESTS_PER_SECOND). */
  requestsPerSecond: number;
  /** Days for "mirrored / left out today" (REPORT_TIMEZONE). */
  timezone: string;
  burstSeconds?: number;
  scanLimit?: number;
}

export const DEFAULT_LOG_WINDOW_SETTINGS: LogWindowSettings = {
  pageBudget: DEFAULT_TOKEN_LOG_PAGE_BUDGET,
  requestShare: DEFAULT_TOKEN_LOG_REQUEST_SHARE,
  requestsPerSecond: 3,
  timezone: 'UTC',
};

/** What the window needs from the engine's pass: its counts, property ids and failure reporting. */
export interface WindowPassContext {
  readonly summary: {
    read: number; created: number; updated: number; unchanged: number; skipped: number; trashed: number;
    warnings: number; leftOut: number; complete: boolean;
  };
  readonly log: Logger;
  /** Property ids to write with; true from `takeRewriteAll` when they changed since pages were written. */
  writingIds(): Promise<Map<string, string>>;
  takeRewriteAll(): boolean;
  /** Re-reads the ids once per pass after a refused write; the fresh ids when they changed, else null. */
  refreshPropertyIds(): Promise<Map<string, string> | null>;
  /** Decides the open-select values of `rows` (model, provider, …): which option each shows as. */
  optionChoices(rows: readonly Record<string, unknown>[]): Promise<ChooseOption>;
  fail(failure: { key: string | null; reason: string; retryable: boolean }): void;
  isLeaseLost(): boolean;
}

export interface LogWindowOptions {
  state: LogWindowState;
  gateway: NotionGateway;
  dataSourceId: string;
  definition: DatasetDefinition;
  settings: LogWindowSettings;
  tokenLogWindowDays: number;
  settleMs: number;
  writeConcurrency: number;
  now: () => Date;
  signal?: AbortSignal;
  /** Whether Notion still creates blocks; without it a refused create fails its call like any other refusal. */
  creation?: CreationGate;
}

/** How a plan's writes went: all sent, one failed transiently (or was not sent), or creation stopped under them. */
type WriteOutcome = 'done' | 'incomplete' | 'replan';

const retryableOf = (error: unknown) => (error instanceof TokensyncError ? error.retryable : true);
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isArchived = (error: unknown) =>
  error instanceof NotionRequestError && error.notionCode === 'validation_error' && /archived/i.test(error.message);

/** The window cannot run as Notion is set up. */
export class LogWindowConfigError extends TokensyncError {
  readonly code = 'log_window_not_configured';
  constructor(problem: string) {
    super(`cannot sync token_usage_logs: ${problem}`, { retryable: false, context: { dataset: 'token_usage_logs' } });
  }
}

/** The bucket's size and refill rate for these settings. */
export function bucketOf(settings: LogWindowSettings): { capacity: number; ratePerSecond: number } {
  const ratePerSecond = settings.requestShare * settings.requestsPerSecond;
  // Rounded first: 0.1 × 3 is 0.30000000000000004, and a minute of it is 18 requests, not 19.
  const burst = Math.round(ratePerSecond * (settings.burstSeconds ?? DEFAULT_BURST_SECONDS) * 1e6) / 1e6;
  return { ratePerSecond, capacity: Math.max(1, Math.ceil(burst)) };
}

/** Runs one pass of the window into `ctx.summary`. */
export async function runWindowPass(options: LogWindowOptions, ctx: WindowPassContext): Promise<void> {
  const { state, gateway, settings } = options;
  const bucket = bucketOf(settings);
  const windowStart = () => new Date(options.now().getTime() - options.tokenLogWindowDays * DAY_MS);
  const aborted = () => options.signal?.aborted === true;
  /** Notion refuses creates (the workspace block limit): plans use only the pages the ring has. */
  let creationStopped = options.creation ? !(await options.creation.mayCreate('token_usage_logs')) : false;
  /** Calls of the current plan that needed a create while creation was stopped: left out. */
  let notCreated = 0;

  async function resolveLostCreates(): Promise<void> {
    const pending = await state.pending();
    if (pending.length === 0) return;
    const supabaseId = (await ctx.writingIds()).get('id');
    if (!supabaseId) throw new LogWindowConfigError('its data source has no Supabase ID property; run npm run setup:notion');
    const found = await gateway.findByKeys(options.dataSourceId, supabaseId, pending.map((p) => p.key));
    await state.resolve(pending.map((p) => ({ slot: p.slot, pageId: found.get(p.key)?.[0] ?? null })));
    ctx.log.info({ pending: pending.length, adopted: pending.filter((p) => found.has(p.key)).length }, 'reconciled creates whose answer was lost');
  }

  /** One batch of trims; false when there was nothing to trim or one failed. */
  async function trimBatch(): Promise<boolean> {
    const slots = await state.toTrim(windowStart(), settings.pageBudget, TRIM_BATCH);
    if (slots.length === 0) return false;
    await state.take({ ...bucket, count: slots.length, force: true, at: options.now() });
    const done: number[] = [];
    let failed = false;
    await inParallel(slots, options.writeConcurrency, async ({ slot, pageId }) => {
      try {
        await gateway.trash(pageId);
        done.push(slot);
      } catch (error) {
        failed = true;
        ctx.fail({ key: null, reason: `trash slot ${slot}: ${reasonOf(error)}`, retryable: retryableOf(error) });
      }
    });
    await state.trimmed(done, settings.pageBudget);
    ctx.summary.trashed += done.length;
    if (failed) ctx.summary.complete = false;
    return !failed && slots.length === TRIM_BATCH;
  }

  async function trimAll(): Promise<void> {
    while (!aborted() && (await trimBatch()));
  }

  /** Sends one slot write; returns the page it went to. */
  async function send(write: SlotWrite, properties: Record<string, unknown>): Promise<string> {
    const props = properties as Parameters<NotionGateway['update']>[1];
    if (!write.pageId) return gateway.create(options.dataSourceId, props);
    try {
      await gateway.update(write.pageId, props, { restore: write.trashed });
    } catch (error) {
      // Someone trashed the page in Notion: restore it with this write.
      if (!isArchived(error) || write.trashed) throw error;
      await gateway.update(write.pageId, props, { restore: true });
    }
    return write.pageId;
  }

  /** Set when every page's content became unknown (new property ids): the pass plans again to rewrite them. */
  let rewriteDue = false;
  async function forgetIfIdsChanged(): Promise<void> {
    if (!ctx.takeRewriteAll()) return;
    await state.forget();
    rewriteDue = true;
  }

  /**
   * Writes one plan's writes. 'replan' when Notion refused a create for the
   * block limit meanwhile: the updates went on, the calls that needed a page
   * gave their slots back, and the same range is planned again without creates.
   */
  async function writeAll(writes: SlotWrite[]): Promise<WriteOutcome> {
    // Nothing to write needs no property ids: a pass over unchanged calls sends no request.
    if (writes.length === 0) return 'done';
    let ids = await ctx.writingIds();
    await forgetIfIdsChanged();
    // The whole plan at once: when a select fills up, its most used new values get the options.
    const choose = await ctx.optionChoices(writes.map((w) => w.row));
    let clean = true;
    let stoppedHere = false;
    notCreated = 0;
    for (let start = 0; start < writes.length; start += TRIM_EVERY_WRITES) {
      if (aborted() || ctx.isLeaseLost()) return 'incomplete';
      const batch = writes.slice(start, start + TRIM_EVERY_WRITES);
      const recorded: RecordedWrite[] = [];
      const released: number[] = [];
      const gone: number[] = [];
      await inParallel(batch, options.writeConcurrency, async (write) => {
        if (aborted()) {
          clean = false;
          return;
        }
        const key = typeof write.row.id === 'string' ? write.row.id : null;
        let row = prepareRow(options.definition, write.row, ids, choose);
        if (!row.ok) {
          ctx.fail({ key: row.key, reason: row.reason, retryable: false });
          released.push(write.slot);
          return;
        }
        if (row.warnings.length > 0) {
          ctx.summary.warnings += row.warnings.length;
          ctx.log.warn({ key: row.key, warnings: row.warnings }, 'row sanitised to fit Notion');
        }
        if (!write.pageId && creationStopped) {
          // No create while Notion refuses new blocks: the slot is given back, the call left out.
          released.push(write.slot);
          notCreated += 1;
          return;
        }
        try {
          let pageId: string;
          try {
            pageId = await send(write, row.properties);
          } catch (error) {
            // A property deleted and re-created in Notion: map with the new ids and send once more.
            if (!(error instanceof NotionRequestError && error.notionCode === 'validation_error')) throw error;
            const fresh = await ctx.refreshPropertyIds();
            const again = fresh ? prepareRow(options.definition, write.row, fresh, choose) : undefined;
            if (!again?.ok) throw error;
            if (fresh) ids = fresh;
            row = again;
            pageId = await send(write, row.properties);
          }
          recorded.push({ slot: write.slot, key: row.key, pageId, hash: write.hash });
          ctx.summary[write.pageId ? 'updated' : 'created'] += 1;
          if (!write.pageId) await options.creation?.created();
        } catch (error) {
          if (error instanceof NotionBlockLimitError && options.creation && !write.pageId) {
            // Not this call's fault and not worth retrying: every process stops creating.
            if (!creationStopped) stoppedHere = true;
            creationStopped = true;
            released.push(write.slot);
            await options.creation.stopped(error);
            return;
          }
          const retryable = retryableOf(error);
          ctx.fail({ key, reason: reasonOf(error), retryable });
          if (retryable) clean = false;
          // Refused for good (a transient failure keeps the slot: pending, or due, for the next pass);
          // a page deleted in Notion is forgotten, so the slot gets a new one.
          else if (write.pageId && error instanceof NotionRequestError && error.notionCode === 'object_not_found') gone.push(write.slot);
          else released.push(write.slot);
        }
      });
      // Forget before recording: what this batch wrote used the new ids and stays known.
      await forgetIfIdsChanged();
      await state.record(recorded, { timezone: settings.timezone, at: options.now() });
      await state.release(released, gone);
      await trimBatch();
    }
    if (stoppedHere) return 'replan';
    return clean ? 'done' : 'incomplete';
  }

  await resolveLostCreates();
  await trimAll();
  for (;;) {
    if (aborted() || ctx.isLeaseLost()) {
      ctx.summary.complete = false;
      return;
    }
    const granted = await state.take({ ...bucket, count: Math.min(bucket.capacity, settings.pageBudget), at: options.now() });
    const plan = await state.plan({
      columns: options.definition.columns,
      salt: options.definition.salt,
      createdAfter: windowStart(),
      pick: granted,
      pageBudget: settings.pageBudget,
      scanLimit: settings.scanLimit ?? DEFAULT_WINDOW_SCAN_LIMIT,
      settleMs: options.settleMs,
      mayCreate: !creationStopped,
    });
    // Requests granted and not needed go back to the bucket.
    if (granted > plan.writes.length) await state.take({ ...bucket, count: plan.writes.length - granted, force: true, at: options.now() });
    const outcome = await writeAll(plan.writes);
    if (outcome === 'replan') {
      // What was written is unchanged now and costs nothing; the rest is planned again, into existing pages.
      ctx.log.warn('Notion refuses to create blocks: Token Usage Logs keeps the pages it has and overwrites them in place');
      continue;
    }
    ctx.summary.read += plan.scanned;
    ctx.summary.skipped += plan.expired;
    ctx.summary.unchanged += plan.unchanged;
    if (outcome === 'incomplete') {
      ctx.summary.complete = false;
      return;
    }
    const leftOut = plan.leftOut + notCreated;
    if (plan.nextCursor || leftOut > 0) await state.commit(plan.nextCursor, leftOut, { timezone: settings.timezone, at: options.now() });
    ctx.summary.leftOut += leftOut;
    if (plan.leftOut > 0) ctx.log.info({ leftOut: plan.leftOut, written: plan.writes.length }, 'calls left out of Token Usage Logs (over the logs lane share)');
    if (notCreated > 0) ctx.log.info({ leftOut: notCreated }, 'calls left out of Token Usage Logs (Notion creates no more blocks)');
    if (!plan.hasMore && !rewriteDue) break;
    rewriteDue = false;
  }
  await trimAll();
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * Token Usage Logs as a bounded window: a ring of pages within the logs lane's
 * share of the rate limit, against real Postgres and the Notion fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TokensyncError } from '../../src/errors.js';
import type { SyncEngineOptions } from '../../src/sync/engine.js';
import { leftOutSentence } from '../../src/sync/log-window/sentence.js';
import type { LogWindowSettings } from '../../src/sync/log-window/window.js';
import { insertLimits, insertLogs, type Row } from '../support/fixtures.js';
import { runReportJob } from '../../src/jobs/reporting.js';
import { createNotionClient } from '../../src/notion/client.js';
import { PARENT, pagesByKey, startSyncHarness, type SyncHarness } from './harness.js';

/** Every piece of text a page's blocks show, nested blocks included. */
function textOf(x: SyncHarness, blockId: string): string {
  return (x.fake.state.blocks(blockId) as Record<string, any>[])
    .map((block) => {
      const rich = (block[block.type]?.rich_text ?? []) as { plain_text: string }[];
      return rich.map((t) => t.plain_text).join('') + '\n' + (block.has_children ? textOf(x, block.id) : '');
    })
    .join('\n');
}

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const creates = (x: SyncHarness) => x.fake.count({ method: 'POST', route: '/v1/pages' });
const updates = (x: SyncHarness) => x.fake.count({ method: 'PATCH', route: '/v1/pages/:page_id' });
const livePages = (x: SyncHarness) => x.fake.state.pageCount(x.dataSources.token_usage_logs);
const allPages = (x: SyncHarness) => x.fake.state.pageCount(x.dataSources.token_usage_logs, { includeTrashed: true });
const status = (x: SyncHarness, pageBudget: number, at?: Date) =>
  x.source.logWindowStatus({ pageBudget, windowDays: 30, ...(at ? { at } : {}) });

/** A window of `pageBudget` pages whose bucket holds `capacity` requests and refills at `perSecond`. */
function windowOf(pageBudget: number, capacity: number, perSecond = 1): LogWindowSettings {
  return { pageBudget, requestShare: 1, requestsPerSecond: perSecond, burstSeconds: capacity / perSecond, timezone: 'UTC' };
}

/** Keys of the calls the live pages show. */
function shownKeys(x: SyncHarness): Set<string> {
  const byKey = pagesByKey(x.fake, x.dataSources.token_usage_logs);
  for (const [key, pages] of byKey) expect(pages.length, `pages showing ${key}`).toBe(1);
  return new Set(byKey.keys());
}

/** Runs passes until one completes, as the job layer would. */
async function converge(x: SyncHarness, overrides: Partial<SyncEngineOptions>) {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      if ((await x.engine(overrides).runPass('token_usage_logs')).complete) return;
    } catch (error) {
      if (!(error instanceof TokensyncError && error.retryable)) throw error;
    }
  }
  throw new Error('token_usage_logs did not converge');
}

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

describe('the Token Usage Logs window', () => {
  it('creates pages only until the ring is full, then overwrites the oldest in place: one request per call', async () => {
    h = await startSyncHarness();
    const engine = h.engine({ logWindow: windowOf(10, 1000) });
    await insertLogs(h.db.pool, Array.from({ length: 10 }, (_, i) => ({ created_at: minutesAgo(60 - i) })));
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 10, updated: 0, leftOut: 0, complete: true });
    expect(creates(h)).toBe(10);

    h.fake.resetStats();
    const newer = await insertLogs(h.db.pool, Array.from({ length: 4 }, (_, i) => ({ created_at: minutesAgo(10 - i) })));
    const summary = await engine.runPass('token_usage_logs');
    expect(summary).toMatchObject({ created: 0, updated: 4, leftOut: 0, trashed: 0, failed: [] });
    expect(creates(h)).toBe(0);
    expect(updates(h)).toBe(4);
    expect(h.fake.stats().total).toBe(4);
    expect(livePages(h)).toBe(10);
    expect(allPages(h)).toBe(10);

    // The ring shows the ten newest calls: the four oldest were overwritten.
    const { rows } = await h.db.pool.query(`select id from token_usage_logs order by created_at desc limit 10`);
    expect(shownKeys(h)).toEqual(new Set(rows.map((r: Row) => String(r.id))));
    for (const row of newer) expect(shownKeys(h).has(String(row.id))).toBe(true);

    // More calls than pages in one pass: the ring never grows, the rest is counted.
    h.fake.resetStats();
    await insertLogs(h.db.pool, Array.from({ length: 25 }, () => ({})));
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 10, leftOut: 15 });
    expect(allPages(h)).toBe(10);
    expect(await status(h, 10)).toMatchObject({ pagesLive: 10, mirroredTotal: 24, leftOutTotal: 15, leftOutToday: 15, unmirrored: 0 });

    // Nothing changed: a pass sends nothing, also from a fresh engine (a restarted worker, property ids not read yet).
    h.fake.resetStats();
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 0, trashed: 0 });
    expect(await h.engine({ logWindow: windowOf(10, 1000) }).runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 0, trashed: 0 });
    expect(h.fake.stats().total).toBe(0);
  });

  it('says on the report page how many calls were left out, never a silent gap', async () => {
    h = await startSyncHarness();
    const engine = h.engine({ logWindow: windowOf(10, 10) });
    await insertLogs(h.db.pool, Array.from({ length: 25 }, () => ({})));
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ leftOut: 15 });

    const client = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url });
    const report = await runReportJob(h.source, { client, parentPageId: PARENT, timezone: 'UTC', tokenLogWindowDays: 30 });
    expect(textOf(h, report.pageId!)).toContain('15 calls not mirrored to Token Usage Logs today');
  });

  it('trims slots whose call left the window or was deleted, and reuses them by restoring in the same update', async () => {
    h = await startSyncHarness();
    const engine = h.engine({ logWindow: windowOf(6, 1000) });
    const logs = await insertLogs(h.db.pool, Array.from({ length: 6 }, () => ({})));
    await engine.runPass('token_usage_logs');

    await h.db.pool.query(`update token_usage_logs set created_at = now() - interval '31 days' where id = any($1)`, [[logs[0]!.id, logs[1]!.id]]);
    await h.db.pool.query('delete from token_usage_logs where id = $1', [logs[2]!.id]);
    h.fake.resetStats();
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ trashed: 3, created: 0, updated: 0, complete: true });
    expect(livePages(h)).toBe(3);
    expect(shownKeys(h)).toEqual(new Set(logs.slice(3).map((l) => String(l.id))));

    // New calls go to the trashed pages: each restored and overwritten by one request, no create.
    h.fake.resetStats();
    const fresh = await insertLogs(h.db.pool, Array.from({ length: 3 }, () => ({})));
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 3, trashed: 0 });
    expect(h.fake.stats().total).toBe(3);
    expect(livePages(h)).toBe(6);
    expect(allPages(h)).toBe(6);
    expect(shownKeys(h)).toEqual(new Set([...logs.slice(3), ...fresh].map((l) => String(l.id))));
  });

  it('under a 10k-call backlog mirrors failed, then costliest, then over-budget calls, and counts the rest exactly', async () => {
    h = await startSyncHarness();
    // Ten calls, as cheap as the rest, of a user already past a small daily limit.
    await insertLimits(h.db.pool, [{ entity_type: 'user', entity_id: 'whale', daily_limit: 0.005, monthly_limit: null }]);
    const cheap = { input_cost: 0.0005, output_cost: 0.0005 };
    const failed = await insertLogs(h.db.pool, Array.from({ length: 30 }, () => ({ ...cheap, success: false, error_type: 'timeout' })));
    const costly = await insertLogs(h.db.pool, Array.from({ length: 40 }, (_, i) => ({ input_cost: 1 + i, output_cost: 0 })));
    const whale = await insertLogs(h.db.pool, Array.from({ length: 10 }, () => ({ ...cheap, user_id: 'whale' })));
    const rest = await insertLogs(h.db.pool, Array.from({ length: 9_920 }, () => cheap));
    await h.source.refreshBudgetSpend();

    let clock = new Date();
    const engine = h.engine({ logWindow: windowOf(100, 80, 1), now: () => clock });
    h.fake.resetStats();
    const summary = await engine.runPass('token_usage_logs');
    expect(summary).toMatchObject({ created: 80, leftOut: 10_000 - 80, failed: [], complete: true });
    expect(creates(h) + updates(h)).toBe(80);
    const shown = shownKeys(h);
    for (const row of [...failed, ...costly, ...whale]) expect(shown.has(String(row.id)), `shown ${row.id}`).toBe(true);
    expect(rest.some((row) => shown.has(String(row.id)))).toBe(false);
    expect(await status(h, 100, clock)).toMatchObject({ pagesLive: 80, mirroredToday: 80, leftOutToday: 9_920, leftOutTotal: 9_920, unmirrored: 0, oldestUnmirroredAt: null });
    expect(leftOutSentence({ leftOutToday: 9_920, leftOutTotal: 9_920 })).toMatch(/^9,920 calls not mirrored to Token Usage Logs today/);

    // The bucket is empty and the clock stands still: new calls are left out, counted, and the cursor moves on.
    await insertLogs(h.db.pool, Array.from({ length: 5 }, () => ({})));
    h.fake.resetStats();
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 0, updated: 0, leftOut: 5 });
    expect(h.fake.stats().total).toBe(0);

    // Ten seconds of share: ten requests, enough for the five calls that come next.
    clock = new Date(clock.getTime() + 10_000);
    const next = await insertLogs(h.db.pool, Array.from({ length: 5 }, () => ({})));
    expect(await engine.runPass('token_usage_logs')).toMatchObject({ created: 5, leftOut: 0 });
    for (const row of next) expect(shownKeys(h).has(String(row.id))).toBe(true);
    expect(await status(h, 100, clock)).toMatchObject({ pagesLive: 85, mirroredTotal: 85, leftOutTotal: 9_925, unmirrored: 0 });
  });

  it('never duplicates a page when create answers are lost', async () => {
    h = await startSyncHarness();
    const logs = await insertLogs(h.db.pool, Array.from({ length: 12 }, () => ({})));
    h.fake.faults.loseResponses(4);
    h.fake.faults.fail(500, 2, { method: 'POST', route: '/v1/pages' });
    const settings = { logWindow: windowOf(20, 1000) };
    expect((await h.engine(settings).runPass('token_usage_logs')).complete).toBe(false);
    await converge(h, settings);
    h.fake.faults.clear();

    expect(shownKeys(h)).toEqual(new Set(logs.map((l) => String(l.id))));
    expect(allPages(h)).toBe(12);
    expect(await status(h, 20)).toMatchObject({ pagesLive: 12, leftOutTotal: 0 });

    // Once the ring is full, a lost update answer is just sent again: still no page more.
    await insertLogs(h.db.pool, Array.from({ length: 8 }, () => ({})));
    await converge(h, settings);
    h.fake.faults.loseResponses(3, { method: 'PATCH', route: '/v1/pages/:page_id' });
    const later = await insertLogs(h.db.pool, Array.from({ length: 6 }, () => ({})));
    await converge(h, settings);
    expect(allPages(h)).toBe(20);
    for (const row of later) expect(shownKeys(h).has(String(row.id))).toBe(true);
  });

  it('resumes after a stop mid-pass: every call once, nothing counted twice', async () => {
    const stop = new AbortController();
    let writes = 0;
    h = await startSyncHarness({
      onRequest: (method, route) => {
        if (method === 'POST' && route === '/v1/pages' && ++writes === 7) stop.abort();
      },
    });
    const logs = await insertLogs(h.db.pool, Array.from({ length: 40 }, () => ({})));
    const settings = { logWindow: windowOf(50, 1000), writeConcurrency: 2 };
    const first = await h.engine({ ...settings, signal: stop.signal }).runPass('token_usage_logs');
    expect(first.complete).toBe(false);
    expect(first.created).toBeLessThan(40);

    // A new process takes over.
    await converge(h, settings);
    expect(shownKeys(h)).toEqual(new Set(logs.map((l) => String(l.id))));
    expect(allPages(h)).toBe(40);
    expect(await status(h, 50)).toMatchObject({ pagesLive: 40, mirroredTotal: 40, leftOutTotal: 0, unmirrored: 0 });
  });
});

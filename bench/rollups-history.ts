/**
 * DESIGN §5: DB work per pass flat in history. The same change (2,000 new calls
 * today) is rolled up over 50,000 rows of history and again over 5,000,000;
 * the bar is 5M ≤ 1.2× 50k. The naive peer is the rollup job as it was: the
 * two rollups over today and the two days before it, then a refresh of the
 * materialized views over all history.
 */
import type pg from 'pg';
import { insertLogs } from './fixtures.js';
import { figure, median, progress, timed, type Figure } from './support.js';

const SMALL_HISTORY = 50_000;
const LARGE_HISTORY = 5_000_000;
const HISTORY_DAYS = 60;
const CHANGED_CALLS = 2_000;
const ROUNDS = 15;
const BAR_RATIO = 1.2;

const startOfTodayUtc = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

/**
 * History as a bulk load (no triggers, indexes built after: see insertLogs),
 * then its hours marked dirty as the triggers would have.
 */
async function loadHistory(client: pg.Client, count: number, end: Date, prefix: string): Promise<void> {
  await insertLogs(client, count, { days: HISTORY_DAYS, end, prefix, label: 'history', bulk: true });
  await client.query(
    `insert into tokensync.rollup_dirty_hours (hour)
     select distinct date_trunc('hour', created_at, 'UTC') from public.token_usage_logs where request_id like $1`,
    [`${prefix}%`],
  );
}

/**
 * Statistics fresh, and the load's dirty buffers written out before anything is
 * timed: a checkpoint running behind a 5M-row load would be timed as the rollup's.
 * CHECKPOINT needs a superuser (or pg_checkpoint); without one, the load is simply left to settle.
 */
async function settleAfterLoad(client: pg.Client): Promise<void> {
  await client.query('vacuum analyze public.token_usage_logs');
  await client.query('checkpoint').catch(() => new Promise((r) => setTimeout(r, 10_000)));
}

/** Claims until no dirty day is left; returns how many calls it took. */
async function claimAll(client: pg.Client): Promise<number> {
  let calls = 0;
  for (;;) {
    calls += 1;
    const { rows } = await client.query(`select public.tokensync_rollup_changed('UTC') as r`);
    if (!rows[0].r.has_more) return calls;
  }
}

/**
 * One round: 2,000 new calls today, then the claim that rolls them up (timed).
 * The calls are deleted and that change rolled up (untimed) before the next
 * round, so every round starts from the same rows.
 */
async function changeRound(client: pg.Client, round: number, now: Date): Promise<number> {
  const today = startOfTodayUtc(now);
  const minutes = Math.max(1, (now.getTime() - today.getTime()) / 60_000 - 1);
  await insertLogs(client, CHANGED_CALLS, { end: new Date(now.getTime() - 60_000), minutes, prefix: `today-${round}-` });
  const [result, seconds] = await timed(() => client.query(`select public.tokensync_rollup_changed('UTC') as r`));
  if (JSON.stringify(result.rows[0].r.days) !== JSON.stringify([today.toISOString().slice(0, 10)])) {
    throw new Error(`the claim should touch today only, got ${JSON.stringify(result.rows[0].r.days)}`);
  }
  // Today holds only this round's calls (history ends before today): the created_at index finds them.
  await client.query(`delete from public.token_usage_logs where created_at >= $1`, [today.toISOString()]);
  await claimAll(client);
  // The deleted calls vacuumed away too: autovacuum would do it at once over 50k rows and not for
  // many rounds over 5M (its threshold is a share of the table), and the rounds' dead rows would be timed.
  await client.query('vacuum public.token_usage_logs');
  return seconds;
}

/** The old rollup job: today and the two days before it, then the views over all history. */
async function naiveJob(client: pg.Client, now: Date): Promise<number> {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
  const [, seconds] = await timed(async () => {
    await client.query(`select public.tokensync_rollup_service_performance($1, $2, 'UTC')`, [from, to]);
    await client.query(`select public.tokensync_rollup_workflow_analytics($1, $2, 'UTC')`, [from, to]);
    await client.query(`select public.tokensync_refresh_reporting_views()`);
  });
  return seconds;
}

async function measureAt(client: pg.Client, now: Date): Promise<{ claim: number; naive: number }> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await changeRound(client, round, now));
  const naive = await naiveJob(client, now);
  return { claim: median(rounds), naive };
}

/** Runs on a database of its own (the caller's rows are truncated first). */
export async function flatInHistoryFigures(
  client: pg.Client,
  sizes: { small: number; large: number } = { small: SMALL_HISTORY, large: LARGE_HISTORY },
): Promise<{ figures: Figure[]; method: string }> {
  const { small: SMALL, large: LARGE } = sizes;
  // Truncating the logs resets the spend buckets (their trigger) and leaves one mark, dropped after.
  await client.query(`truncate public.token_usage_logs, public.service_performance_metrics, public.workflow_analytics,
                        public.daily_cost_breakdown, tokensync.sync_tombstones`);
  await client.query(`truncate tokensync.rollup_dirty_hours`);
  const now = new Date();
  // History ends before today, so today's rows are the same 2,000 whatever the history.
  const historyEnd = new Date(startOfTodayUtc(now).getTime() - 60_000);

  await loadHistory(client, SMALL, historyEnd, 'history-');
  await claimAll(client);
  await settleAfterLoad(client);
  const small = await measureAt(client, now);
  progress([figure(`rollup of ${CHANGED_CALLS.toLocaleString('en-US')} new calls, ${SMALL.toLocaleString('en-US')} rows of history (s)`, small.claim, small.naive)]);

  await loadHistory(client, LARGE - SMALL, historyEnd, 'history-more-');
  // Every hour of history dirty again, as the migration leaves an existing installation: the first run rolls it all up.
  await client.query(`insert into tokensync.rollup_dirty_hours (hour) select distinct date_trunc('hour', created_at, 'UTC') from public.token_usage_logs`);
  const [claims, backfill] = await timed(() => claimAll(client));
  await settleAfterLoad(client);
  const large = await measureAt(client, now);

  const ratio = large.claim / small.claim;
  return {
    method:
      `History generated in SQL over the ${HISTORY_DAYS} days before today (the same spread as above, loaded as a bulk load: ` +
      `triggers off, secondary indexes built after), every hour of it marked dirty and rolled up, then VACUUM ANALYZE and a CHECKPOINT (nothing of the load left to write while timing); ` +
      `then ${ROUNDS} rounds of: ${CHANGED_CALLS.toLocaleString('en-US')} new calls today, one timed tokensync_rollup_changed('UTC') ` +
      `(median shown), the calls deleted, that rolled up and the table vacuumed, untimed. Same rounds at ${SMALL.toLocaleString('en-US')} and ` +
      `${LARGE.toLocaleString('en-US')} rows of history. Naive: the rollup job as it was (both rollups over today and the two days ` +
      `before, then tokensync_refresh_reporting_views() over all history), timed once at each size.`,
    figures: [
      figure(`rollup of ${CHANGED_CALLS.toLocaleString('en-US')} new calls, ${SMALL.toLocaleString('en-US')} rows of history (s)`, small.claim, small.naive, { digits: 3 }),
      figure(`rollup of ${CHANGED_CALLS.toLocaleString('en-US')} new calls, ${LARGE.toLocaleString('en-US')} rows of history (s)`, large.claim, large.naive, { digits: 3 }),
      figure('… 5M ÷ 50k', ratio, large.naive / small.naive, { bar: `≤ ${BAR_RATIO}`, pass: ratio <= BAR_RATIO }),
      figure(`first run after install over ${LARGE.toLocaleString('en-US')} rows: all ${HISTORY_DAYS} days rolled up from the marks (s)`, backfill, undefined, {
        note: `${claims} claims of ≤ 31 days`,
      }),
    ],
  };
}

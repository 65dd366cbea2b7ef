import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { laneBacklogs, readBacklog } from '../../src/sync/backlog.js';
import { insertLogs, insertRows } from '../support/fixtures.js';
import { insertOneOfEach, pagesByKey, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(async () => {
  await h.close();
});

const LIMITS = { alerts: 60_000, rollups: 300_000, logs: 900_000 };
const backlog = async () => {
  const report = await readBacklog(h.source, { tokenLogWindowDays: 30 });
  return { byDataset: Object.fromEntries(report.datasets.map((d) => [d.dataset, d])), lanes: laneBacklogs(report, LIMITS) };
};

/** `count` rollup rows: one service over as many days, or as many services of their own on one day. */
async function metricRows(count: number, shape: 'days' | 'services') {
  const day = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  return insertRows(
    h.db.pool,
    'service_performance_metrics',
    Array.from({ length: count }, (_, i) => ({
      metric_date: shape === 'days' ? day(i) : '2026-11-20',
      service_type: shape === 'days' ? 'workflow' : `refused-${String(i).padStart(3, '0')}`, total_requests: 10, successful_requests: 9,
      failed_requests: 1, success_rate: 0.9, prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200, total_cost: 0.45,
      avg_cost_per_request: 0.045, avg_latency_ms: 850, p95_latency_ms: 1200, unique_users: 3, unique_sessions: 4,
    })),
  );
}

describe('the backlog as the engine leaves it', () => {
  it('is exact mid-pass (not a multiple of the page size) and zero after a full sync', async () => {
    await insertLogs(h.db.pool, Array.from({ length: 437 }, () => ({})));
    await insertOneOfEach(h.db);
    await metricRows(437, 'days');
    const before = await backlog();
    // Raw logs: calls no window pass has covered yet.
    expect(before.byDataset.token_usage_logs).toMatchObject({ pending: 437, lane: 'logs' });
    expect(before.lanes.find((l) => l.lane === 'alerts')).toMatchObject({ pending: 2 });
    // 437 days of one service, and one row each of services, workflows and daily costs.
    expect(before.lanes.find((l) => l.lane === 'rollups')).toMatchObject({ pending: 440 });

    // A pass stopped after its first page of 200 (as on shutdown).
    const stop = new AbortController();
    const first = await h.engine({ pageSize: 200, signal: stop.signal, onProgress: () => stop.abort() }).runPass('service_performance_metrics');
    expect(first).toMatchObject({ created: 200, complete: false });
    expect((await backlog()).byDataset.service_performance_metrics).toMatchObject({ pending: 238, failed: 0 });

    const engine = h.engine({ pageSize: 200 });
    for (const dataset of DATASETS) expect((await engine.runPass(dataset)).complete).toBe(true);
    const after = await backlog();
    // Every call is covered: mirrored, or left out over the logs lane's share and counted there.
    for (const lane of after.lanes) expect(lane, lane.lane).toMatchObject({ pending: 0, failed: 0, oldestPendingSeconds: null, behind: false });
  });

  it('counts the rows Notion refused for good as failed, not as waiting; a fixed row is written by the next pass', async () => {
    // One create refused as invalid, as Notion does for a value nothing could foresee: that row fails for good.
    const rows = await metricRows(5, 'services');
    h.fake.faults.fail(400, 1, { method: 'POST', route: '/v1/pages' });
    const summary = await h.engine().runPass('service_performance_metrics');
    const pages = pagesByKey(h.fake, h.dataSources.service_performance_metrics);
    const refused = rows.filter((r) => !pages.has(String(r.id)));
    expect(refused).toHaveLength(1);
    expect(summary.failed).toEqual([{ key: String(refused[0]!.id), reason: expect.stringMatching(/validation_error|invalid/), retryable: false }]);

    const { byDataset, lanes } = await backlog();
    expect(byDataset.service_performance_metrics).toMatchObject({ pending: 0, failed: 1 });
    expect(lanes.find((l) => l.lane === 'rollups')).toMatchObject({ pending: 0, failed: 1, behind: false });

    // Fixed in Supabase (any change moves updated_at): the next pass writes it, and nothing is failed any more.
    await h.db.pool.query(`update service_performance_metrics set unique_users = 4 where id = $1`, [refused[0]!.id]);
    expect(await h.engine().runPass('service_performance_metrics')).toMatchObject({ created: 1, failed: [] });
    expect(pagesByKey(h.fake, h.dataSources.service_performance_metrics).has(String(refused[0]!.id))).toBe(true);
    expect((await backlog()).byDataset.service_performance_metrics).toMatchObject({ pending: 0, failed: 0 });
  });
});

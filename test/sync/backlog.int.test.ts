import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { laneBacklogs, readBacklog } from '../../src/sync/backlog.js';
import { insertLogs } from '../support/fixtures.js';
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

describe('the backlog as the engine leaves it', () => {
  it('is exact mid-pass (not a multiple of the page size) and zero after a full sync', async () => {
    await insertLogs(h.db.pool, Array.from({ length: 437 }, () => ({})));
    await insertOneOfEach(h.db);
    const before = await backlog();
    expect(before.byDataset.token_usage_logs).toMatchObject({ pending: 437, lane: 'logs' });
    expect(before.lanes.find((l) => l.lane === 'alerts')).toMatchObject({ pending: 2 });
    expect(before.lanes.find((l) => l.lane === 'rollups')).toMatchObject({ pending: 3 }); // services, workflows, daily costs

    // A pass stopped after its first page of 200 (as on shutdown).
    const stop = new AbortController();
    const first = await h.engine({ pageSize: 200, signal: stop.signal, onProgress: () => stop.abort() }).runPass('token_usage_logs');
    expect(first).toMatchObject({ created: 200, complete: false });
    expect((await backlog()).byDataset.token_usage_logs).toMatchObject({ pending: 237, failed: 0 });

    const engine = h.engine({ pageSize: 200 });
    for (const dataset of DATASETS) expect((await engine.runPass(dataset)).complete).toBe(true);
    const after = await backlog();
    for (const lane of after.lanes) expect(lane, lane.lane).toMatchObject({ pending: 0, failed: 0, oldestPendingSeconds: null, behind: false });
  });

  it('counts the rows Notion refused for good as failed, not as waiting', async () => {
    // Notion allows 100 options per select: a 101st model name is refused, and stays refused.
    const logs = await insertLogs(h.db.pool, Array.from({ length: 101 }, (_, i) => ({ model: `model-${String(i).padStart(3, '0')}` })));
    const summary = await h.engine().runPass('token_usage_logs');
    const pages = pagesByKey(h.fake, h.dataSources.token_usage_logs);
    const refused = logs.filter((l) => !pages.has(String(l.id)));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(summary.failed.filter((f) => !f.retryable)).toHaveLength(refused.length);

    const { byDataset, lanes } = await backlog();
    expect(byDataset.token_usage_logs).toMatchObject({ pending: 0, failed: refused.length });
    expect(lanes.find((l) => l.lane === 'logs')).toMatchObject({ pending: 0, failed: refused.length, behind: false });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notionIdVariables } from '../../src/datasets.js';
import { insertLogs } from '../support/fixtures.js';
import { dropPrefix, uniquePrefix } from '../worker/redis.js';
import { insertOneOfEach, pagesByKey, harnessEnvironment, startSyncHarness, type SyncHarness } from './harness.js';
import { runScript } from '../support/cli.js';

let h: SyncHarness;
const prefix = uniquePrefix();
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(async () => {
  await h.close();
  await dropPrefix(prefix);
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...harnessEnvironment(h, prefix),
    NOTION_REQUESTS_PER_SECOND: '50',
    SYNC_SETTLE_MS: '0',
    LOG_FORMAT: 'json',
    ...overrides,
  };
}
const cli = (args: string[], overrides: Record<string, string> = {}) =>
  // The timeout only keeps a process that never exits from hanging the suite: it then fails with code null.
  runScript('sync', args, { env: env(overrides), timeout: 60_000 });

// Each test starts the CLI (tsx compiling on a cold start) up to five times, each with its own 60 s guard.
describe('npm run sync', { timeout: 180_000 }, () => {
  it('explains itself and refuses bad usage', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/Usage: npm run sync -- --once/);
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--once is required/) });
    expect(await cli(['--once', '--dataset', 'nope'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown dataset nope/) });
  });

  it('without a Notion token says so and exits 2, with Redis up (its connection does not keep the process alive)', async () => {
    expect(await cli(['--once'], { NOTION_TOKEN: '' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/NOTION_TOKEN: is required for sync/) });
  });

  it('runs one pass, prints a summary, and exits 0; a second pass finds nothing to write', async () => {
    const logs = await insertLogs(h.db.pool, [{}, {}]);
    await insertOneOfEach(h.db);
    const first = await cli(['--once']);
    expect(first.stderr).not.toContain(h.fake.token);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^token_usage_logs\s+2\s+2\s+0\s+0\s+0\s+0$/m);
    expect(first.stdout).toMatch(/^cost_alerts\s+1\s+1\s+0\s+0\s+0\s+0$/m);
    expect(pagesByKey(h.fake, h.dataSources.token_usage_logs).size).toBe(logs.length);

    const again = await cli(['--once', '--dataset', 'token_usage_logs']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^token_usage_logs\s+0\s+0\s+0\s+0\s+0\s+0$/m);
    expect(again.stdout).not.toMatch(/cost_alerts/);

    // The raw-log window rewrites the pages it holds, in place, without reading the covered range again.
    const backfill = await cli(['--once', '--dataset', 'token_usage_logs', '--backfill']);
    expect(backfill.stdout).toMatch(/^token_usage_logs\s+0\s+0\s+2\s+0\s+0\s+0$/m);
    expect(pagesByKey(h.fake, h.dataSources.token_usage_logs).size).toBe(logs.length);

    // --status says exactly what waits: one changed row is one to write, per dataset and per lane.
    await h.db.pool.query(`update token_usage_logs set model = 'o3' where id = $1`, [logs[0]!.id]);
    const status = await cli(['--status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^token_usage_logs\s+logs\s+1\s+0\s+\d+s$/m);
    expect(status.stdout).toMatch(/^cost_alerts\s+alerts\s+0\s+0\s+-$/m);
    expect(status.stdout).toMatch(/^logs\s+1\s+0\s+\d+s\s+15m 00s\s+ok$/m);
    expect(status.stdout).toMatch(/^alerts\s+0\s+0\s+-\s+1m 00s\s+ok$/m);
    expect(status.stdout).not.toMatch(/warning/);

    // Past the lane's limit, the lane is named as behind (the row waits until the clock passes 1 s).
    let behind = await cli(['--status'], { LANE_MAX_LAG_LOGS_MS: '1000' });
    for (let i = 0; i < 10 && !/BEHIND/.test(behind.stdout); i++) behind = await cli(['--status'], { LANE_MAX_LAG_LOGS_MS: '1000' });
    expect(behind.code).toBe(0);
    expect(behind.stdout).toMatch(/^logs\s+1\s+0\s+\d+s\s+1s\s+BEHIND$/m);
    expect(behind.stdout).toMatch(/^warning: lane logs is behind: its oldest unsynced change waited \d+s \(limit 1s\), 1 row to write$/m);

    const synced = await cli(['--once', '--dataset', 'token_usage_logs']);
    expect(synced.code).toBe(0);
    expect((await cli(['--status'])).stdout).toMatch(/^token_usage_logs\s+logs\s+0\s+0\s+-$/m);
  });

  it('exits 1 and names the dataset when one cannot be synced, after syncing the others', async () => {
    await insertOneOfEach(h.db);
    const result = await cli(['--once'], {
      [notionIdVariables('cost_alerts').dataSourceId]: '11111111-2222-4333-8444-555555555555',
      // Nothing listens there: the pass limits itself in memory and says so.
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(result.stderr).toMatch(/Redis at REDIS_URL does not answer/);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/cost_alerts \(no key\): .*object_not_found/);
    expect(result.stdout).toMatch(/^workflow_analytics\s+/m);
  });
});

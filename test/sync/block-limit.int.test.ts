import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createCreationGate, readCreationStatus } from '../../src/sync/creation.js';
import { DEFAULT_WRITE_CONCURRENCY } from '../../src/sync/engine.js';
import { insertLimits } from '../support/fixtures.js';
import { pagesByKey, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;

beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(() => h.close());

const gate = () => createCreationGate({ transport: h.transport, logger: createLogger({ level: 'silent' }), retryMs: 3_600_000 });
const engine = () => h.engine({ creation: gate() });
const creates = () => h.fake.count({ method: 'POST', route: '/v1/pages' });
const limitPages = () => pagesByKey(h.fake, h.dataSources.budget_limits!);
const org = (id: string, monthly: number) => ({ entity_id: id, monthly_limit: monthly });

it('stops creating at the block limit: no dead letters, no retry loop, updates in place go on, held rows come back after an upgrade', async () => {
  const [a] = await insertLimits(h.db.pool, [org('org-a', 100), org('org-b', 200)]);
  expect(await engine().runPass('budget_limits')).toMatchObject({ created: 2, held: 0, failed: [] });

  // The workspace runs out of blocks (grace over): every create is refused from now on.
  h.fake.setBlockLimit({ lifetime: 0, graceMs: 0 });
  h.fake.resetStats();
  await insertLimits(h.db.pool, Array.from({ length: 10 }, (_, i) => org(`org-new-${i}`, 300 + i)));
  await h.db.pool.query(`update budget_limits set monthly_limit = 150 where id = $1`, [a!.id]);

  const blocked = await engine().runPass('budget_limits');
  expect(blocked).toMatchObject({ created: 0, updated: 1, held: 10, failed: [], complete: true });
  // The first refusal stops creation: only the creates already in flight with it were sent.
  expect(creates()).toBeGreaterThanOrEqual(1);
  expect(creates()).toBeLessThanOrEqual(DEFAULT_WRITE_CONCURRENCY);
  expect(h.fake.count({ method: 'POST', route: '/v1/pages', status: 403 })).toBe(creates());
  expect(limitPages().get(String(a!.id))![0]!.properties['Monthly Limit'].number).toBe(150);
  expect(await readCreationStatus(h.transport)).toMatchObject({ stopped: true, refused: creates(), heldDatasets: ['budget_limits'] });

  // Later passes, in this or another process, send no create at all; edits still reach Notion.
  h.fake.resetStats();
  await insertLimits(h.db.pool, [org('org-f', 600)]);
  await h.db.pool.query(`update budget_limits set monthly_limit = 160 where id = $1`, [a!.id]);
  expect(await engine().runPass('budget_limits')).toMatchObject({ created: 0, updated: 1, held: 1, failed: [] });
  expect(await engine().runPass('budget_limits')).toMatchObject({ created: 0, updated: 0, held: 0, failed: [] });
  expect(creates()).toBe(0);
  expect(limitPages().get(String(a!.id))![0]!.properties['Monthly Limit'].number).toBe(160);

  // The workspace is upgraded; once the retry interval has passed, one pass checks, creates, and creation resumes.
  h.fake.setBlockLimit(false);
  await h.db.pool.query(`update tokensync.notion_creation set probe_at = clock_timestamp() - interval '2 hours'`);
  const resumed = await engine().runPass('budget_limits');
  expect(resumed).toMatchObject({ created: 11, held: 0, failed: [] });
  expect(await readCreationStatus(h.transport)).toMatchObject({ stopped: false, heldDatasets: [] });
  expect([...limitPages().keys()]).toHaveLength(13);
  for (const pages of limitPages().values()) expect(pages).toHaveLength(1);
});

import type { Client } from '@notionhq/client';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import type { Dataset } from '../../src/datasets.js';
import { createLogger } from '../../src/logging/logger.js';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { reportingProcessor } from '../../src/worker/reporting.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

let db: TestDatabase;
let source: SupabaseSource;
beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
});
afterAll(async () => {
  await source.close();
  await db.drop();
});

it('spend without an alert wakes Budget Limits once per spend window; a new alert wakes both syncs at once', async () => {
  const config = loadConfig({ DATABASE_URL: db.url, SPEND_WAKE_WINDOW_MS: '45000' });
  const woken: [Dataset, number | undefined, number | undefined][] = [];
  const processTask = reportingProcessor({
    config,
    source,
    // The budgets task sends no Notion request and keeps nothing in Redis.
    notion: {} as Client,
    redis: {} as Redis,
    logger: createLogger({ level: 'silent' }),
    wakeSync: async (dataset, afterMs, windowMs) => void woken.push([dataset, afterMs, windowMs]),
  });
  const budgets = () => processTask({ name: 'budgets' } as Job);
  await insertLimits(db.pool, [{ entity_type: 'service', entity_id: 'workflow', daily_limit: 100, breach_action: 'alert', alert_thresholds: [50] }]);

  await insertLogs(db.pool, [{ service_type: 'workflow', input_cost: 1, output_cost: 0 }]);
  await budgets();
  expect(woken).toEqual([['budget_limits', 0, 45_000]]);

  woken.length = 0;
  await insertLogs(db.pool, [{ service_type: 'workflow', input_cost: 60, output_cost: 0 }]);
  await budgets();
  expect(woken.map(([dataset, , windowMs]) => [dataset, windowMs])).toEqual([['cost_alerts', undefined], ['budget_limits', undefined]]);

  // Nothing changed: nothing is woken.
  woken.length = 0;
  await budgets();
  expect(woken).toEqual([]);
});

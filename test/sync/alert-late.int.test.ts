import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATASETS } from '../../src/datasets.js';
import { createNotionClient } from '../../src/notion/client.js';
import { provisionNotion, type ProvisionEvent } from '../../src/notion/provision/provision.js';
import { insertRows } from '../support/fixtures.js';
import { PARENT, pagesByKey, plainOf, startSyncHarness, type SyncHarness } from './harness.js';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(() => h.close());

const alert = (threshold: number, late: boolean) => ({
  entity_type: 'organization', entity_id: 'mvp', period: 'daily', period_start: '2026-11-20T00:00:00Z', threshold_pct: threshold,
  amount_spent: 49, limit_amount: 50, severity: 'critical', message: `mvp reached ${threshold}% of its daily limit`, late,
});

it('adds Late to a Cost Alerts database made before it, and ticks it on alerts raised after their period ended', async () => {
  // The database as an earlier version provisioned it: no Late property.
  const notion = createNotionClient({ token: h.fake.token, baseUrl: h.fake.url, maxRetries: 0 });
  await notion.dataSources.update({ data_source_id: h.dataSources.cost_alerts, properties: { Late: null } as never });

  const events: ProvisionEvent[] = [];
  await provisionNotion({
    client: notion,
    parentPageId: PARENT,
    recorded: Object.fromEntries(DATASETS.map((d) => [d, { databaseId: h.databases[d], dataSourceId: h.dataSources[d] }])) as never,
    envFile: undefined,
    timezone: 'UTC',
    onEvent: (event) => events.push(event),
  });
  expect(events.flatMap((e) => (e.kind === 'change' ? [`${e.title}: ${e.message}`] : []))).toEqual(['Cost Alerts: add property “Late” (checkbox)']);

  const [onTime, late] = await insertRows(h.db.pool, 'cost_alerts', [alert(90, false), alert(100, true)]);
  const summary = await h.engine().runPass('cost_alerts');
  expect(summary).toMatchObject({ created: 2, failed: [] });

  const pages = pagesByKey(h.fake, h.dataSources.cost_alerts);
  expect(plainOf(pages.get(String(late!.id))![0]!.properties.Late)).toBe(true);
  expect(plainOf(pages.get(String(onTime!.id))![0]!.properties.Late)).toBe(false);
});

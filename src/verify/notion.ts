/**
 * Notion checks: the token, the parent page, and for each database of the
 * catalogue that it exists, that its properties match (by id, so a rename is
 * reported rather than missed), and that its views and dashboard are there.
 * Read-only: the same planners setup:notion uses, never applied.
 */
import type { Client } from '@notionhq/client';
import type { Dataset } from '../datasets.js';
import { CATALOGUE, type DatabaseSpec } from '../notion/catalogue/index.js';
import { readLiveSchema, readLiveViews } from '../notion/provision/live.js';
import { checkParentPage, checkToken, childDatabases, locateDatabase, type ChildDatabase } from '../notion/provision/locate.js';
import { describeSchemaChange, planSchema } from '../notion/provision/plan-schema.js';
import { describeViewChange, planViews } from '../notion/provision/plan-views.js';
import { monthStartIn } from '../notion/provision/provision.js';
import { errorMessage, fail, pass, type CheckResult } from './check.js';

const SETUP_FIX = 'run npm run setup:notion, which repairs it';

export interface NotionCheckOptions {
  client: Client;
  parentPageId: string;
  recorded: Record<Dataset, { databaseId: string | undefined; dataSourceId: string | undefined }>;
  timezone: string;
  now?: Date;
}

async function checkDatabase(options: NotionCheckOptions, spec: DatabaseSpec, children: ChildDatabase[]): Promise<CheckResult[]> {
  const { client } = options;
  const { located } = await locateDatabase(client, spec, options.parentPageId, options.recorded[spec.dataset], children);
  if (!located) return [fail('notion', spec.title, 'not found under the parent page', SETUP_FIX)];
  const results = [pass('notion', spec.title, `found by ${located.how}`)];

  const schema = planSchema(spec, await readLiveSchema(client, located.dataSourceId, spec.title));
  const drift = schema.changes.map(describeSchemaChange);
  results.push(
    drift.length === 0
      ? pass('notion', `${spec.title} properties`, `${spec.properties.length} properties match the catalogue`)
      : fail('notion', `${spec.title} properties`, `would ${drift.join('; ')}`, SETUP_FIX),
  );
  if (drift.length > 0) return results;

  const idOf = (key: string) => schema.ids.get(key)!;
  const views = planViews(spec, await readLiveViews(client, located.databaseId, spec.title), idOf, {
    monthStart: monthStartIn(options.now ?? new Date(), options.timezone),
  });
  results.push(
    views.length === 0
      ? pass('notion', `${spec.title} views`, `${spec.views.length} views${spec.dashboard ? ' and the dashboard' : ''} present`)
      : fail('notion', `${spec.title} views`, `would ${views.map(describeViewChange).join('; ')}`, SETUP_FIX),
  );
  return results;
}

export async function checkNotion(options: NotionCheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let botName: string;
  try {
    botName = await checkToken(options.client);
    results.push(pass('notion', 'token', `accepted (integration “${botName}”)`));
    await checkParentPage(options.client, options.parentPageId, botName);
    results.push(pass('notion', 'parent page', `${options.parentPageId} is shared with the integration`));
  } catch (error) {
    return [...results, fail('notion', results.length === 0 ? 'token' : 'parent page', errorMessage(error), 'see the message')];
  }
  const children = await childDatabases(options.client, options.parentPageId);
  for (const spec of CATALOGUE) {
    try {
      results.push(...(await checkDatabase(options, spec, children)));
    } catch (error) {
      results.push(fail('notion', spec.title, errorMessage(error), 'see the message; then run npm run verify again'));
    }
  }
  return results;
}

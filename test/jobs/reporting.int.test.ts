import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBudgetJob, runReportJob, runRollupJob } from '../../src/jobs/reporting.js';
import { createLogger } from '../../src/logging/logger.js';
import { createNotionClient } from '../../src/notion/client.js';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import type { SupabaseSource } from '../../src/supabase/source.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits, insertLogs } from '../support/fixtures.js';
import { openSource } from '../support/sources.js';

const NOW = new Date('2026-11-19T11:00:00Z');
const PARENT = '0b6c3f3a-9d1e-4c47-8e2f-1a2b3c4d5e6f';

let db: TestDatabase;
let source: SupabaseSource;
beforeAll(async () => {
  db = await createTestDatabase();
  source = openSource(db, 'postgres');
  await insertLogs(db.pool, [
    { created_at: '2026-11-15T10:00:00Z', total_cost: 1 },
    { created_at: '2026-11-18T10:00:00Z', total_cost: 2, workflow_id: 'wf', workflow_step: 'plan' },
    { created_at: '2026-11-19T09:00:00Z', total_cost: 3 },
  ]);
});
afterAll(async () => {
  await source.close();
  await db.drop();
});

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
  return { lines, logger: createLogger({ destination, format: 'json', level: 'debug' }) };
}

describe('rollup job', () => {
  it('rolls up exactly the days whose logs changed, however old, and nothing when nothing changed', async () => {
    const result = await runRollupJob(source, { timezone: 'UTC' });
    expect(result).toMatchObject({
      days: { count: 3, from: '2026-11-15', to: '2026-11-19' },
      services: { changed: 3, deleted: 0 },
      workflows: { changed: 1, deleted: 0 },
      dailyCosts: { changed: 3, deleted: 0 },
      pending: false,
    });
    const { rows } = await db.pool.query(`select metric_date::text as day from service_performance_metrics order by 1`);
    expect(rows.map((r) => r.day)).toEqual(['2026-11-15', '2026-11-18', '2026-11-19']);
    expect(await runRollupJob(source, { timezone: 'UTC' })).toMatchObject({ days: { count: 0 }, claims: 1, services: { changed: 0 } });

    await db.pool.query(`update token_usage_logs set total_cost = 5 where created_at = '2026-11-15T10:00:00Z'`);
    expect(await runRollupJob(source, { timezone: 'UTC' })).toMatchObject({
      days: { count: 1, from: '2026-11-15' },
      services: { changed: 1 },
      dailyCosts: { changed: 1 },
    });
  });

  it('takes a long backlog of days a batch at a time, newest first, in one run', async () => {
    await insertLogs(db.pool, [{ created_at: '2026-10-01T10:00:00Z' }, { created_at: '2026-10-03T10:00:00Z' }, { created_at: '2026-10-05T10:00:00Z' }]);
    const result = await runRollupJob(source, { timezone: 'UTC', maxDaysPerClaim: 2 });
    expect(result).toMatchObject({ days: { count: 3, from: '2026-10-01', to: '2026-10-05' }, claims: 2, pending: false, services: { changed: 3 } });
  });
});

describe('budget job and its webhook', () => {
  let server: Server;
  let url: string;
  const received: { text: string }[] = [];
  let failuresLeft = 1;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret-token-path`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('raises the due alerts, returns without waiting for delivery, and delivers each one despite a 503', async () => {
    // Past days were closed (evaluated for the last time) before the limit existed: only today's alert is new.
    expect(await source.evaluateAlerts({ timezone: 'UTC', at: NOW })).toEqual([]);
    await insertLimits(db.pool, [{ daily_limit: 4, breach_action: 'alert', alert_thresholds: [50, 90] }]);
    const { logger } = captureLogger();
    const result = await runBudgetJob(source, { timezone: 'UTC', now: NOW, logger, webhook: { url, initialDelayMs: 10 } });
    expect(result).toMatchObject({ spendChanged: 1, raised: 1, critical: 0 });
    expect(received).toHaveLength(0); // not delivered yet: the job did not wait
    expect(await result.delivery!.done).toEqual({ delivered: 1, failed: 0 });
    expect(received).toEqual([{ text: "ℹ️ *info* — organization 'mvp' reached 50% of its daily limit: $3.00 of $4.00" }]);

    const again = await runBudgetJob(source, { timezone: 'UTC', now: NOW, logger, webhook: { url } });
    expect(again).toMatchObject({ spendChanged: 0, raised: 0, delivery: undefined });
  });

  it('gives up on a refusing webhook after its attempts, logging the host but never the secret URL', async () => {
    await db.pool.query(`update budget_limits set daily_limit = 3.2`);
    const { lines, logger } = captureLogger();
    const refusing = async () => new Response('nope', { status: 500 });
    const result = await runBudgetJob(source, { timezone: 'UTC', now: NOW, logger, webhook: { url, fetch: refusing, attempts: 2, initialDelayMs: 1 } });
    expect(result).toMatchObject({ raised: 1, critical: 1 });
    expect(await result.delivery!.done).toEqual({ delivered: 0, failed: 1 });
    const log = JSON.parse(lines.find((l) => l.includes('webhook not delivered'))!);
    expect(log).toMatchObject({ attempt: 2, reason: 'HTTP 500', host: new URL(url).host });
    expect(lines.join('')).not.toContain('secret-token-path');
  });
});

describe('budget job housekeeping', () => {
  it('lifts pauses whose period ended and drops expired holds, logging the counts only when there are some', async () => {
    // Paused at NOW - 1 h until NOW - 1 min: over by the job's run at NOW.
    await db.pool.query(`select tokensync_pause_agent_internal('bot', $1::timestamptz - interval '1 minute', 'over budget', 'test', $1::timestamptz - interval '1 hour')`, [NOW]);
    await db.pool.query(`insert into tokensync.budget_holds (agent_id, amount, tokens, created_at, expires_at) values ('bot', 1, 10, $1::timestamptz - interval '2 minutes', $1::timestamptz - interval '1 minute')`, [NOW]);
    const { lines, logger } = captureLogger();
    const result = await runBudgetJob(source, { timezone: 'UTC', now: NOW, logger });
    expect(result).toMatchObject({ expiredHolds: 1, liftedPauses: 1 });
    expect(JSON.parse(lines.find((l) => l.includes('budget housekeeping'))!)).toMatchObject({ expiredHolds: 1, liftedPauses: 1 });

    const quiet = captureLogger();
    expect(await runBudgetJob(source, { timezone: 'UTC', now: NOW, logger: quiet.logger })).toMatchObject({ expiredHolds: 0, liftedPauses: 0 });
    expect(quiet.lines.some((l) => l.includes('budget housekeeping'))).toBe(false);
  });
});

describe('report job', () => {
  let fake: NotionFake;
  beforeAll(async () => {
    fake = await startNotionFake({ rateLimit: false, pages: [{ id: PARENT, title: 'LLM costs' }] });
  });
  afterAll(() => fake.close());

  it('publishes the report and skips an unchanged one', async () => {
    const options = { client: createNotionClient({ token: fake.token, baseUrl: fake.url }), parentPageId: PARENT, timezone: 'UTC', now: NOW };
    const first = await runReportJob(source, options);
    expect(first).toMatchObject({ created: true, written: true });
    const second = await runReportJob(source, { ...options, previousHash: first.hash });
    expect(second).toMatchObject({ created: false, written: false, pageId: first.pageId });
  });
});

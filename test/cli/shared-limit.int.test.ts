/**
 * setup:notion and verify beside a busy worker: they take their Notion requests
 * from the workers' limit in Redis, so together they stay under Notion's rate
 * and Notion answers none of them 429.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNotionFake, type NotionFake } from '@tokensync/notion-sandbox';
import { createRedisLimiter } from '../../src/worker/redis-limiter.js';
import { runScript } from '../support/cli.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../worker/redis.js';

const PARENT = '2c4e6a8b-1d3f-4a5b-9c7d-8e9f0a1b2c3d';
/** Notion's rate here, and the workers' (under it: the shared limit keeps everyone below Notion's). */
const NOTION_RATE = { requestsPerSecond: 40, burst: 5 };
const WORKER_RATE = 30;

let fake: NotionFake;
let redis: Redis;
let dir: string;
const prefix = uniquePrefix();

beforeAll(async () => {
  fake = await startNotionFake({ rateLimit: NOTION_RATE, pages: [{ id: PARENT, title: 'LLM costs' }] });
  redis = new Redis(REDIS_URL);
  dir = await mkdtemp(join(tmpdir(), 'tokensync-shared-limit-'));
});
afterAll(async () => {
  await fake?.close();
  redis?.disconnect();
  await dropPrefix(prefix);
  await rm(dir, { recursive: true, force: true });
});

/** A worker writing raw logs as fast as the shared limit lets it, until stopped. */
function busyWorker(): { sent: () => number; stop: () => Promise<number> } {
  const limiter = createRedisLimiter({ redis, prefix, token: fake.token, requestsPerSecond: WORKER_RATE });
  let running = true;
  let sent = 0;
  const loop = async () => {
    while (running) {
      await limiter.acquire('logs');
      await fetch(`${fake.url}/v1/users/me`, { headers: { authorization: `Bearer ${fake.token}`, 'notion-version': '2025-09-03' } });
      sent++;
    }
  };
  const loops = Promise.all(Array.from({ length: 4 }, loop));
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await loops;
      return sent;
    },
  };
}

it('setup:notion and verify share the workers\' Notion limit: beside a busy worker, no 429', async () => {
  const env = {
    PATH: process.env.PATH ?? '',
    NOTION_TOKEN: fake.token,
    NOTION_BASE_URL: fake.url,
    NOTION_PARENT_PAGE_ID: PARENT,
    NOTION_ENV_FILE: join(dir, '.env.local'),
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    NOTION_REQUESTS_PER_SECOND: String(WORKER_RATE),
  };
  const worker = busyWorker();
  const setup = await runScript('setup-notion', [], { env, timeout: 60_000 });
  const duringSetup = worker.sent();
  const verify = await runScript('verify', ['--only', 'notion'], { env, timeout: 60_000 });
  const duringVerify = (await worker.stop()) - duringSetup;

  expect(setup, setup.stderr).toMatchObject({ code: 0 });
  expect(verify.stdout).toMatch(/✓/);
  // The worker was busy all along: it kept sending while each command ran (how much depends on how long they took).
  expect(duringSetup).toBeGreaterThan(0);
  expect(duringVerify).toBeGreaterThan(0);
  expect(fake.count({ status: 429 })).toBe(0);
}, 90_000);

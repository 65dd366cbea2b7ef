/**
 * Budgets hold across processes (DESIGN §5): four Node processes, each with a
 * tracker and a connection pool of its own, race 200 reservations against one
 * limit or quota, released together by a barrier, and admit exactly what the cap
 * (plus its grace) takes — never one more. The advisory locks in
 * tokensync_budget_decide are what make this hold: with them gone, these tests fail.
 *
 * Prices by hand, from OpenAI's API pricing page (checked 2026-12): gpt-4o
 * $2.50 per million input tokens, $10.00 per million output tokens.
 * - 25,000 in / 2,500 out: 25,000 × 2.50 / 10⁶ + 2,500 × 10.00 / 10⁶ = $0.0625 + $0.025 = $0.0875.
 *   Against $1.00: ⌊1.00 / 0.0875⌋ = 11 calls ($0.9625; a 12th would make $1.05 > $1.00);
 *   with a 10 % grace, ⌊1.10 / 0.0875⌋ = 12 calls ($1.05; a 13th would make $1.1375 > $1.10).
 * - 80 in / 20 out = 100 tokens: 80 × 2.50 / 10⁶ + 20 × 10.00 / 10⁶ = $0.0002 + $0.0002 = $0.0004.
 *   A quota of 10,000 tokens a month takes exactly 10,000 / 100 = 100 such calls ($0.04).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertLimits } from '../support/fixtures.js';
import type { FromChild, RoundResult, RoundSpec, ToChild } from '../support/reserving-process.js';

const PROCESSES = 4;
const RESERVATIONS = 200;
const PER_PROCESS = RESERVATIONS / PROCESSES;

const GPT4O_CALL = { provider: 'openai', model: 'gpt-4o', promptTokens: 25_000, completionTokens: 2_500 } as const;
const GPT4O_CALL_USD = 0.0875;
const SMALL_CALL = { provider: 'openai', model: 'gpt-4o', promptTokens: 80, completionTokens: 20 } as const;

/** One forked process: a round is armed, then started by go(), then answered. */
class Racer {
  private readonly child: ChildProcess;
  private readonly inbox: FromChild[] = [];
  private waiter: (() => void) | undefined;
  private output = '';
  private readonly exited: Promise<number | null>;

  constructor(databaseUrl: string) {
    // From the TypeScript sources, with the workspace's packages resolved to theirs (as `npm run bench` runs).
    this.child = fork(join(import.meta.dirname, '../support/reserving-process.ts'), [databaseUrl], {
      execArgv: ['--conditions=tokensync-source', '--import', import.meta.resolve('tsx')],
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.on('message', (message: FromChild) => {
      this.inbox.push(message);
      this.waiter?.();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      resolve(code);
      this.waiter?.();
    }));
  }

  private async next(): Promise<FromChild> {
    while (this.inbox.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`a reserving process exited (${this.child.exitCode ?? this.child.signalCode}): ${this.output.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
    const message = this.inbox.shift()!;
    if ('error' in message) throw new Error(`in a reserving process: ${message.error}`);
    return message;
  }

  private send(message: ToChild) {
    this.child.send(message);
  }

  /** Hands it the round; resolves once its pool is open and it waits for go. */
  async arm(round: RoundSpec): Promise<void> {
    this.send({ round });
    expect(await this.next()).toEqual({ ready: true });
  }

  /** Starts the armed round; resolves with what it got. */
  async go(): Promise<RoundResult> {
    this.send({ go: true });
    const message = await this.next();
    if (!('result' in message)) throw new Error(`expected a result, got ${JSON.stringify(message)}`);
    return message.result;
  }

  async close(): Promise<void> {
    if (this.child.connected) this.send({ close: true });
    await this.exited;
  }
}

let db: TestDatabase;
let racers: Racer[];
beforeAll(async () => {
  db = await createTestDatabase();
  racers = Array.from({ length: PROCESSES }, () => new Racer(db.url));
});
afterAll(async () => {
  await Promise.all(racers.map((racer) => racer.close()));
  await db.drop();
});

beforeEach(() =>
  db.pool.query('truncate token_usage_logs, budget_limits, cost_alerts, agent_pauses, budget_audit, tokensync.budget_holds, feature_gates, subscription_tiers cascade'),
);

/**
 * Every process armed with its share of the round, then all started at once: the
 * barrier is that none is told to go before every one has its pool open and waits.
 */
async function race(round: (process: number) => RoundSpec): Promise<RoundResult[]> {
  await Promise.all(racers.map((racer, i) => racer.arm(round(i))));
  return Promise.all(racers.map((racer) => racer.go()));
}

/** What every race must show, whatever it admitted: all four processes asked the database at the same time, and each admitted call is logged with its hold dropped. */
async function expectFairRace(results: RoundResult[], admitted: number): Promise<void> {
  // Each decision was the database's (a timeout would have failed open and counted for nothing).
  expect(results.map((r) => r.sources)).toEqual(results.map(() => ({ database: PER_PROCESS })));
  expect(results.map((r) => r.admitted + r.denied)).toEqual(results.map(() => PER_PROCESS));
  expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(admitted);
  // They really raced: some moment lies inside every process's reserving.
  expect(Math.max(...results.map((r) => r.startedAt))).toBeLessThan(Math.min(...results.map((r) => r.finishedAt)));
  const settled = results.reduce((sum, r) => sum + (r.settled.settled ?? 0), 0);
  expect({ settled, other: results.flatMap((r) => Object.keys(r.settled).filter((via) => via !== 'settled')) }).toEqual({ settled: admitted, other: [] });
  const { rows } = await db.pool.query('select count(*)::int as holds from tokensync.budget_holds');
  expect(rows[0].holds).toBe(0);
}

const logged = async (userId: string) =>
  (
    await db.pool.query<{ calls: number; cost: string; tokens: string }>(
      'select count(*)::int as calls, coalesce(sum(total_cost), 0)::text as cost, coalesce(sum(total_tokens), 0)::text as tokens from token_usage_logs where user_id = $1',
      [userId],
    )
  ).rows[0]!;

describe(`${RESERVATIONS} reservations from ${PROCESSES} processes at once`, () => {
  const dollarRound = (p: number): RoundSpec => ({
    calls: PER_PROCESS,
    request: { userId: 'user-1', serviceType: 'workflow', estimate: { costUsd: GPT4O_CALL_USD } },
    event: { userId: 'user-1', serviceType: 'workflow', ...GPT4O_CALL },
    requestIdPrefix: `p${p}`,
  });

  it('admit 11 of $0.0875 against a $1.00 daily user limit without grace: $0.9625 logged', async () => {
    await insertLimits(db.pool, [{ entity_type: 'user', entity_id: 'user-1', daily_limit: 1, breach_action: 'block', grace_pct: 0 }]);
    const results = await race(dollarRound);
    await expectFairRace(results, 11);
    expect(await logged('user-1')).toEqual({ calls: 11, cost: '0.962500', tokens: String(11 * 27_500) });
  });

  it('admit 12 with the default 10 % grace: $1.05 logged, ≤ $1.10', async () => {
    await insertLimits(db.pool, [{ entity_type: 'user', entity_id: 'user-1', daily_limit: 1, breach_action: 'block' }]);
    const { rows } = await db.pool.query(`select grace_pct::text from budget_limits where entity_id = 'user-1'`);
    expect(rows[0].grace_pct).toBe('10.00');
    const results = await race(dollarRound);
    await expectFairRace(results, 12);
    expect(await logged('user-1')).toEqual({ calls: 12, cost: '1.050000', tokens: String(12 * 27_500) });
  });

  it('admit 100 calls of 100 tokens against a 10,000-token monthly quota: 10,000 tokens logged', async () => {
    await db.pool.query(`insert into subscription_tiers (tier, rank, monthly_token_quota) values ('free', 1, 10000)`);
    const results = await race((p) => ({
      calls: PER_PROCESS,
      // The tokens come from the estimate's prompt and completion tokens, priced as the call will be.
      request: { userId: 'user-q', tier: 'free', serviceType: 'workflow', estimate: SMALL_CALL },
      event: { userId: 'user-q', serviceType: 'workflow', ...SMALL_CALL },
      requestIdPrefix: `q${p}`,
    }));
    await expectFairRace(results, 100);
    expect(await logged('user-q')).toEqual({ calls: 100, cost: '0.040000', tokens: '10000' });
  });
});

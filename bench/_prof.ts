import pg from 'pg';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { createTracker } from '../src/sdk/tracker.js';
const url = 'postgres://postgres@127.0.0.1:5432/budget_prof';
const tracker = createTracker({ databaseUrl: url, config: loadConfig({}), logger: createLogger({ level: 'silent' }), budget: { timeoutMs: 30000 } });
const client = new pg.Client({ connectionString: url }); await client.connect();
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)]!.toFixed(2);
const r: number[] = [], s: number[] = [], sql: number[] = [], sqlSettle: number[] = [];
const req = { userId: 'user-40', agentId: 'agent-7', serviceType: 'workflow', estimate: { costUsd: 0.0875, tokens: 27500 } };
for (let i = 0; i < 600; i++) {
  let t = performance.now();
  const d = await tracker.reserve(req);
  r.push(performance.now() - t);
  t = performance.now();
  await tracker.settle(d.hold, { requestId: `p-${Date.now()}-${i}`, userId: 'user-40', agentId: 'agent-7', serviceType: 'workflow', provider: 'openai', model: 'gpt-4o', promptTokens: 25000, completionTokens: 2500 });
  s.push(performance.now() - t);
  t = performance.now();
  const { rows } = await client.query('select tokensync_reserve($1::jsonb) as d', [JSON.stringify({ user_id: 'user-40', agent_id: 'agent-7', service_type: 'workflow', estimated_cost: 0.0875, estimated_tokens: 27500 })]);
  sql.push(performance.now() - t);
  t = performance.now();
  await client.query('select tokensync_settle($1, $2::jsonb)', [rows[0].d.hold_id, JSON.stringify({ request_id: `q-${Date.now()}-${i}`, provider: 'openai', model: 'gpt-4o', total_cost: 0.0875 })]);
  sqlSettle.push(performance.now() - t);
}
console.log('sdk reserve p50', q(r, .5), 'p99', q(r, .99), '| sdk settle p50', q(s, .5), 'p99', q(s, .99));
console.log('sql reserve p50', q(sql, .5), 'p99', q(sql, .99), '| sql settle p50', q(sqlSettle, .5), 'p99', q(sqlSettle, .99));
await tracker.close(); await client.end();

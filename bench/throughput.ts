/**
 * DESIGN §5 under a backlog: the sustained request rate as a share of the
 * configured limit (bar ≥ 0.95) and the share of 429s (bar ≤ 0.01), with one and
 * with two worker processes sharing one token, against a fake that enforces
 * Notion's 3 requests/s. The naive baseline runs the same way, one process and two.
 */
import pg from 'pg';
import type { TimedRequest } from './notion-process.js';
import { insertLogs, insertOtherRows, PARENT_PAGE_ID, provision, spawnWorker } from './fixtures.js';
import { spawnScript, startRemoteNotion, type BenchProcess, type RemoteNotion } from './processes.js';
import { dropPrefix } from '../src/worker/redis-tools.js';
import { figure, format, type Benchmark, type BenchContext, type Figure } from './support.js';

const LIMIT = 3;
const RATE_LIMIT = { requestsPerSecond: LIMIT, burst: 10 };
/** Start-up (connections, the first page read, the report page) is left out of the window. */
const WARMUP_MS = 5_000;
const MEASURE_MS = 40_000;
const BACKLOG_LOGS = 5_000;
const BACKLOG_OTHER = 1_000;
/** Longer than the worker's default SYNC_SETTLE_MS. */
const SETTLE_WAIT_MS = 2_000;

interface Window {
  requests: number;
  throttled: number;
  writes: number;
}

/** Requests answered in the measuring window, which starts WARMUP_MS after the first request. */
function windowOf(timeline: TimedRequest[]): Window {
  const first = timeline[0]?.at;
  if (first === undefined) return { requests: 0, throttled: 0, writes: 0 };
  const from = first + WARMUP_MS;
  const inside = timeline.filter((r) => r.at >= from && r.at < from + MEASURE_MS);
  return {
    requests: inside.length,
    throttled: inside.filter((r) => r.status === 429).length,
    writes: inside.filter((r) => r.status === 200 && r.route.startsWith('/v1/pages')).length,
  };
}

/**
 * Starts `count` processes, lets them work through the window, stops them, and
 * returns what Notion saw. Workers stop with SIGTERM, as a deployment stops them
 * (a killed one would hold its dataset's lease into the next run); the naive
 * processes only stop between passes, so they are killed.
 */
async function measure(notion: RemoteNotion, start: () => BenchProcess, count: number, stop: 'term' | 'kill'): Promise<Window> {
  await notion.reset();
  const processes = Array.from({ length: count }, () => start());
  try {
    await new Promise((r) => setTimeout(r, WARMUP_MS + MEASURE_MS + 2_000));
  } finally {
    for (const p of processes) {
      if (stop === 'kill' && p.child.exitCode === null) p.child.kill('SIGKILL');
      const code = await p.stop();
      if (stop === 'term' && code !== 0) throw new Error(`a worker failed: ${p.output()}`);
    }
  }
  const window = windowOf(await notion.timeline());
  // A run that sent nothing measured nothing: say why rather than report 0.
  if (window.requests === 0) throw new Error(`no request reached Notion in the window; the processes said:\n${processes.map((p) => p.output()).join('\n')}`);
  return window;
}

function rows(label: string, ours: Window, naive: Window): Figure[] {
  const seconds = MEASURE_MS / 1000;
  const share = (w: Window) => w.requests / seconds / LIMIT;
  const throttled = (w: Window) => (w.requests === 0 ? 0 : w.throttled / w.requests);
  return [
    figure(`${label}: requests per second ÷ limit`, share(ours), share(naive), {
      bar: '≥ 0.95',
      pass: share(ours) >= 0.95,
      note: `${format(ours.requests)} requests in ${seconds} s, ${format(ours.writes)} page writes answered 200`,
    }),
    figure(`${label}: share of requests answered 429`, throttled(ours), throttled(naive), {
      bar: '≤ 0.01',
      pass: throttled(ours) <= 0.01,
      digits: 3,
      note: `naive: ${format(naive.throttled)} of ${format(naive.requests)}`,
    }),
    figure(`${label}: page writes answered 200 per second`, ours.writes / seconds, naive.writes / seconds),
  ];
}

export const throughputBenchmark: Benchmark = {
  id: 'throughput',
  title: 'Under a backlog: the shared rate limit, one and two worker processes',
  async run(context: BenchContext) {
    const notion = await startRemoteNotion({ rateLimit: false, parentPageId: PARENT_PAGE_ID });
    const client = new pg.Client({ connectionString: context.databaseUrl });
    await client.connect();
    const prefixes: string[] = [];
    try {
      const dataSources = await provision(notion);
      await insertLogs(client, BACKLOG_LOGS);
      await insertOtherRows(client, BACKLOG_OTHER);
      await notion.setRateLimit(RATE_LIMIT);
      // A pass reads only rows older than SYNC_SETTLE_MS (1 s): a worker started at once would find
      // the backlog too fresh, and its next pass is a whole SYNC_INTERVAL_MS (60 s) later.
      await new Promise((r) => setTimeout(r, SETTLE_WAIT_MS));

      // Workers of one run share a queue prefix, as a deployment's do: one queue, one limiter in Redis.
      const workers = (run: string) => {
        const prefix = `tokensync-bench-${run}-${process.pid}`;
        prefixes.push(prefix);
        return () => spawnWorker(context, { notion, dataSources, queuePrefix: prefix, env: { NOTION_REQUESTS_PER_SECOND: String(LIMIT) } });
      };
      const naive = () =>
        spawnScript('bench/naive-process.ts', {}, [
          JSON.stringify({ databaseUrl: context.databaseUrl, notion, dataSourceId: dataSources.token_usage_logs, requestsPerSecond: LIMIT, seconds: 600 }),
        ]);

      const one = await measure(notion, workers('one'), 1, 'term');
      const two = await measure(notion, workers('two'), 2, 'term');
      const naiveOne = await measure(notion, naive, 1, 'kill');
      const naiveTwo = await measure(notion, naive, 2, 'kill');
      return {
        method:
          `Notion is the project's fake in a separate process, enforcing ${LIMIT} requests/s with a burst of ${RATE_LIMIT.burst} per token, as Notion documents. ` +
          `Backlog: ${format(BACKLOG_LOGS)} logs, ${format(BACKLOG_OTHER)} cost alerts and ${format(BACKLOG_OTHER)} service metrics rows, none synced; every setting at its default, so the logs take their 5 % share of the rate and the rest goes to the other datasets. ` +
          `\`npm run worker\` processes with NOTION_REQUESTS_PER_SECOND=${LIMIT} (two of them on one queue prefix share one limiter in Redis); ` +
          `every request Notion answered is counted over ${MEASURE_MS / 1000} s, starting ${WARMUP_MS / 1000} s after the first (start-up left out). ` +
          `Naive: its own ${LIMIT}/s limiter per process, the SDK's retries for 429s. Measured at the real 3/s, not a shortened window.`,
        figures: [...rows('1 process', one, naiveOne), ...rows('2 processes', two, naiveTwo)],
      };
    } finally {
      await client.end();
      await notion.close();
      for (const prefix of prefixes) await dropPrefix(context.redisUrl, prefix);
    }
  },
};

/**
 * The usage API under load over 1,000,000 logs: latency (p50, p99) and
 * requests per second of each route in TARGETS, loaded with autocannon over
 * HTTP, beside the same question answered naively from the raw logs by a
 * trivial handler (api-naive-process.ts) on the same HTTP stack.
 *
 * Which routes are measured is read from the API's own /openapi.json: a
 * target whose route the document does not have yet is reported as not
 * available, and measured, with no change here, once the route is served.
 * A new route to measure is one entry in TARGETS.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import pg from 'pg';
import { HISTORY_DAYS, HISTORY_LOGS, SERVICES, USERS, quantile, seedHistory } from './budget-calls.js';
import { spawnScript, until, type BenchProcess } from './processes.js';
import type { NaiveApiOptions } from './api-naive-process.js';
import { format, timed, type Benchmark, type BenchResult, type Figure } from './support.js';

/** Connections autocannon keeps open, each with one request in flight. */
const CONNECTIONS = 10;
const LOAD_SECONDS = 10;
const WARM_UP_SECONDS = 2;
/** The API's pool (the transport's default); the naive server gets the same. */
const POOL_SIZE = 5;
/** The reservation's estimate: the gpt-4o call of 25,000 in / 2,500 out, $0.0875. */
const ESTIMATE_USD = 0.0875;

type OpenApiOperation = { operationId?: string; tags?: string[] };
export type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> };

/** A route as served: method and path template (`/v1/usage/users/{userId}`). */
interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
}

/** What a target measures, and how to find its route in the served document. */
export interface Target {
  id: string;
  /** How the figures name it. */
  title: string;
  /** Its route in /openapi.json; undefined while the API does not serve it. */
  find(document: OpenApiDocument): Route | undefined;
  /** The naive server's route for the same question (api-naive-process.ts). */
  naive: Route;
  /** Who calls: a user's access token (the k-th request's user's), or the service role. */
  credential: 'user' | 'service';
  /** The k-th request: path parameters and JSON body. */
  request(k: number): { params?: Record<string, string>; body?: unknown };
  /** Each answer's hold is released at once, by the same caller on the same connection, so holds do not pile up. */
  release?: { find(document: OpenApiDocument): Route | undefined; naive: Route };
}

const has = (document: OpenApiDocument, method: Route['method'], path: string): Route | undefined =>
  document.paths[path]?.[method.toLowerCase()] ? { method, path } : undefined;

/** The first GET under /v1/usage (or tagged usage) whose path or operationId `matches`. */
function usageRead(document: OpenApiDocument, matches: (path: string, operation: OpenApiOperation) => boolean): Route | undefined {
  for (const [path, methods] of Object.entries(document.paths)) {
    const operation = methods.get;
    if (!operation) continue;
    const isUsage = path.startsWith('/v1/usage') || (operation.tags ?? []).includes('usage');
    if (isUsage && matches(path, operation)) return { method: 'GET', path };
  }
  return undefined;
}

const userOf = (k: number) => `user-${k % USERS}`;

/** The routes measured. Each user request acts for a different user of the history in turn. */
export const TARGETS: readonly Target[] = [
  {
    id: 'check',
    title: 'POST /v1/budget/check',
    find: (d) => has(d, 'POST', '/v1/budget/check'),
    naive: { method: 'POST', path: '/v1/budget/check' },
    credential: 'user',
    request: (k) => ({ body: { serviceType: SERVICES[k % SERVICES.length], estimatedCost: ESTIMATE_USD } }),
  },
  {
    id: 'reserve',
    title: 'POST /v1/budget/reservations (each released at once)',
    find: (d) => has(d, 'POST', '/v1/budget/reservations'),
    naive: { method: 'POST', path: '/v1/budget/reservations' },
    credential: 'user',
    request: (k) => ({ body: { serviceType: SERVICES[k % SERVICES.length], estimate: { costUsd: ESTIMATE_USD } } }),
    release: { find: (d) => has(d, 'DELETE', '/v1/budget/reservations/{holdId}'), naive: { method: 'DELETE', path: '/v1/budget/reservations/{holdId}' } },
  },
  {
    id: 'dashboard',
    title: 'GET dashboard (usage)',
    // The dashboard overview: month to date, today, top agents and models.
    find: (d) => usageRead(d, (path, op) => /dashboard|overview/i.test(op.operationId ?? '') || /dashboard|overview/i.test(path)),
    naive: { method: 'GET', path: '/v1/usage/dashboard' },
    credential: 'service',
    request: () => ({}),
  },
  {
    id: 'user-stats',
    title: 'GET per-user stats (usage)',
    find: (d) => usageRead(d, (path) => /\{userId\}/.test(path) && (path.match(/\{/g) ?? []).length === 1),
    naive: { method: 'GET', path: '/v1/usage/users/{userId}' },
    credential: 'user',
    request: (k) => ({ params: { userId: userOf(k) } }),
  },
];

const fill = (template: string, params: Record<string, string> = {}) =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));

/** Access tokens as Supabase Auth signs them: one per user of the history, and one of the service role. */
async function mintCredentials(secret: string): Promise<{ user: (k: number) => string; service: string }> {
  const key = new TextEncoder().encode(secret);
  const sign = (claims: Record<string, unknown>, sub?: string) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('2h');
    return (sub ? jwt.setSubject(sub) : jwt).sign(key);
  };
  const users: string[] = [];
  for (let u = 0; u < USERS; u++) users.push(await sign({ role: 'authenticated', aud: 'authenticated' }, `user-${u}`));
  const service = await sign({ role: 'service_role' });
  return { user: (k) => users[k % USERS]!, service };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Measured {
  p50: number;
  p99: number;
  perSecond: number;
  count: number;
  denied: number;
}

interface Credentials {
  user: (k: number) => string;
  service: string;
}

/**
 * Loads `route` on `baseUrl` for `seconds` with CONNECTIONS connections; the
 * latency of each request of the target (not of the releases after it), timed
 * by autocannon, and how many per second.
 */
async function load(baseUrl: string, target: Target, route: Route, release: Route | undefined, credentials: Credentials, seconds: number): Promise<Measured> {
  let k = 0;
  let denied = 0;
  type Context = { token?: string; holdId?: string };
  const first: autocannon.Request = {
    method: route.method,
    path: route.path,
    setupRequest: (request, context: Context) => {
      const n = k++;
      const { params, body } = target.request(n);
      context.token = target.credential === 'service' ? credentials.service : credentials.user(n);
      return {
        ...request,
        path: fill(route.path, params),
        headers: { authorization: `Bearer ${context.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      };
    },
    ...(release
      ? {
          onResponse: (status: number, body: string, context: Context) => {
            const hold = status === 200 ? (JSON.parse(body) as { hold?: { id: string } | null }).hold : undefined;
            if (!hold) denied++;
            context.holdId = hold?.id;
          },
        }
      : {}),
  };
  const requests: autocannon.Request[] = [first];
  if (release) {
    requests.push({
      method: release.method,
      path: release.path,
      setupRequest: (request, context: Context) => ({ ...request, path: fill(release.path, { holdId: context.holdId ?? 'none' }), headers: { authorization: `Bearer ${context.token}` } }),
    });
  }
  // Per connection, requests go in the order above: even answers are the target's, odd ones releases.
  const answered = new Map<unknown, number>();
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, requests }, (error, done) => (error ? reject(error as Error) : resolve(done)));
    instance.on('response', (client: unknown, _status: number, _bytes: number, responseTime: number) => {
      const n = answered.get(client) ?? 0;
      answered.set(client, n + 1);
      if (!release || n % 2 === 0) times.push(responseTime);
    });
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${target.id} on ${baseUrl}: ${result.non2xx} answers not 2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), perSecond: times.length / (result.duration || seconds), count: times.length, denied };
}

/** One request as the load sends it, to see that the route answers 2xx for this caller before loading it. */
async function probe(baseUrl: string, target: Target, route: Route, credentials: Credentials): Promise<string | undefined> {
  const { params, body } = target.request(0);
  const token = target.credential === 'service' ? credentials.service : credentials.user(0);
  const response = await fetch(`${baseUrl}${fill(route.path, params)}`, {
    method: route.method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.ok) {
    // A probe's hold is released like the load's.
    const hold = target.release ? (JSON.parse(text) as { hold?: { id: string } | null }).hold : undefined;
    if (hold) await fetch(`${baseUrl}/v1/budget/reservations/${encodeURIComponent(hold.id)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    return undefined;
  }
  return `answered ${response.status} ${text.slice(0, 200)}`;
}

function started(child: BenchProcess, what: string) {
  return async () => {
    if (child.child.exitCode !== null) throw new Error(`${what} exited early: ${child.output()}`);
    return true;
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

const rows = (title: string, api: Measured, naive: Measured | undefined, note: string): Figure[] => {
  const cell = (n: number | undefined, digits: number) => (n === undefined ? '—' : format(n, digits));
  const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? '—' : `${format(a / b, a / b < 10 ? 2 : 0)}×`);
  return [
    { what: `${title}: p50 (ms)`, value: cell(api.p50, 1), naive: cell(naive?.p50, 1), ratio: ratio(api.p50, naive?.p50), bar: '', verdict: '', note },
    { what: `${title}: p99 (ms)`, value: cell(api.p99, 1), naive: cell(naive?.p99, 1), ratio: ratio(api.p99, naive?.p99), bar: '', verdict: '', note: '' },
    { what: `${title}: requests/s`, value: cell(api.perSecond, 0), naive: cell(naive?.perSecond, 0), ratio: ratio(api.perSecond, naive?.perSecond), bar: '', verdict: '', note: '' },
  ];
};

const notAvailable = (target: Target, why: string): Figure => ({
  what: `${target.title}`,
  value: 'not available',
  naive: '—',
  ratio: '—',
  bar: '',
  verdict: '',
  note: why,
});

export const apiBenchmark: Benchmark = {
  id: 'api',
  title: 'The usage API over HTTP: budget decisions and usage reads over a million logs, beside the same questions asked naively of the raw logs',
  async run({ databaseUrl, scale }): Promise<BenchResult> {
    const historyLogs = scale?.historyRows ?? HISTORY_LOGS;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    let seedSeconds: number;
    try {
      [, seedSeconds] = await timed(() => seedHistory(client, new Date(), historyLogs));
    } finally {
      await client.end();
    }
    process.stdout.write(`  history ready in ${format(seedSeconds, 0)} s\n`);

    // A throwaway secret: the benchmark signs its callers' tokens with it; nothing else ever sees it.
    const jwtSecret = randomBytes(32).toString('base64url');
    const credentials = await mintCredentials(jwtSecret);
    const [apiPort, naivePort] = [await freePort(), await freePort()];
    const api = spawnScript('scripts/api.ts', {
      DATABASE_URL: databaseUrl,
      SUPABASE_JWT_SECRET: jwtSecret,
      API_PORT: String(apiPort),
      // Each caller's bucket would stop the load: the limit is not what is measured.
      API_RATE_LIMIT_PER_SECOND: '1000000',
      API_RATE_LIMIT_BURST: '1000000',
      // Every check is decided by the database (the cache's ≤ 1 ms is the budget benchmark's), and never by the fail policy.
      BUDGET_CHECK_CACHE_TTL_MS: '0',
      BUDGET_CHECK_TIMEOUT_MS: '30000',
      LOG_LEVEL: 'warn',
    });
    const naiveOptions: NaiveApiOptions = { databaseUrl, port: naivePort, jwtSecret, poolSize: POOL_SIZE };
    const naive = spawnScript('bench/api-naive-process.ts', {}, [JSON.stringify(naiveOptions)]);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const naiveUrl = `http://127.0.0.1:${naivePort}`;
    try {
      await until('the API to answer /readyz', async () => (await started(api, 'the API')()) && answers(`${apiUrl}/readyz`), 60_000);
      await until('the naive server to start', async () => (await started(naive, 'the naive server')()) && naive.output().includes('{"ready":true}'), 60_000);
      const document = (await (await fetch(`${apiUrl}/openapi.json`)).json()) as OpenApiDocument;
      const loadAverage = loadavg()[0]!;

      const figures: Figure[] = [];
      const measured: string[] = [];
      for (const target of TARGETS) {
        const route = target.find(document);
        const release = target.release?.find(document);
        if (!route || (target.release && !release)) {
          figures.push(notAvailable(target, 'the API does not serve this route yet (not in its /openapi.json); measured with no code change once it does'));
          continue;
        }
        const refused = await probe(apiUrl, target, route, credentials);
        if (refused) {
          figures.push(notAvailable(target, `${route.method} ${route.path} ${refused}`));
          continue;
        }
        const naiveRefused = await probe(naiveUrl, target, target.naive, credentials);
        process.stdout.write(`  ${route.method} ${route.path} …\n`);
        await load(apiUrl, target, route, release, credentials, WARM_UP_SECONDS);
        const fromApi = await load(apiUrl, target, route, release, credentials, LOAD_SECONDS);
        let fromNaive: Measured | undefined;
        if (!naiveRefused) {
          await load(naiveUrl, target, target.naive, target.release?.naive, credentials, WARM_UP_SECONDS);
          fromNaive = await load(naiveUrl, target, target.naive, target.release?.naive, credentials, LOAD_SECONDS);
        }
        const deniedNote = target.release ? `; ${format(fromApi.denied)} denied (naive ${format(fromNaive?.denied ?? 0)})` : '';
        figures.push(
          ...rows(
            target.title,
            fromApi,
            fromNaive,
            `${route.method} ${route.path}: ${format(fromApi.count)} requests in ${LOAD_SECONDS} s (naive ${fromNaive ? format(fromNaive.count) : `not run: ${naiveRefused}`})${deniedNote}`,
          ),
        );
        measured.push(`${route.method} ${route.path}`);
      }
      return {
        method:
          `${format(historyLogs)} logs over the last ${HISTORY_DAYS} days generated in SQL as the budget benchmark does (bench/budget-calls.ts: ` +
          `${format(USERS)} users, 4 organizations, 4 services, 3 tiers, the seed's 8 limits plus a blocking user and agent limit), then VACUUM ANALYZE. ` +
          `The API runs as \`npm run api\` does (scripts/api.ts, a child process, direct Postgres, its pool of ${POOL_SIZE}), with the per-caller rate limit ` +
          `raised out of the way, the check cache off (every check is the database's; the cached check is the budget benchmark's figure) and LOG_LEVEL=warn. ` +
          `Load: autocannon in the benchmark's process, ${CONNECTIONS} connections each with one request in flight, ${WARM_UP_SECONDS} s of warm-up then ${LOAD_SECONDS} s measured per route; ` +
          `latency is autocannon's per request, from sending to the last byte. Callers are users with HS256 access tokens (each request the next of the ${format(USERS)} users, ` +
          `its own token, services in turn; the dashboard with a service_role token). A reservation ($${ESTIMATE_USD}) is released by the same caller on the same ` +
          `connection right after its answer (the release's time is not in the figures; requests/s counts reservations). Naive: bench/api-naive-process.ts, the same ` +
          `routes on Fastify with the same token check and a pool of ${POOL_SIZE}, each answer read from the raw logs: the limits that apply, then per limit a ` +
          '`select sum(total_cost) … where <entity> = $1 and created_at >= <month start>` (today in the same scan) and its holds; a reservation takes a transaction lock per ' +
          'limit and inserts a hold, a release deletes it; the dashboard is cost, tokens and calls per day and service over 30 days, per-user stats the user\'s month by model. ' +
          `Routes come from the API's /openapi.json: a target it does not serve yet is reported as not available (measured: ${measured.join(', ') || 'none'}). ` +
          `Load average when the load began: ${format(loadAverage, 1)} on ${cpus().length} CPUs; Postgres, the API, the naive server and autocannon share them.`,
        figures,
      };
    } finally {
      await Promise.all([api.stop(), naive.stop()]);
    }
  },
};

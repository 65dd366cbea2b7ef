/**
 * The HTTP side of the fake: a node:http server on 127.0.0.1 that checks what
 * Notion checks before a request reaches an endpoint (bearer token,
 * Notion-Version header, rate limit, body size and JSON), applies injected
 * faults, routes, and answers JSON with an `x-request-id` header that equals the
 * body's `request_id`. Injected proxy faults answer as the proxy in front of
 * Notion would: an HTML page, no request id.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotionError, errorBody, notionErrors } from './errors.js';
import type { Faults } from './faults.js';
import { newId } from './ids.js';
import type { Cursors } from './pagination.js';
import type { RateLimiter } from './rate-limit.js';
import type { Router, Settings } from './router.js';
import type { Stats } from './stats.js';
import type { Store } from './store.js';
import { isRecord, type JsonObject } from './validation.js';
import { isApiPath, serveWeb } from './web/index.js';

export interface ServerDeps {
  store: Store;
  router: Router;
  cursors: Cursors;
  faults: Faults;
  stats: Stats;
  rateLimiter: RateLimiter;
  settings: Settings;
  /** Bearer tokens accepted as the integration's. */
  tokens: ReadonlySet<string>;
  /** Accepted tokens of an integration with only the Read content capability. */
  readOnlyTokens: ReadonlySet<string>;
  /** Accepted Notion-Version values; any value when undefined. */
  versions: ReadonlySet<string> | undefined;
  maxBodyBytes: number;
  /** Called with unexpected handler errors (answered 500). */
  onError: (error: unknown) => void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the body, stopping at `max` bytes but draining the rest so the connection stays usable. */
function readBody(req: IncomingMessage, max: number): Promise<{ text: string; tooLarge: number | undefined }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > max ? size : undefined }));
    req.on('error', reject);
  });
}

function parseBody(text: string, method: string): JsonObject {
  if (method === 'GET' || method === 'DELETE' || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notionErrors.invalidJson();
  }
  if (!isRecord(parsed)) throw notionErrors.bodyValidation('body', 'should be an object, instead was `' + JSON.stringify(parsed) + '`');
  return parsed;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const PROXY_REASONS: Readonly<Record<number, string>> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/** What a proxy in front of Notion answers when Notion behind it does not: HTML, with its own trace id rather than Notion's request id. */
function sendProxyPage(res: ServerResponse, status: number): void {
  const title = `${status} ${PROXY_REASONS[status] ?? 'Error'}`;
  const text = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`;
  res.removeHeader('x-request-id');
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(text), 'cf-ray': `${newId().replaceAll('-', '').slice(0, 16)}-FRA` });
  res.end(text);
}

/** Sends the status line, the headers (with the full length) and the first half of the body, then nothing: the client waits for the rest. */
function sendHalf(res: ServerResponse, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': text.length });
  res.write(text.subarray(0, Math.floor(text.length / 2)));
}

function faultError(status: number, retryAfterSeconds: number): NotionError {
  switch (status) {
    case 400:
      return notionErrors.validation('The request was refused as invalid (an injected fault).');
    case 409:
      return notionErrors.conflict();
    case 429:
      return notionErrors.rateLimited(retryAfterSeconds);
    case 502:
      return notionErrors.badGateway();
    case 503:
      return notionErrors.unavailable();
    case 504:
      return notionErrors.gatewayTimeout();
    case 529:
      return notionErrors.overloaded(retryAfterSeconds);
    default:
      return notionErrors.internal();
  }
}

/** Reads are GETs, plus the POSTs that only query. */
function isWrite(method: string, route: string): boolean {
  return method !== 'GET' && !(method === 'POST' && (route.endsWith('/query') || route === '/v1/search'));
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  // The read-only web page: no token, no rate limit, no faults, not in the request statistics.
  if (!isApiPath(url.pathname)) return serveWeb(deps.store, req, res, deps.onError);
  const requestId = newId();
  res.setHeader('x-request-id', requestId);
  const method = (req.method ?? 'GET').toUpperCase();
  const match = deps.router.match(method, url.pathname);
  const routeName = match?.route.pattern ?? url.pathname;
  try {
    const body = await readBody(req, deps.maxBodyBytes);
    const delay = deps.faults.takeDelay(method, routeName);
    if (delay > 0) await sleep(delay);
    const proxyStatus = deps.faults.takeProxy(method, routeName);
    if (proxyStatus !== undefined) {
      deps.stats.record(method, routeName, proxyStatus);
      sendProxyPage(res, proxyStatus);
      return;
    }

    const token = bearerToken(req.headers.authorization);
    if (!token || !deps.tokens.has(token)) throw notionErrors.unauthorized();
    if (deps.readOnlyTokens.has(token) && isWrite(method, routeName)) throw notionErrors.restricted();
    const version = req.headers['notion-version'];
    if (typeof version !== 'string' || version.trim() === '') throw notionErrors.missingVersion();
    if (deps.versions && !deps.versions.has(version)) {
      throw notionErrors.validation(`Notion-Version header failed validation: Notion-Version header should be one of ${[...deps.versions].map((v) => `\`"${v}"\``).join(', ')}, instead was \`"${version}"\`.`);
    }
    const allowed = deps.rateLimiter.take(token);
    if (!allowed.ok) throw notionErrors.rateLimited(allowed.retryAfterSeconds);
    const fault = deps.faults.takeStatus(method, routeName);
    if (fault) throw faultError(fault.status, fault.retryAfterSeconds);
    if (body.tooLarge !== undefined) {
      throw notionErrors.validation(`Request body too large: ${body.tooLarge} bytes; the limit is ${deps.maxBodyBytes} bytes.`);
    }
    const parsed = parseBody(body.text, method);
    if (!match) throw notionErrors.invalidRequestUrl();

    const result = match.route.handler({
      params: match.params,
      query: url.searchParams,
      body: parsed,
      store: deps.store,
      cursors: deps.cursors,
      settings: deps.settings,
    });
    if (deps.faults.takeLose(method, routeName)) {
      deps.stats.record(method, routeName, 'lost');
      req.socket.destroy();
      return;
    }
    if (deps.faults.takeStall(method, routeName)) {
      deps.stats.record(method, routeName, 'stalled');
      sendHalf(res, { ...result, request_id: requestId });
      return;
    }
    deps.stats.record(method, routeName, 200);
    send(res, 200, { ...result, request_id: requestId });
  } catch (error) {
    const notionError = error instanceof NotionError ? error : notionErrors.internal();
    if (!(error instanceof NotionError)) deps.onError(error);
    deps.stats.record(method, routeName, notionError.status);
    send(res, notionError.status, errorBody(notionError, requestId), notionError.headers);
  }
}

export function startServer(deps: ServerDeps, host: string, port: number): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      deps.onError(error);
      if (!res.headersSent) send(res, 500, errorBody(notionErrors.internal(), String(res.getHeader('x-request-id') ?? newId())));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

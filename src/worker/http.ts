/** /healthz (the process runs), /readyz (it can do its work) and /metrics, on 127.0.0.1 unless configured. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Resolves with the problems that keep the worker from working; empty when ready. */
  readiness: () => Promise<string[]>;
  /**
   * Conditions worth a look that do not make the worker unready (a lane that
   * does not keep up): listed after the status line as `warning: …`.
   */
  warnings?: () => Promise<string[]>;
  /** Answers POST /notion/webhook with the raw body, the signature header and the client's address. */
  notionWebhook?: (request: { body: string; signature: string | undefined; from: string }) => Promise<{ status: number; body: string }>;
}

/** Notion's events are a few kilobytes; anything larger is not one of them. */
const MAX_WEBHOOK_BYTES = 64 * 1024;

/** The body, or undefined as soon as it passes MAX_WEBHOOK_BYTES (the rest is not read). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_WEBHOOK_BYTES) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method === 'POST' && path === '/notion/webhook' && options.notionWebhook) {
      const handle = options.notionWebhook;
      const signature = req.headers['x-notion-signature'];
      readBody(req)
        .then((body) => {
          if (body !== undefined) return handle({ body, signature: typeof signature === 'string' ? signature : undefined, from: req.socket.remoteAddress ?? 'unknown' });
          // The rest of the body is not read: the connection cannot be reused.
          res.setHeader('connection', 'close');
          return { status: 413, body: `larger than ${MAX_WEBHOOK_BYTES} bytes\n` };
        })
        .then((answer) => send(answer.status, answer.body), (error: unknown) => send(500, `${String(error)}\n`));
      return;
    }
    if (req.method !== 'GET') return send(405, 'method not allowed\n');
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      // A warning that cannot be read is not a reason to be unready.
      const warnings = (options.warnings?.() ?? Promise.resolve([])).catch(() => []);
      Promise.all([options.readiness(), warnings]).then(
        ([problems, warned]) => {
          const lines = [...(problems.length === 0 ? ['ready'] : problems), ...warned.map((w) => `warning: ${w}`)];
          send(problems.length === 0 ? 200 : 503, `${lines.join('\n')}\n`);
        },
        (error: unknown) => send(503, `${String(error)}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (error: unknown) => send(500, `${String(error)}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The sandbox's read-only web page, served by the fake's own HTTP server on
 * every path outside /v1: `/` (the workspace), `/databases/:id` (a database
 * with all its views drawn) and `/pages/:id` (a page and its blocks). It reads
 * the store directly, needs no token, and answers only GET and HEAD.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeId } from '../ids.js';
import type { Store } from '../store.js';
import { renderDatabasePage } from './database-page.js';
import { renderHome } from './home.js';
import { html, type Html } from './html.js';
import { documentOf } from './layout.js';
import { renderPage } from './page-view.js';
import { entryOf } from './workspace.js';

/** Paths the Notion API owns; everything else is the web page. */
export function isApiPath(pathname: string): boolean {
  return pathname === '/v1' || pathname.startsWith('/v1/');
}

/** Nothing loads from elsewhere and nothing runs, even if escaping were ever missed. */
const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

interface Answer {
  status: number;
  document: Html;
}

function errorPage(store: Store, status: number, title: string, message: string): Answer {
  const body = html`<div class="error-page" data-status="${status}"><h1 class="page-title">${title}</h1><p>${message}</p><p><a class="row-link" href="/">Back to the workspace</a></p></div>`;
  return { status, document: documentOf(store, { title, body }) };
}

const notFound = (store: Store) => errorPage(store, 404, 'Not found', 'Nothing here: the page or database does not exist, is not shared with the integration, or is in the trash.');

function databaseAnswer(store: Store, rawId: string): Answer {
  const id = normalizeId(rawId);
  const entry = id ? entryOf(store, id) : undefined;
  const database = id ? store.databases.get(id) : undefined;
  if (!entry || !database) return notFound(store);
  return { status: 200, document: documentOf(store, { title: entry.title, current: entry, body: renderDatabasePage(store, database), wide: true }) };
}

function pageAnswer(store: Store, rawId: string): Answer {
  const id = normalizeId(rawId);
  const entry = id ? entryOf(store, id) : undefined;
  const page = id ? store.pages.get(id) : undefined;
  if (!entry || !page) return notFound(store);
  return { status: 200, document: documentOf(store, { title: entry.title, current: entry, body: renderPage(store, page, entry) }) };
}

function answer(store: Store, pathname: string): Answer {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length === 0) return { status: 200, document: documentOf(store, { title: store.bot.workspaceName, body: renderHome(store) }) };
  if (parts.length === 2 && parts[0] === 'databases') return databaseAnswer(store, parts[1]!);
  if (parts.length === 2 && parts[0] === 'pages') return pageAnswer(store, parts[1]!);
  return notFound(store);
}

function send(res: ServerResponse, method: string, { status, document }: Answer, extra: Record<string, string> = {}): void {
  const body = Buffer.from(document.text, 'utf8');
  res.writeHead(status, { ...HEADERS, 'content-length': body.length, ...extra });
  res.end(method === 'HEAD' ? undefined : body);
}

export function serveWeb(store: Store, req: IncomingMessage, res: ServerResponse, onError: (error: unknown) => void): void {
  const method = (req.method ?? 'GET').toUpperCase();
  // A body sent to a read-only page is read and dropped, so the connection stays usable.
  req.resume();
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, method, errorPage(store, 405, 'Read-only', 'This page only shows the sandbox; change it through the Notion API under /v1.'), { allow: 'GET, HEAD' });
    return;
  }
  const pathname = new URL(req.url ?? '/', 'http://sandbox.invalid').pathname;
  try {
    send(res, method, answer(store, pathname));
  } catch (error) {
    onError(error);
    send(res, method, errorPage(store, 500, 'Something went wrong', 'The sandbox could not draw this page; the error is in its log.'));
  }
}

/**
 * Routes of the fake: `METHOD /v1/path/:param` patterns and what a handler gets.
 * The pattern doubles as the route's name in request statistics.
 */
import type { Cursors } from './pagination.js';
import type { Store } from './store.js';
import type { JsonObject } from './validation.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Settings {
  /** Rows one data source query can return before `request_status` turns incomplete. */
  queryResultLimit: number;
}

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: JsonObject;
  store: Store;
  cursors: Cursors;
  settings: Settings;
}

export type Handler = (ctx: RequestContext) => JsonObject;

export interface Route {
  method: Method;
  pattern: string;
  handler: Handler;
}

export const route = (method: Method, pattern: string, handler: Handler): Route => ({ method, pattern, handler });

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: { route: Route; parts: string[] }[] = [];

  add(routes: readonly Route[]): void {
    for (const r of routes) this.routes.push({ route: r, parts: r.pattern.split('/').filter(Boolean) });
  }

  /** The route for a request; `pattern` is set even when only the method is wrong. */
  match(method: string, pathname: string): Match | undefined {
    const segments = pathname.split('/').filter(Boolean).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const candidates = this.routes.filter(({ parts }) => parts.length === segments.length && parts.every((p, i) => p.startsWith(':') || p === segments[i]));
    // Literal segments win over parameters (GET /v1/users/me before GET /v1/users/:user_id).
    candidates.sort((a, b) => b.parts.filter((p) => !p.startsWith(':')).length - a.parts.filter((p) => !p.startsWith(':')).length);
    const hit = candidates.find((c) => c.route.method === method);
    if (!hit) return undefined;
    const params: Record<string, string> = {};
    hit.parts.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    });
    return { route: hit.route, params };
  }
}

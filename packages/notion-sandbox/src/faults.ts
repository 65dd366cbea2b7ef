/**
 * Fault injection, switchable at runtime: the next N matching requests fail
 * with 500 / 503 / 529 (or 400 / 409 / 429 / 502 / 504), are answered late, are
 * answered by a proxy in front of Notion (an HTML error page), or (for writes)
 * take effect and then lose their response: the socket is destroyed without an
 * answer, or the answer stalls after its headers and part of its body.
 */

export interface RequestMatcher {
  /** e.g. 'POST'; any method when absent. */
  method?: string;
  /** A route pattern such as '/v1/pages' or '/v1/data_sources/:data_source_id/query', or a RegExp on it. */
  route?: string | RegExp;
}

/**
 * 400 validation_error (a refusal the client could not foresee, which no retry
 * mends), 409 conflict_error, 429 rate_limited, 500 internal_server_error,
 * 502 bad_gateway, 503 service_unavailable, 504 gateway_timeout, 529 service_overload.
 */
export type FaultStatus = 400 | 409 | 429 | 500 | 502 | 503 | 504 | 529;

/** Statuses a proxy in front of Notion answers with a page of HTML (Cloudflare, a load balancer). */
export type ProxyStatus = 502 | 503 | 504;

type Rule =
  | { kind: 'status'; status: FaultStatus; remaining: number; match: RequestMatcher; retryAfterSeconds: number }
  | { kind: 'proxy'; status: ProxyStatus; remaining: number; match: RequestMatcher }
  | { kind: 'delay'; ms: number; remaining: number; match: RequestMatcher }
  | { kind: 'lose'; remaining: number; match: RequestMatcher }
  | { kind: 'stall'; remaining: number; match: RequestMatcher };

export interface FaultSummary {
  kind: Rule['kind'];
  remaining: number;
  status?: FaultStatus | ProxyStatus;
  ms?: number;
  match: RequestMatcher;
}

function matches(m: RequestMatcher, method: string, route: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.route === undefined) return true;
  return typeof m.route === 'string' ? m.route === route : m.route.test(route);
}

export class Faults {
  private rules: Rule[] = [];

  /**
   * The next `count` matching requests fail with `status`. 429 and 529 answers
   * carry Retry-After: `retryAfterSeconds`, which for the workspace-wide limit
   * Notion documents may be above 60.
   */
  fail(status: FaultStatus, count = 1, match: RequestMatcher = {}, retryAfterSeconds = 1): void {
    this.rules.push({ kind: 'status', status, remaining: count, match, retryAfterSeconds });
  }

  /**
   * The next `count` matching requests never reach Notion: a proxy in front of
   * it answers `status` with an HTML page (content-type text/html), not
   * Notion's JSON error body.
   */
  failFromProxy(status: ProxyStatus = 502, count = 1, match: RequestMatcher = {}): void {
    this.rules.push({ kind: 'proxy', status, remaining: count, match });
  }

  /** Matching requests are answered `ms` later; `count` of them, or all until cleared. */
  delay(ms: number, options: { count?: number; match?: RequestMatcher } = {}): void {
    this.rules.push({ kind: 'delay', ms, remaining: options.count ?? Infinity, match: options.match ?? {} });
  }

  /** The next `count` matching requests take effect but get no response. Default: page creates. */
  loseResponses(count = 1, match: RequestMatcher = { method: 'POST', route: '/v1/pages' }): void {
    this.rules.push({ kind: 'lose', remaining: count, match });
  }

  /**
   * The next `count` matching requests take effect, then their answer stalls:
   * the status line, the headers and part of the JSON body are sent, then
   * nothing more, with the connection left open. Default: page creates.
   */
  stallResponses(count = 1, match: RequestMatcher = { method: 'POST', route: '/v1/pages' }): void {
    this.rules.push({ kind: 'stall', remaining: count, match });
  }

  clear(): void {
    this.rules = [];
  }

  pending(): FaultSummary[] {
    return this.rules.map((r) => ({
      kind: r.kind,
      remaining: r.remaining,
      match: r.match,
      ...(r.kind === 'status' || r.kind === 'proxy' ? { status: r.status } : {}),
      ...(r.kind === 'delay' ? { ms: r.ms } : {}),
    }));
  }

  private take<K extends Rule['kind']>(kind: K, method: string, route: string): Extract<Rule, { kind: K }> | undefined {
    const rule = this.rules.find((r) => r.kind === kind && r.remaining > 0 && matches(r.match, method, route));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule as Extract<Rule, { kind: K }>;
  }

  takeDelay(method: string, route: string): number {
    return this.take('delay', method, route)?.ms ?? 0;
  }

  takeStatus(method: string, route: string): { status: FaultStatus; retryAfterSeconds: number } | undefined {
    const rule = this.take('status', method, route);
    return rule ? { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds } : undefined;
  }

  takeProxy(method: string, route: string): ProxyStatus | undefined {
    return this.take('proxy', method, route)?.status;
  }

  takeLose(method: string, route: string): boolean {
    return this.take('lose', method, route) !== undefined;
  }

  takeStall(method: string, route: string): boolean {
    return this.take('stall', method, route) !== undefined;
  }
}

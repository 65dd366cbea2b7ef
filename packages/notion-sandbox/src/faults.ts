/**
 * Fault injection, switchable at runtime: the next N matching requests fail
 * with 500 / 503 / 529 (or 409 / 502 / 504), are answered late, or (for writes) take effect and then
 * lose their response: the socket is destroyed without an answer.
 */

export interface RequestMatcher {
  /** e.g. 'POST'; any method when absent. */
  method?: string;
  /** A route pattern such as '/v1/pages' or '/v1/data_sources/:data_source_id/query', or a RegExp on it. */
  route?: string | RegExp;
}

/** 409 conflict_error, 500 internal_server_error, 502 bad_gateway, 503 service_unavailable, 504 gateway_timeout, 529 service_overload. */
export type FaultStatus = 409 | 500 | 502 | 503 | 504 | 529;

type Rule =
  | { kind: 'status'; status: FaultStatus; remaining: number; match: RequestMatcher; retryAfterSeconds: number }
  | { kind: 'delay'; ms: number; remaining: number; match: RequestMatcher }
  | { kind: 'lose'; remaining: number; match: RequestMatcher };

export interface FaultSummary {
  kind: Rule['kind'];
  remaining: number;
  status?: FaultStatus;
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

  /** The next `count` matching requests fail with `status` (529 answers carry Retry-After). */
  fail(status: FaultStatus, count = 1, match: RequestMatcher = {}, retryAfterSeconds = 1): void {
    this.rules.push({ kind: 'status', status, remaining: count, match, retryAfterSeconds });
  }

  /** Matching requests are answered `ms` later; `count` of them, or all until cleared. */
  delay(ms: number, options: { count?: number; match?: RequestMatcher } = {}): void {
    this.rules.push({ kind: 'delay', ms, remaining: options.count ?? Infinity, match: options.match ?? {} });
  }

  /** The next `count` matching requests take effect but get no response. Default: page creates. */
  loseResponses(count = 1, match: RequestMatcher = { method: 'POST', route: '/v1/pages' }): void {
    this.rules.push({ kind: 'lose', remaining: count, match });
  }

  clear(): void {
    this.rules = [];
  }

  pending(): FaultSummary[] {
    return this.rules.map((r) => ({
      kind: r.kind,
      remaining: r.remaining,
      match: r.match,
      ...(r.kind === 'status' ? { status: r.status } : {}),
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

  takeLose(method: string, route: string): boolean {
    return this.take('lose', method, route) !== undefined;
  }
}

/**
 * The usage reads (20261205002000_usage_api_reads.sql) as typed calls over
 * either transport. Every figure is the SQL function's: nothing is summed
 * here. p_timezone is the default zone (REPORT_TIMEZONE); results are the
 * functions' JSON, keys as SQL names them.
 *
 * Over these transports the caller is the service (a direct connection, or
 * the service_role key): the functions then read any user, so whoever calls
 * this decides whose figures may be asked for (the API: a user token only its
 * own). A Supabase app calls the same functions with supabase.rpc() under its
 * user's JWT, and the functions scope the answer themselves.
 */
import { z } from 'zod';
import { callFunction, type JsonValue, type SqlFunctionTransport } from './transport.js';

const object = z.record(z.string(), z.unknown());
export type UsageFigures = z.output<typeof object>;

export interface DateRange {
  /** Local dates, YYYY-MM-DD, both included; default this month to today. */
  from?: string | undefined;
  to?: string | undefined;
}

export interface RecentQuery {
  userId?: string | null | undefined;
  sessionId?: string | null | undefined;
  limit: number;
  /** The last row of the previous page: rows strictly older come next. */
  before?: { createdAt: string; id: string } | null | undefined;
}

export interface SummaryFilters extends DateRange {
  serviceType?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
}

export interface UsageReads {
  user(userId: string): Promise<UsageFigures>;
  session(sessionId: string, userId: string | null): Promise<UsageFigures>;
  recent(query: RecentQuery): Promise<UsageFigures>;
  /** A user's (userId) or, with null, the installation's. */
  models(range: DateRange, userId: string | null): Promise<UsageFigures>;
  operations(range: DateRange, userId: string | null): Promise<UsageFigures>;
  quota(userId: string): Promise<UsageFigures>;
  /** tokensync_budget_question, keyed as tokensync_reserve's request. */
  mayRun(request: Record<string, JsonValue | undefined>): Promise<UsageFigures>;
  overview(top: number): Promise<UsageFigures>;
  summary(filters: SummaryFilters): Promise<UsageFigures>;
  agentBudgets(): Promise<UsageFigures>;
  trends(days: number): Promise<UsageFigures>;
}

export function createUsageReads(transport: SqlFunctionTransport, options: { timezone: string }): UsageReads {
  const p_timezone = options.timezone;
  const range = (r: DateRange) => ({ p_from: r.from ?? null, p_to: r.to ?? null });
  return {
    user: (userId) => callFunction(transport, 'tokensync_usage_user', { p_user_id: userId, p_timezone }, object),
    session: (sessionId, userId) => callFunction(transport, 'tokensync_usage_session', { p_session_id: sessionId, p_user_id: userId }, object),
    recent: (q) =>
      callFunction(
        transport,
        'tokensync_usage_recent',
        {
          p_user_id: q.userId ?? null,
          p_session_id: q.sessionId ?? null,
          p_limit: q.limit,
          p_before_created_at: q.before?.createdAt ?? null,
          p_before_id: q.before?.id ?? null,
        },
        object,
      ),
    models: (r, userId) => callFunction(transport, 'tokensync_usage_models', { ...range(r), p_user_id: userId, p_timezone }, object),
    operations: (r, userId) => callFunction(transport, 'tokensync_usage_operations', { ...range(r), p_user_id: userId, p_timezone }, object),
    quota: (userId) => callFunction(transport, 'tokensync_usage_quota', { p_user_id: userId, p_timezone }, object),
    mayRun: (request) =>
      callFunction(
        transport,
        'tokensync_usage_may_run',
        { p_request: Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined && v !== null)) as JsonValue, p_timezone },
        object,
      ),
    overview: (top) => callFunction(transport, 'tokensync_usage_overview', { p_top: top, p_timezone }, object),
    summary: (f) =>
      callFunction(
        transport,
        'tokensync_usage_summary',
        { ...range(f), p_service_type: f.serviceType ?? null, p_provider: f.provider ?? null, p_model: f.model ?? null, p_timezone },
        object,
      ),
    agentBudgets: () => callFunction(transport, 'tokensync_usage_agent_budgets', { p_timezone }, object),
    trends: (days) => callFunction(transport, 'tokensync_usage_trends', { p_days: days, p_timezone }, object),
  };
}

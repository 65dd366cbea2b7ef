/**
 * Every failure the API answers, as `{ "error": { "code", "message" } }` with a
 * stable code: clients branch on the code, people read the message. The list
 * below is the contract; docs/api.md explains each.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DatabaseError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export const API_ERROR_CODES = {
  invalid_request: 400,
  auth_required: 401,
  token_invalid: 401,
  token_expired: 401,
  role_not_allowed: 401,
  admin_only: 403,
  other_user: 403,
  hold_not_yours: 403,
  service_only: 403,
  not_found: 404,
  hold_not_found: 404,
  limit_not_found: 404,
  payload_too_large: 413,
  usage_refused: 422,
  rate_limited: 429,
  internal_error: 500,
  database_unavailable: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** A failure with its code; its status follows from the code. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  /** Extra headers, e.g. Retry-After on a 429. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERROR_CODES[code];
    this.headers = headers;
  }
}

export const errorBody = (code: ApiErrorCode, message: string) => ({ error: { code, message } });

/** What a thrown error answers: ours as they are, the framework's mapped to a code, anything else a 500 that is logged. */
function answerFor(error: FastifyError | Error, logger: Logger): { status: number; code: ApiErrorCode; message: string; headers?: Record<string, string> } {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message, headers: { ...error.headers } };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => `${issue.instancePath ? `${issue.instancePath.slice(1).replaceAll('/', '.')}: ` : ''}${issue.message}`);
    return { status: 400, code: 'invalid_request', message: `${error.validationContext ?? 'request'} is invalid: ${issues.join('; ')}` };
  }
  if (error instanceof DatabaseError) {
    logger.warn({ err: error }, 'database call failed');
    if (error.sqlState === 'P0002') return { status: 404, code: 'limit_not_found', message: error.message };
    if (error.sqlState?.startsWith('22') || error.sqlState?.startsWith('23')) return { status: 400, code: 'invalid_request', message: error.message };
    return { status: 503, code: 'database_unavailable', message: 'the database did not answer; retry later' };
  }
  const status = (error as FastifyError).statusCode;
  if (status === 413) return { status, code: 'payload_too_large', message: error.message };
  if (status !== undefined && status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    return { status: 400, code: 'invalid_request', message: error.message };
  }
  logger.error({ err: error }, 'request failed');
  return { status: 500, code: 'internal_error', message: 'internal error; the server log has the details' };
}

export function installErrorHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const answer = answerFor(error, logger);
    void reply.code(answer.status).headers(answer.headers ?? {}).send(errorBody(answer.code, answer.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}

/**
 * Notion's error responses: `{ object: 'error', status, code, message, request_id }`,
 * plus `additional_data` where Notion documents it (rate limits). Codes, statuses
 * and example messages follow https://developers.notion.com/reference/status-codes.
 */

export type NotionErrorCode =
  | 'invalid_json'
  | 'invalid_request_url'
  | 'invalid_request'
  | 'validation_error'
  | 'missing_version'
  | 'unauthorized'
  | 'restricted_resource'
  | 'object_not_found'
  | 'conflict_error'
  | 'rate_limited'
  | 'internal_server_error'
  | 'bad_gateway'
  | 'service_unavailable'
  | 'gateway_timeout'
  | 'service_overload';

export class NotionError extends Error {
  constructor(
    readonly status: number,
    readonly code: NotionErrorCode,
    message: string,
    readonly additionalData?: Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'NotionError';
  }
}

export interface NotionErrorBody {
  object: 'error';
  status: number;
  code: NotionErrorCode;
  message: string;
  request_id: string;
  additional_data?: Record<string, unknown>;
}

export function errorBody(error: NotionError, requestId: string): NotionErrorBody {
  return {
    object: 'error',
    status: error.status,
    code: error.code,
    message: error.message,
    request_id: requestId,
    ...(error.additionalData ? { additional_data: error.additionalData } : {}),
  };
}

export type ObjectKind = 'page' | 'database' | 'data source' | 'block' | 'view' | 'user';

/** Shorthands for the errors the fake raises. */
export const notionErrors = {
  invalidJson: () => new NotionError(400, 'invalid_json', 'Error parsing JSON body.'),
  invalidRequestUrl: () => new NotionError(400, 'invalid_request_url', 'Invalid request URL.'),
  invalidRequest: (name: string) => new NotionError(400, 'invalid_request', `Unsupported request: ${name}.`),
  validation: (message: string) => new NotionError(400, 'validation_error', message),
  /** "body failed validation: body.x should be …, instead was `…`." */
  bodyValidation: (path: string, expectation: string) =>
    new NotionError(400, 'validation_error', `body failed validation: ${path} ${expectation}.`),
  missingVersion: () =>
    new NotionError(
      400,
      'missing_version',
      'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
    ),
  unauthorized: () => new NotionError(401, 'unauthorized', 'API token is invalid.'),
  restricted: () =>
    new NotionError(403, 'restricted_resource', "Insufficient permissions for this endpoint."),
  /** https://developers.notion.com/reference/workspace-block-limits, word for word. */
  blockLimit: () =>
    new NotionError(
      403,
      'restricted_resource',
      'This workspace has used all of its free blocks. Upgrade its plan in Notion to create more content. Learn more: https://www.notion.com/help/understanding-block-usage',
      { block_limit: 'block_creation' },
    ),
  notFound: (kind: ObjectKind, id: string) =>
    new NotionError(
      404,
      'object_not_found',
      `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
    ),
  conflict: () =>
    new NotionError(409, 'conflict_error', 'Conflict occurred while saving. Please try again.'),
  rateLimited: (retryAfterSeconds: number) =>
    new NotionError(
      429,
      'rate_limited',
      'You have been rate limited. Please try again in a few minutes.',
      { rate_limit_reason: 'public_api_request_rate_limit' },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  internal: () => new NotionError(500, 'internal_server_error', 'Unexpected error occurred.'),
  badGateway: () => new NotionError(502, 'bad_gateway', 'Bad gateway.'),
  gatewayTimeout: () => new NotionError(504, 'gateway_timeout', 'Notion timed out while completing this request. Please try again later.'),
  unavailable: () =>
    new NotionError(
      503,
      'service_unavailable',
      'Notion is unavailable. This can occur when the time to respond to a request takes longer than 60 seconds, the maximum request timeout. Please try again later.',
    ),
  overloaded: (retryAfterSeconds: number) =>
    new NotionError(
      529,
      'service_overload',
      'Notion is experiencing high load. Please try again later.',
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    ),
};

/** Schemas every route family shares: the error envelope, and how each failure status is documented. */
import { z } from 'zod';
import { API_ERROR_CODES, type ApiErrorCode } from '../errors.js';

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(API_ERROR_CODES) as [ApiErrorCode, ...ApiErrorCode[]]).describe('Stable: branch on it.'),
      message: z.string().describe('For people: what went wrong and what to do.'),
    }),
  })
  .meta({ id: 'Error' });

/** An error response documented with the codes it carries. */
export const failure = (codes: string) => errorResponse.describe(codes);

/** The failures every authenticated route can answer, by status. */
const AUTHENTICATED_FAILURES = {
  400: errorResponse.describe('invalid_request: the body, path or query does not match the schema'),
  401: errorResponse.describe('auth_required, token_invalid, token_expired or role_not_allowed'),
  403: errorResponse.describe('admin_only, service_only, other_user or hold_not_yours'),
  429: errorResponse.describe('rate_limited: wait Retry-After seconds'),
  500: errorResponse.describe('internal_error'),
  503: errorResponse.describe('database_unavailable: retry later'),
} as const;

/** A route's responses: its own, and the failures of any authenticated route. */
export const withFailures = <R extends Record<number, z.ZodType>>(responses: R) => ({ ...AUTHENTICATED_FAILURES, ...responses });

/** Text the database can store as an entity id. */
export const entityId = z
  .string()
  .min(1)
  .max(255)
  .refine((v) => !/\u0000/.test(v), 'must not contain NUL characters');

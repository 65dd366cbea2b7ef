/** What every route is handed: the services, the caller of the request, hold ids. */
import type { FastifyRequest } from 'fastify';
import type { Caller } from './auth.js';
import { ApiError } from './errors.js';
import type { HoldIds } from './hold-ids.js';
import type { ApiServices } from './services.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook of /v1 routes. */
    caller: Caller | null;
  }
}

export interface RouteContext {
  services: ApiServices;
  holdIds: HoldIds;
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new ApiError('auth_required', 'this route needs a bearer token');
  return request.caller;
}

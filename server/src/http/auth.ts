/**
 * Bearer-token authentication for routes: `preHandler: requireAuth(deps)` sets `request.caller`.
 * @module
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Caller } from '../accounts/session-cache.js';
import { authenticate } from '../accounts/sessions.js';
import type { Deps } from '../deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** A pre-handler that authenticates the caller or answers 401 `unauthorized`. */
export function requireAuth(deps: Deps): preHandlerAsyncHookHandler {
  return async (request) => {
    request.caller = await authenticate(deps, bearerToken(request));
    request.span.setAttributes({ 'famichat.user_id': request.caller.userId });
  };
}

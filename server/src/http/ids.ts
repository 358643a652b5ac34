/**
 * Path ids, parsed once at the edge: a parameter that is not a UUID names no row, and is answered with the
 * same `not_found` as an unknown id before any domain function (or SQL) sees it.
 * @module
 */
import type { FastifyRequest, preHandlerHookHandler } from 'fastify';
import { requireId } from '../chat/access.js';

/**
 * A pre-handler (after authentication) checking each named path parameter that the route has: `names` maps a
 * parameter to what it names in the `not_found` message, in the order they are checked.
 */
export function requireIds(names: Record<string, string>): preHandlerHookHandler {
  const checks = Object.entries(names);
  return (request: FastifyRequest, _reply, done) => {
    const params = request.params as Record<string, string | undefined>;
    try {
      for (const [name, what] of checks) {
        const value = params[name];
        if (value !== undefined) requireId(value, what);
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}

/**
 * The one error type the domain throws. Its `code` is the API's error code; the HTTP layer
 * (`http/errors.ts`) and the real-time layer map it to a status or a reply in one place each.
 * @module
 */

/** Every error code of the API contract, in one list: the type and the OpenAPI enum both derive from it. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'no_shared_family',
  'not_found',
  'conflict',
  'gone',
  'payload_too_large',
  'validation_failed',
  'rate_limited',
  'internal',
  'unavailable',
] as const;

/** An error code of the API contract. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failure the caller can act on: a code from the contract, a human message and optional details. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The identical "does not exist or is not yours" error. */
export function notFound(what = 'resource'): AppError {
  return new AppError('not_found', `The ${what} does not exist.`);
}

/** A 422 with `details.fields` naming each bad field. */
export function validationFailed(fields: Record<string, string>, message = 'The request is not valid.'): AppError {
  return new AppError('validation_failed', message, { fields });
}

/** A 403 for an authenticated caller who may not do this. */
export function forbidden(message: string): AppError {
  return new AppError('forbidden', message);
}

/** A 409 with `details.reason`. */
export function conflict(reason: string, message: string): AppError {
  return new AppError('conflict', message, { reason });
}

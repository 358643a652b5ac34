/**
 * Maps every error to the API's error envelope, in one place: domain errors by code, Fastify's
 * validation and parsing errors, an unreachable database, and anything else as `internal`.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../db/connect.js';
import type { ErrorCode } from '../errors.js';
import { AppError } from '../errors.js';
import { StorageError } from '../media/storage.js';
import { ClientAborted } from '../media/uploads.js';
import { sendError } from './envelope.js';

/** The HTTP status of each error code. */
export const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  no_shared_family: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

/** `details.fields` from Ajv's issues: field path -> reason. */
export function fieldsOf(issues: ValidationIssue[], part: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    let path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (issue.params?.missingProperty) path = path ? `${path}.${issue.params.missingProperty}` : issue.params.missingProperty;
    const field = path || part || 'body';
    fields[field] ??= issue.params?.missingProperty ? 'is required' : (issue.message ?? 'is invalid');
  }
  return fields;
}

/**
 * What may be logged of an unexpected error: its type, code and the innermost message. Drizzle's own
 * message quotes the query's parameters (message bodies, hashes), so it is never logged.
 */
export function safeError(error: unknown): { type: string; code?: string; message: string; stack?: string } {
  let inner: unknown = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const e = inner instanceof Error ? inner : new Error(String(inner));
  const code = (e as { code?: unknown }).code;
  return {
    type: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(e.stack ? { stack: e.stack.split('\n').slice(1, 6).join('\n') } : {}),
  };
}

/** At most this much of a refused request body is read (and dropped) after its 413. */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
/** At most this long is a refused request body drained after its 413. */
export const DRAIN_MAX_MS = 5_000;

/**
 * Closes the connection of a request whose body is refused (413) gracefully. Node answers it with
 * `Connection: close` and destroys the socket at once; with the client still sending, the unread bytes
 * make the kernel reset the connection, and a client that has not read the answer yet loses it (a browser
 * shows a network error instead of "too large"). Instead the rest of the body is read and dropped, up to
 * {@link DRAIN_MAX_BYTES} or {@link DRAIN_MAX_MS}, and the socket is closed once it is drained.
 */
export function closeAfterDraining(request: IncomingMessage): void {
  const socket: unknown = request.socket;
  // Injected requests (tests) have no real socket to close.
  if (!(socket instanceof Socket)) return;
  let drained = 0;
  const stop = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(stop, DRAIN_MAX_MS).unref();
  socket.once('close', () => clearTimeout(timer));
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) stop();
  });
  // A client that gives up mid-body only ends the draining.
  request.on('error', stop);
  request.resume();
  // Called by Node once the answer is written: half-close now, close when the body has been read.
  socket.destroySoon = () => {
    socket.end();
    if (request.readableEnded) stop();
    else request.once('end', stop);
  };
}

/**
 * Installs the error and not-found handlers on `app`. Only JSON bodies are accepted: Fastify's
 * built-in `text/plain` parser is removed, so any other content type is the 400 `bad_request` below.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  if (app.hasContentTypeParser('text/plain')) app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, 404, { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      if (error.code === 'rate_limited' || error.code === 'unavailable') {
        const ms = Number(error.details?.retry_in_ms ?? 1000);
        reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
      }
      return sendError(request, reply, STATUS[error.code], {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      });
    }
    if (error instanceof StorageError) {
      request.log.warn({ err: safeError(error), reason: error.reason }, 'media storage failed');
      reply.header('retry-after', error.reason === 'full' ? '60' : '5');
      return sendError(request, reply, 503, {
        code: 'unavailable',
        message: error.reason === 'full' ? 'The media storage is full.' : 'The media storage is unavailable; try again shortly.',
      });
    }
    if (error instanceof ClientAborted) {
      // Nobody reads this answer: the client has gone.
      return sendError(request, reply, 400, { code: 'bad_request', message: error.message });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return sendError(request, reply, 422, {
        code: 'validation_failed',
        message: 'The request is not valid.',
        details: { fields: fieldsOf(fastifyError.validation, fastifyError.validationContext) },
      });
    }
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      closeAfterDraining(request.raw);
      return sendError(request, reply, 413, { code: 'payload_too_large', message: 'The request body is too large.' });
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fastifyError.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return sendError(request, reply, 400, { code: 'bad_request', message: 'Send JSON with Content-Type: application/json.' });
    }
    if (fastifyError.statusCode === 400 || error instanceof SyntaxError) {
      return sendError(request, reply, 400, { code: 'bad_request', message: 'The request body is not valid JSON.' });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: safeError(error) }, 'database unavailable');
      reply.header('retry-after', '5');
      return sendError(request, reply, 503, {
        code: 'unavailable',
        message: 'The database is unavailable; try again shortly.',
      });
    }
    request.log.error({ err: safeError(error) }, 'unhandled error');
    return sendError(request, reply, 500, { code: 'internal', message: 'Something went wrong on our side.' });
  });
}

/**
 * The response envelope and per-request telemetry: request id, an OpenTelemetry server span whose
 * trace id is `meta.trace_id`, duration, and the HTTP latency histogram.
 * @module
 */
import type { MediaSigner } from '../media/urls.js';
import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validationFailed } from '../errors.js';
import { httpDuration } from '../telemetry/metrics.js';
import { tracer } from '../telemetry/tracing.js';
import { markPublicRoutes } from './schemas.js';

/** Paging metadata of list responses. */
export interface PageMeta {
  has_more: boolean;
  first_seq?: number | null;
  last_seq?: number | null;
}

const PENDING = Symbol('pending-meta');

/** A handler's result: the data, and paging metadata for lists. The hook completes `meta`. */
export interface Ok<T> {
  data: T;
  meta: { [PENDING]: true; page?: PageMeta };
}

/** Wraps a handler's data for the envelope. */
export function ok<T>(data: T, page?: PageMeta): Ok<T> {
  return { data, meta: page ? { [PENDING]: true, page } : { [PENDING]: true } };
}

/** Answers 204 No Content once `done` (the route's domain call) has succeeded. */
export async function noContent(reply: FastifyReply, done: Promise<unknown>): Promise<FastifyReply> {
  await done;
  return reply.code(204).send();
}

declare module 'fastify' {
  interface FastifyRequest {
    span: Span;
    startedAt: number;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** A request id: the client's `x-request-id` when safe, else a new UUID. */
export function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The logged form of a request: method, path without its query string (which may carry a socket
 * token), id and client address. Never headers, so never the `Authorization` header.
 */
export function logSafeRequest(request: { method: string; url: string; id: string; ip?: string }) {
  return { method: request.method, url: request.url.split('?')[0], id: request.id, ip: request.ip };
}

/**
 * The dotted paths of the string values in a parsed JSON body that contain U+0000, which
 * PostgreSQL cannot store in text. Iterative, so deeply nested bodies cannot exhaust the stack.
 */
export function nulFields(body: unknown): string[] {
  const found: string[] = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value: body, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) found.push(path || 'body');
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: path ? `${path}.${key}` : key });
    }
  }
  return found;
}

/** The `meta` object of a response to `request`. */
export function metaOf(request: FastifyRequest): { request_id: string; trace_id: string; duration_ms: number } {
  return {
    request_id: request.id,
    trace_id: (request.span as Span | null)?.spanContext().traceId ?? '0'.repeat(32),
    duration_ms: Math.round((performance.now() - request.startedAt) * 1000) / 1000,
  };
}

/**
 * Installs the envelope and telemetry hooks on `app` (before any route is registered, so the
 * OpenAPI document also learns which routes are public).
 */
export function registerEnvelope(app: FastifyInstance): void {
  markPublicRoutes(app);
  app.decorateRequest('span', null as unknown as Span);
  app.decorateRequest('startedAt', 0);

  // Whatever logger the app was given, a request is logged without its query string or headers.
  app.setChildLoggerFactory((logger, bindings, options) =>
    logger.child(bindings, { ...options, serializers: { ...options.serializers, req: logSafeRequest } }),
  );

  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = performance.now();
    reply.header('x-request-id', request.id);
    request.span = tracer.startSpan(`HTTP ${request.method}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'famichat.request_id': request.id },
    });
    // Run the rest of the request inside the span's context, so service spans become its children.
    context.with(trace.setSpan(context.active(), request.span), done);
  });

  // A request without a body validates as an empty object, so a missing field is reported by name.
  // A string with U+0000 cannot be stored: it is a 422 naming the field, not a database error.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'DELETE') request.body = {};
    const nul = nulFields(request.body);
    if (nul.length > 0) {
      done(validationFailed(Object.fromEntries(nul.map((field) => [field, 'must not contain the NUL character (U+0000)']))));
      return;
    }
    done();
  });

  app.addHook('preSerialization', (request, _reply, payload: unknown, done) => {
    if (payload && typeof payload === 'object' && 'meta' in payload) {
      const meta = (payload).meta;
      if (meta && typeof meta === 'object' && PENDING in meta) {
        const page = (meta as { page?: PageMeta }).page;
        const full = { ...metaOf(request), ...(page ? { page } : {}) };
        done(null, { ...(payload as object), meta: full });
        return;
      }
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    httpDuration.observe({ method: request.method, route, status: String(status) }, (performance.now() - request.startedAt) / 1000);
    request.span.updateName(`${request.method} ${route}`);
    request.span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
    if (status >= 500) request.span.setStatus({ code: SpanStatusCode.ERROR });
    request.span.end();
    done();
  });
}

/** Sends an error envelope (used by the error mapping). */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: { code: string; message: string; details?: Record<string, unknown> },
): FastifyReply {
  (request.span as Span | null)?.setAttribute('famichat.outcome', error.code);
  return reply.code(status).type('application/json; charset=utf-8').send({ error, meta: metaOf(request) });
}

/**
 * The HTTP edge of media URL signing: a JSON reply's unsigned media URLs are signed for the authenticated
 * caller (see media/urls.ts); a reply to an anonymous request keeps none (they do not resolve).
 */
export function registerUrlSigning(app: FastifyInstance, signer: MediaSigner): void {
  app.addHook('onSend', async (request, _reply, payload) => {
    const caller = (request as { caller?: { userId: string } }).caller;
    if (typeof payload !== 'string' || !caller || !payload.includes('\\u0001')) return payload;
    await signer.ready();
    return signer.signJson(payload, caller.userId);
  });
}

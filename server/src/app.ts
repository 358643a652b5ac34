/**
 * Builds the Fastify application from its dependencies. `main.ts` gives it the real ones; tests
 * build it with their own database, bus and logger.
 * @module
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, RouteOptions } from 'fastify';
import Fastify from 'fastify';
import type { Bus } from './bus/bus.js';
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import type { Deps } from './deps.js';
import { createDeps } from './deps.js';
import { logSafeRequest, registerEnvelope, registerUrlSigning, requestId } from './http/envelope.js';
import { registerErrorHandling } from './http/errors.js';
import { createStorage } from './media/create-storage.js';
import { startSweeping } from './media/sweep.js';
import type { Storage } from './media/storage.js';
import { loadSigningKey, MediaSigner } from './media/urls.js';
import { accountRoutes } from './http/routes/accounts.js';
import { credentialRoutes } from './http/routes/credentials.js';
import { brandingRoutes } from './http/routes/branding.js';
import { watchBranding } from './branding/branding.js';
import { watchShapes } from './chat/conversation-shapes.js';
import { watchRevocations } from './accounts/sessions.js';
import { conversationRoutes } from './http/routes/conversations.js';
import { familyRoutes } from './http/routes/families.js';
import { mediaRoutes } from './http/routes/media.js';
import { operationRoutes } from './http/routes/operations.js';
import { SHARED_SCHEMAS } from './http/schemas.js';
import { registerWeb } from './http/web.js';
import type { Realtime, RealtimeOptions } from './realtime/server.js';
import { registerRealtime } from './realtime/server.js';
import { initTracing, tracer } from './telemetry/tracing.js';

/** What {@link buildApp} needs. */
export interface AppDependencies {
  config: Config;
  database: Database;
  bus: Bus;
  /** A pino logger to use instead of the default one (tests capture log lines with it). */
  logger?: FastifyBaseLogger;
  /** Called with every route as it is registered (tests compare the routes with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
  /** Real-time limits and timings (tests shorten them). */
  realtime?: RealtimeOptions;
  /** The web client's build to serve at `/` (default `web/dist`, when built); `false` serves none. */
  webDir?: string | false;
  /** Where uploads are stored, instead of the one the configuration names (tests pass an S3 store). */
  storage?: Storage;
}

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((ajvFormats as unknown as { default: AddFormats }).default ?? ajvFormats);

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: true, allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/** Builds the HTTP application (not yet listening). */
export async function buildApp(
  deps: AppDependencies,
): Promise<{ app: FastifyInstance; domain: Deps; realtime: Realtime }> {
  initTracing();
  const { config, database, bus } = deps;
  const storage = deps.storage ?? createStorage(config.media);
  const media = new MediaSigner(() => loadSigningKey(database.db));
  // Not fatal: with the database down the app starts and answers 503; the key loads on first use.
  await media.ready().catch(() => undefined);
  const domain: Deps = createDeps(database.db, bus, config, storage, media);
  const app = Fastify({
    ...(deps.logger
      ? { loggerInstance: deps.logger }
      : {
          logger: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            serializers: { req: logSafeRequest },
          },
        }),
    genReqId: (request) => requestId(request.headers['x-request-id']),
    requestIdHeader: false,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // While draining, requests on open connections are served normally (with Connection: close).
    return503OnClosing: false,
    // Errors Fastify raises before any hook runs (a malformed or over-long URL) still get the envelope.
    frameworkErrors: (error, request, rawReply) => {
      const span = tracer.startSpan(`HTTP ${request.method}`);
      span.end();
      void (rawReply as FastifyReply)
        .code(400)
        .header('x-request-id', request.id)
        .type('application/json; charset=utf-8')
        .send({
          error: { code: 'bad_request', message: error.code === 'FST_ERR_BAD_URL' ? 'The URL is malformed.' : 'The request is malformed.' },
          meta: { request_id: request.id, trace_id: span.spanContext().traceId, duration_ms: 0 },
        });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  const bodyAjv = makeAjv(false);
  const paramAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema));

  // An empty JSON body (common on DELETE from fetch wrappers) is no body, not a parse error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new SyntaxError('invalid JSON'), { statusCode: 400 }), undefined);
    }
  });

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  registerEnvelope(app);
  registerUrlSigning(app, domain.media);
  registerErrorHandling(app);

  await app.register(helmet, { global: true });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Famichat API',
        version: '1.0.0',
        description: 'Every JSON response is an envelope: {data, meta} or {error, meta}. See docs/ for the real-time protocol.',
      },
      servers: [],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(operationRoutes(database, bus, storage));
  await app.register(accountRoutes(domain), { prefix: '/api/v1' });
  await app.register(credentialRoutes(domain), { prefix: '/api/v1' });
  await app.register(familyRoutes(domain), { prefix: '/api/v1' });
  await app.register(conversationRoutes(domain), { prefix: '/api/v1' });
  await app.register(brandingRoutes(domain), { prefix: '/api/v1' });
  await app.register(mediaRoutes(domain), { prefix: '/api/v1' });
  const stopWatchingBranding = watchBranding(domain);
  const stopWatchingShapes = watchShapes(domain);
  const stopWatchingRevocations = watchRevocations(domain);
  const stopSweeping = startSweeping(domain, app.log);
  app.addHook('onClose', async () => {
    stopWatchingBranding();
    stopWatchingShapes();
    stopWatchingRevocations();
    await stopSweeping();
  });
  const realtime = await registerRealtime(app, domain, deps.realtime);
  if (deps.webDir !== false) await registerWeb(app, deps.webDir);
  return { app, domain, realtime };
}

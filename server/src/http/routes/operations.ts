/**
 * Routes: liveness, readiness and Prometheus metrics.
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Bus } from '../../bus/bus.js';
import type { Database } from '../../db/connect.js';
import type { Storage } from '../../media/storage.js';
import { registry } from '../../telemetry/metrics.js';
import { ok, sendError } from '../envelope.js';
import { doc, responses } from '../schemas.js';

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/** Resolves with `promise`, or rejects after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Operations routes at the root. Readiness includes the media storage when it is S3 (a service of its own
 * that every node needs); a media directory is part of the node itself and never makes it unready.
 */
export function operationRoutes(database: Database, bus: Bus, storage?: Storage): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get('/healthz', {
      schema: { tags: ['operations'], summary: 'Liveness: 200 while the process runs', response: responses({ 200: Health }, [], false) },
    }, () => Promise.resolve(ok({ status: 'ok' })));

    app.get('/readyz', {
      schema: doc('operations', 'Readiness: 200 only when the database (and the bus, and S3 media storage) answer', {
        response: { ...responses({ 200: Health }, [], false), 503: { ...Type.Ref('Error'), description: 'not ready' } },
      }),
    }, async (request, reply) => {
      const check = async (fn: () => Promise<void>) => {
        try {
          await within(fn(), 2000);
          return 'ok';
        } catch {
          return 'unavailable';
        }
      };
      const s3 = storage?.kind === 's3' ? storage : undefined;
      const [db, busStatus, storageStatus] = await Promise.all([
        check(() => database.ping()),
        check(() => bus.ping()),
        s3 ? check(() => s3.check()) : Promise.resolve(undefined),
      ]);
      const checks: Record<string, string> = { database: db, bus: busStatus, ...(storageStatus ? { storage: storageStatus } : {}) };
      if (Object.values(checks).every((status) => status === 'ok')) return ok({ status: 'ok', checks });
      reply.header('retry-after', '5');
      return sendError(request, reply, 503, {
        code: 'unavailable',
        message: 'A required service is unavailable.',
        details: { checks },
      });
    });

    app.get('/metrics', {
      schema: doc('operations', 'Prometheus metrics (text format)', {
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus exposition format' } },
      }),
    }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
    done();
  };
}

/**
 * Process entry: read the configuration, open the database and the bus, listen, shut down cleanly.
 * @module
 */
import { buildApp } from './app.js';
import { createLocalBus } from './bus/bus.js';
import { createRedisBus, throttledPublishErrors } from './bus/redis.js';
import { ConfigError, loadConfig } from './config.js';
import { prepareStorage } from './media/create-storage.js';
import { openDatabase } from './db/connect.js';
import { flushTracing } from './telemetry/tracing.js';

/** The process exits within this long of SIGTERM/SIGINT, whatever happens. */
const SHUTDOWN_LIMIT_MS = 10_000;
/** How long in-flight requests and WebSocket close handshakes get before their connections are cut. */
const DRAIN_MS = 8_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let warn = (details: object, message: string) => console.warn(message, details);
  const bus = config.redisUrl
    ? await createRedisBus(config.redisUrl, { prefix: config.redisPrefix, onError: throttledPublishErrors((details, message) => warn(details, message)) })
    : createLocalBus();
  const { app, realtime, domain } = await buildApp({ config, database, bus });
  warn = (details, message) => app.log.warn(details, message);
  // Creates a missing S3 bucket (in the background: the chat does not wait for its media store).
  void prepareStorage(domain.storage, app.log);
  let closing = false;
  /**
   * Graceful shutdown: say "going away" (1001) to every WebSocket so its client reconnects (to another
   * node behind a load balancer), stop accepting connections, let in-flight requests finish, then close
   * the bus and the database and flush telemetry. Whatever still hangs after {@link DRAIN_MS} is cut;
   * after {@link SHUTDOWN_LIMIT_MS} the process exits with 1 regardless.
   */
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal, sockets: realtime.connections.size }, 'shutting down');
    const limit = setTimeout(() => {
      app.log.error(`shutdown did not finish within ${SHUTDOWN_LIMIT_MS} ms`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    const drain = setTimeout(() => {
      // A client that never answers the close frame, or a request that never ends, must not hold the exit.
      app.log.warn('drain time is over: cutting the remaining connections');
      for (const client of app.websocketServer.clients) client.terminate();
      app.server.closeAllConnections();
    }, DRAIN_MS);
    drain.unref();
    try {
      // Before app.close(): @fastify/websocket's own pre-close hook would close the sockets without a code.
      for (const connection of [...realtime.connections]) connection.close(1001, 'server shutting down');
      await app.close();
      clearTimeout(drain);
      await bus.close();
      await database.close();
      await flushTracing();
      app.log.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { database: database.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgresql', bus: config.redisUrl ? 'redis' : 'in-process' },
    `Famichat is listening on http://${config.host}:${config.port}`,
  );
}

main().catch((error: unknown) => {
  console.error('Famichat failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * Process entry: read the configuration, open the database and the bus, listen, shut down cleanly.
 * @module
 */
import { buildApp } from './app.js';
import { createLocalBus } from './bus/bus.js';
import { createRedisBus } from './bus/redis.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { flushTracing } from './telemetry/tracing.js';

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
  const bus = config.redisUrl ? await createRedisBus(config.redisUrl) : createLocalBus();
  const { app } = await buildApp({ config, database, bus });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    try {
      await app.close();
      await bus.close();
      await database.close();
      await flushTracing();
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

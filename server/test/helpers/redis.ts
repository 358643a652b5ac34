// The Redis the suite runs against, a bus prefix per run, and a cuttable way to reach it.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TcpProxy } from './tcp-proxy.js';
import { startTcpProxy, viaProxy } from './tcp-proxy.js';

/** The test Redis (TEST_REDIS_URL, or the local default). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A bus prefix of this run's own, so parallel runs and other test files never see each other's events. */
export function runPrefix(name: string): string {
  return `famichat-${name}-${randomBytes(6).toString('hex')}:`;
}

/** A TCP proxy to the test Redis (cut it for an outage) and the Redis URL through it. */
export async function proxiedRedis(): Promise<{ proxy: TcpProxy; url: string }> {
  const redis = new URL(REDIS_URL);
  const proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
  return { proxy, url: viaProxy(REDIS_URL, proxy) };
}

/** A connection to the test Redis, or an error saying how to get one (`who`: "the Redis bus tests"). */
export async function connectRedis(who: string): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${String(error)}): ${who} need a running Redis ` +
        '(scripts/services.sh starts it; install it with apt-get install -y redis-server).',
      { cause: error },
    );
  }
}

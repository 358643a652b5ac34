/**
 * The bus over Redis pub/sub, for several server nodes: one publishing and one subscribing
 * connection per node, one Redis subscription per topic however many local handlers it has.
 * @module
 */
import { Redis } from 'ioredis';
import type { Bus, BusEvent, BusHandler } from './bus.js';

/** Options of the Redis bus. */
export interface RedisBusOptions {
  /** Prefix of every Redis channel (lets deployments share a Redis). */
  prefix?: string;
  /** Called when publishing fails (Redis unreachable); the default ignores it. */
  onError?: (error: unknown) => void;
}

/**
 * Connects to Redis and returns a bus. Publishing while Redis is unreachable fails fast (reported to
 * `onError`, never thrown at the caller: the message is already stored and is caught up on join).
 * @throws when Redis cannot be reached at start-up.
 */
export async function createRedisBus(url: string, options: RedisBusOptions = {}): Promise<Bus> {
  const prefix = options.prefix ?? 'famichat:';
  const publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    // Neither connection may keep retrying in the background (it would keep the process alive).
    publisher.disconnect();
    subscriber.disconnect();
    const where = new URL(url);
    throw new Error(`Redis is not reachable at ${where.hostname}:${where.port || '6379'}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }

  const handlers = new Map<string, Set<BusHandler>>();
  subscriber.on('message', (channel: string, message: string) => {
    const set = handlers.get(channel.slice(prefix.length));
    if (!set) return;
    let event: BusEvent;
    try {
      event = JSON.parse(message) as BusEvent;
    } catch {
      return;
    }
    for (const handler of [...set]) handler(event);
  });

  return {
    async publish(event) {
      try {
        await publisher.publish(prefix + event.topic, JSON.stringify({ ...event, at: Date.now() }));
      } catch (error) {
        options.onError?.(error);
      }
    },
    subscribe(topic, handler) {
      let set = handlers.get(topic);
      if (!set) {
        handlers.set(topic, (set = new Set()));
        void subscriber.subscribe(prefix + topic).catch((error: unknown) => options.onError?.(error));
      }
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(topic) === set) {
          handlers.delete(topic);
          void subscriber.unsubscribe(prefix + topic).catch(() => undefined);
        }
      };
    },
    async ping() {
      await publisher.ping();
    },
    async close() {
      handlers.clear();
      subscriber.disconnect();
      publisher.disconnect();
      await Promise.resolve();
    },
  };
}

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
 * `onError`, never thrown at the caller: the message is already stored and is caught up on join) and
 * the event still reaches this node's own subscribers. When the subscribing connection comes back after
 * a loss, every topic is subscribed again and the {@link Bus.onReconnect} handlers run.
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
  // The pending SUBSCRIBE of each topic: a join waits for it so no event falls between subscribe and catch-up.
  const subscribed = new Map<string, Promise<void>>();
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

  const reconnectHandlers = new Set<() => void>();
  let lost = false;
  let closing = false;
  const onLost = () => {
    lost = true;
  };
  subscriber.on('close', onLost);
  subscriber.on('end', onLost);
  subscriber.on('ready', () => {
    if (!lost || closing) return;
    lost = false;
    // ioredis re-subscribes by itself; subscribing again (idempotent) and waiting for the reply makes sure
    // the subscriptions are active before the handlers read what was missed.
    const channels = [...handlers.keys()].map((topic) => prefix + topic);
    const resubscribed = channels.length > 0 ? subscriber.subscribe(...channels) : Promise.resolve();
    void resubscribed.then(
      () => {
        for (const handler of [...reconnectHandlers]) handler();
      },
      // Lost again before the reply: the next 'ready' retries.
      (error: unknown) => options.onError?.(error),
    );
  });

  return {
    async publish(event) {
      const stamped = { ...event, at: Date.now() };
      try {
        await publisher.publish(prefix + event.topic, JSON.stringify(stamped));
      } catch (error) {
        options.onError?.(error);
        // Redis is unreachable: this node's own subscribers still get the event; the other nodes catch up
        // from the database when their bus comes back.
        const set = handlers.get(event.topic);
        if (set) for (const handler of [...set]) handler(stamped);
      }
    },
    subscribe(topic, handler) {
      let set = handlers.get(topic);
      if (!set) {
        handlers.set(topic, (set = new Set()));
        subscribed.set(
          topic,
          subscriber.subscribe(prefix + topic).then(
            () => undefined,
            (error: unknown) => options.onError?.(error),
          ),
        );
      }
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(topic) === set) {
          handlers.delete(topic);
          subscribed.delete(topic);
          void subscriber.unsubscribe(prefix + topic).catch(() => undefined);
        }
      };
    },
    async ready(topic) {
      await subscribed.get(topic);
    },
    async ping() {
      await publisher.ping();
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    async close() {
      closing = true;
      reconnectHandlers.clear();
      handlers.clear();
      subscriber.disconnect();
      publisher.disconnect();
      await Promise.resolve();
    },
  };
}

/**
 * An `onError` for {@link createRedisBus} that reports publish failures through `warn` at most once per
 * `everyMs`, with how many failed since the last report: during an outage every send's publish fails,
 * and the log must stay readable.
 */
export function throttledPublishErrors(
  warn: (details: { err: unknown; failed: number }, message: string) => void,
  everyMs = 10_000,
  now: () => number = Date.now,
): (error: unknown) => void {
  let last = -Infinity;
  let failed = 0;
  return (error) => {
    failed++;
    const at = now();
    if (at - last < everyMs) return;
    warn({ err: error, failed }, "bus: publishing to Redis failed; messages are stored, and other nodes' clients catch up when it is back");
    last = at;
    failed = 0;
  };
}

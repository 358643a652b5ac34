/**
 * Publish/subscribe between server nodes. Every broadcast goes through a bus, even on one node,
 * so a single node and many nodes run the same code path. This file holds the interface and the
 * in-process bus; `redis.ts` carries the same calls between nodes.
 * @module
 */

/** One published event: a topic (e.g. `message:group:<id>`), an event name and a JSON payload. */
export interface BusEvent {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  /** The socket that caused the event, which does not receive it back (typing, read). */
  origin?: string;
  /** When it was published (ms since the epoch), for the fan-out latency metric. */
  at?: number;
}

/** Receives the events published on a subscribed topic. */
export type BusHandler = (event: BusEvent) => void;

/** Publish/subscribe by topic. */
export interface Bus {
  /** Delivers `event` to every subscriber of its topic on every node. */
  publish(event: BusEvent): Promise<void>;
  /** Subscribes to a topic; returns the function that unsubscribes. */
  subscribe(topic: string, handler: BusHandler): () => void;
  /** Resolves once events published on `topic` from now on will reach this node's subscribers. */
  ready(topic: string): Promise<void>;
  /** Resolves when the bus is usable (always, in process). */
  ping(): Promise<void>;
  /** Drops every subscription and disconnects. */
  close(): Promise<void>;
  /**
   * Registers `handler` to run each time the bus comes back after losing its connection (a bus that
   * cannot lose events, such as the in-process one, does not offer it). Events published meanwhile by
   * other nodes were lost: the handler re-reads what matters from the database. Returns the function
   * that unregisters it.
   */
  onReconnect?(handler: () => void): () => void;
}

/** The events of one topic: each event name's payload type. */
export type Payloads = Record<string, object>;

declare const eventsOf: unique symbol;

/**
 * A topic name that carries the payload types of its events (build them with the topic builders of each
 * domain, e.g. chat/topics.ts), so {@link publish} and {@link subscribe} check every payload against its event.
 */
export type Topic<E extends Payloads> = string & { readonly [eventsOf]?: E };

/** One event of a topic with event map `E`, as a subscriber receives it. */
export type TopicEvent<E extends Payloads> = {
  [K in keyof E & string]: { topic: string; event: K; payload: E[K]; origin?: string; at?: number };
}[keyof E & string];

/** One event to publish on a topic with event map `E`: the payload type follows from the event name. */
export type Publication<E extends Payloads, K extends keyof E & string> = { topic: Topic<E>; event: K; payload: E[K]; origin?: string };

/** Publishes a typed event (see {@link Topic}). */
export function publish<E extends Payloads, K extends keyof E & string>(bus: Bus, event: Publication<E, K>): Promise<void> {
  // The one place a typed payload becomes the transport's JSON object.
  return bus.publish(event as BusEvent);
}

/** Subscribes to a typed topic: the handler receives events whose payload type follows from their name. */
export function subscribe<E extends Payloads>(bus: Bus, topic: Topic<E>, handler: (event: TopicEvent<E>) => void): () => void {
  // Only publish() puts events on a typed topic, so what arrives has the topic's types.
  return bus.subscribe(topic, handler as (event: BusEvent) => void);
}

/**
 * Adds `value` to the set of `key` in `map` (creating it); returns the function that removes it again
 * (and the set, once empty). The listener registries of the bus and the hub are all such maps.
 */
export function addToSet<K, V>(map: Map<K, Set<V>>, key: K, value: V): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
  return () => {
    set.delete(value);
    if (set.size === 0) map.delete(key);
  };
}

/** The single-node bus: a map of topic to handlers. */
export function createLocalBus(): Bus {
  const handlers = new Map<string, Set<BusHandler>>();
  return {
    publish(event) {
      const set = handlers.get(event.topic);
      const stamped = { ...event, at: Date.now() };
      if (set) for (const handler of [...set]) handler(stamped);
      return Promise.resolve();
    },
    subscribe: (topic, handler) => addToSet(handlers, topic, handler),
    ready: () => Promise.resolve(),
    ping: () => Promise.resolve(),
    close: () => {
      handlers.clear();
      return Promise.resolve();
    },
  };
}

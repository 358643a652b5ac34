/**
 * Local fan-out: one bus subscription per topic per node, however many sockets listen, and each
 * broadcast encoded once for all of them. Also routes per-user conversation updates.
 * @module
 */
import type { Bus, BusEvent } from '../bus/bus.js';
import type { ConversationUpdate } from '../chat/conversations.js';
import { CONVERSATION_UPDATES_TOPIC } from '../chat/conversations.js';
import { broadcastFanout } from '../telemetry/metrics.js';
import { encode } from './protocol.js';

/** Receives a topic's events; `frame()` is the broadcast frame, encoded once per event. */
export type Listener = (event: BusEvent, frame: () => string) => void;

/** Receives the conversation updates that concern one user. */
export type UserListener = (update: ConversationUpdate) => void;

/** The node's fan-out point between the bus and its sockets. */
export class Hub {
  private readonly topics = new Map<string, { listeners: Set<Listener>; unsubscribe: () => void }>();
  private readonly users = new Map<string, Set<UserListener>>();
  private readonly stopUpdates: () => void;

  constructor(private readonly bus: Bus) {
    this.stopUpdates = bus.subscribe(CONVERSATION_UPDATES_TOPIC, (event) => this.routeUpdate(event));
  }

  /** Listens to a topic; returns the function that stops listening. */
  listen(topic: string, listener: Listener): () => void {
    let entry = this.topics.get(topic);
    if (!entry) {
      const listeners = new Set<Listener>();
      entry = { listeners, unsubscribe: this.bus.subscribe(topic, (event) => this.deliver(event, listeners)) };
      this.topics.set(topic, entry);
    }
    entry.listeners.add(listener);
    return () => {
      const current = this.topics.get(topic);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        current.unsubscribe();
        this.topics.delete(topic);
      }
    };
  }

  /** Delivers an event to this node's listeners of its topic only (presence diffs computed locally). */
  deliverLocal(event: BusEvent): void {
    const entry = this.topics.get(event.topic);
    if (entry) this.deliver(event, entry.listeners);
  }

  /** Listens to the conversation updates of `userId`. */
  listenUser(userId: string, listener: UserListener): () => void {
    let set = this.users.get(userId);
    if (!set) this.users.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.users.delete(userId);
    };
  }

  /** Number of topics this node is subscribed to. */
  get topicCount(): number {
    return this.topics.size;
  }

  /** Drops every subscription (shutdown). */
  close(): void {
    this.stopUpdates();
    for (const entry of this.topics.values()) entry.unsubscribe();
    this.topics.clear();
    this.users.clear();
  }

  private deliver(event: BusEvent, listeners: Set<Listener>): void {
    if (event.at !== undefined) broadcastFanout.observe(Math.max(0, Date.now() - event.at) / 1000);
    let encoded: string | undefined;
    const frame = () => (encoded ??= encode(null, null, event.topic, event.event, event.payload));
    for (const listener of [...listeners]) listener(event, frame);
  }

  private routeUpdate(event: BusEvent): void {
    const update = event.payload as unknown as ConversationUpdate;
    for (const userId of Object.keys(update.viewers)) {
      const set = this.users.get(userId);
      if (set) for (const listener of [...set]) listener(update);
    }
  }
}

/**
 * Local fan-out: one bus subscription per topic per node, however many sockets listen, and each
 * broadcast encoded once for all of them. Also routes per-user conversation updates.
 * @module
 */
import type { Bus, BusEvent } from '../bus/bus.js';
import { addToSet, subscribe } from '../bus/bus.js';
import type { ConversationUpdate } from '../chat/conversation-updates.js';
import { CONVERSATION_UPDATES_TOPIC } from '../chat/topics.js';
import { broadcastFanout } from '../telemetry/metrics.js';
import type { Serializer } from './protocol.js';

/**
 * Receives a topic's events; `frame(serializer)` is the broadcast frame in that wire format, encoded (to UTF-8
 * too) once per event per serializer, however many sockets it goes to.
 */
export type Listener = (event: BusEvent, frame: (serializer: Serializer) => Buffer) => void;

/** Receives the conversation updates that concern one user. */
export type UserListener = (update: ConversationUpdate) => void;

/** A stored message as the hub needs it: its seq (the rest is the `new_msg` payload's message). */
export type StoredMessage = { seq: number } & object;

/** How the hub reads messages back from the database after the bus lost events. */
export interface HubStore {
  /** Up to one page of a conversation's messages with seq above `afterSeq`, ascending; empty when none. */
  catchUp(conversationId: string, afterSeq: number): Promise<StoredMessage[]>;
  /** The conversation's latest seq (where delivery on a newly listened topic starts from). */
  latestSeq(conversationId: string): Promise<number>;
}

/** Seqs remembered per topic to drop late duplicates; older ones are dropped by seq alone. */
const SEQ_WINDOW = 1000;

interface Topic {
  listeners: Set<Listener>;
  unsubscribe: () => void;
  /** The conversation id of a `message:<type>:<id>` topic. */
  conversationId: string | undefined;
  /** The conversation's latest seq when the topic was first listened to (its listeners' joins read up to it); -1: unknown yet. */
  base: number;
  /** Highest `new_msg` seq delivered. */
  highest: number;
  /** The `new_msg` seqs delivered above `floor`: a late or repeated one is not delivered again. */
  delivered: Set<number>;
  /** Every seq at or below it counts as delivered. */
  floor: number;
  /** While re-reading after a bus outage: the live events held back to keep the seq order. */
  held: BusEvent[] | undefined;
}

/** A broadcast as one wire format's frame, in UTF-8. */
function broadcastFrame(serializer: Serializer, event: BusEvent): Buffer {
  return Buffer.from(serializer.encode(null, null, event.topic, event.event, event.payload));
}

/** The seq of a `new_msg` event; -1 for any other event. */
function seqOf(event: BusEvent): number {
  const seq = event.event === 'new_msg' ? (event.payload.message as { seq?: unknown } | undefined)?.seq : undefined;
  return typeof seq === 'number' ? seq : -1;
}

/** The node's fan-out point between the bus and its sockets. */
export class Hub {
  private readonly topics = new Map<string, Topic>();
  private readonly users = new Map<string, Set<UserListener>>();
  private readonly routes = new Map<string, { byKey: Map<string, Set<(event: BusEvent) => void>>; unsubscribe: () => void }>();
  private readonly stopUpdates: () => void;
  private readonly stopReconnect: () => void;

  /**
   * @param store when given and the bus can lose events (it offers {@link Bus.onReconnect}), each
   * `message:*` topic is re-read from the database by seq when the bus comes back: what its listeners
   * missed is delivered, in seq order, once.
   */
  constructor(
    private readonly bus: Bus,
    private readonly store?: HubStore,
  ) {
    this.stopUpdates = subscribe(bus, CONVERSATION_UPDATES_TOPIC, (event) => this.routeUpdate(event.payload));
    this.stopReconnect = store && bus.onReconnect ? bus.onReconnect(() => this.recoverAll()) : () => undefined;
  }

  /** Listens to a topic; returns the function that stops listening. */
  listen(topic: string, listener: Listener): () => void {
    let entry = this.topics.get(topic);
    if (!entry) {
      const [kind, , conversationId] = topic.split(':');
      const created: Topic = {
        listeners: new Set<Listener>(),
        unsubscribe: () => undefined,
        conversationId: kind === 'message' ? conversationId : undefined,
        base: -1,
        highest: -1,
        delivered: new Set(),
        floor: -1,
        held: undefined,
      };
      created.unsubscribe = this.bus.subscribe(topic, (event) => this.deliver(event, created));
      this.topics.set(topic, (entry = created));
      if (created.conversationId !== undefined && this.store && this.bus.onReconnect) {
        // Where a catch-up after a bus outage starts: the listeners' joins read the messages up to here.
        this.store.latestSeq(created.conversationId).then(
          (seq) => {
            created.base = seq;
          },
          () => undefined,
        );
      }
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

  /** Resolves once the node receives the topic's events (see {@link Bus.ready}). */
  ready(topic: string): Promise<void> {
    return this.bus.ready(topic);
  }

  /** Delivers an event to this node's listeners of its topic only (presence diffs computed locally). */
  deliverLocal(event: BusEvent): void {
    const entry = this.topics.get(event.topic);
    if (entry) this.deliver(event, entry);
  }

  /** Listens to the conversation updates of `userId`. */
  listenUser(userId: string, listener: UserListener): () => void {
    return addToSet(this.users, userId, listener);
  }

  /**
   * Listens to the events of node-wide `topic` whose `payload[field]` is `key`. However many sockets listen,
   * the node holds one bus subscription per such topic (not one per session or user).
   */
  listenKeyed(topic: string, field: string, key: string, listener: (event: BusEvent) => void): () => void {
    let route = this.routes.get(topic);
    if (!route) {
      const byKey = new Map<string, Set<(event: BusEvent) => void>>();
      const unsubscribe = this.bus.subscribe(topic, (event) => {
        const value = event.payload[field];
        const set = typeof value === 'string' ? byKey.get(value) : undefined;
        if (set) for (const l of [...set]) l(event);
      });
      this.routes.set(topic, (route = { byKey, unsubscribe }));
    }
    return addToSet(route.byKey, key, listener);
  }

  /** Number of topics this node is subscribed to. */
  get topicCount(): number {
    return this.topics.size;
  }

  /** Drops every subscription (shutdown). */
  close(): void {
    this.stopUpdates();
    this.stopReconnect();
    for (const entry of this.topics.values()) entry.unsubscribe();
    this.topics.clear();
    for (const route of this.routes.values()) route.unsubscribe();
    this.routes.clear();
    this.users.clear();
  }

  private deliver(event: BusEvent, entry: Topic): void {
    const seq = seqOf(event);
    if (seq >= 0) {
      if (entry.held) {
        entry.held.push(event);
        return;
      }
      if (!this.firstDelivery(entry, seq)) return;
    }
    if (event.at !== undefined) broadcastFanout.observe(Math.max(0, Date.now() - event.at) / 1000);
    // One cached encoding per wire format (two exist), made the first time a socket of that format asks.
    let v1: Buffer | undefined;
    let v2: Buffer | undefined;
    const frame = (serializer: Serializer) =>
      serializer.vsn === '2.0.0' ? (v2 ??= broadcastFrame(serializer, event)) : (v1 ??= broadcastFrame(serializer, event));
    // No copy of the set per event: a listener may remove itself (a dropped socket), which a Set's iteration allows,
    // and listeners are only added by joins, after an await, never from inside this loop.
    for (const listener of entry.listeners) listener(event, frame);
  }

  /**
   * Records that `seq` is delivered on the topic; false when it already was. A seq below the highest is
   * still delivered once: concurrent sends (from several nodes) may be published out of seq order.
   */
  private firstDelivery(entry: Topic, seq: number): boolean {
    if (seq <= entry.floor || entry.delivered.has(seq)) return false;
    entry.delivered.add(seq);
    entry.highest = Math.max(entry.highest, seq);
    if (entry.delivered.size > 2 * SEQ_WINDOW) {
      entry.floor = entry.highest - SEQ_WINDOW;
      for (const s of entry.delivered) if (s <= entry.floor) entry.delivered.delete(s);
    }
    return true;
  }

  /** After a bus outage: re-reads every message topic this node listens to. */
  private recoverAll(): void {
    for (const [topic, entry] of this.topics) {
      if (entry.conversationId !== undefined && (entry.base >= 0 || entry.delivered.size > 0) && !entry.held) {
        void this.recover(topic, entry);
      }
    }
  }

  /**
   * Delivers, in seq order, the topic's stored messages not delivered yet (from the first gap on), holding
   * back the live events meanwhile; then the held ones (duplicates dropped).
   */
  private async recover(topic: string, entry: Topic): Promise<void> {
    entry.held = [];
    const store = this.store!;
    let start = Math.max(entry.floor, entry.base >= 0 ? entry.base : Math.min(...entry.delivered) - 1);
    while (entry.delivered.has(start + 1)) start++;
    try {
      for (let after = start; this.topics.get(topic) === entry; ) {
        const page = await store.catchUp(entry.conversationId!, after);
        if (page.length === 0) break;
        for (const message of page) {
          after = message.seq;
          this.deliverStored(topic, entry, message);
        }
      }
    } catch {
      // The database is unreachable too: the clients catch up when they rejoin.
    } finally {
      const held = entry.held;
      entry.held = undefined;
      held.sort((a, b) => seqOf(a) - seqOf(b));
      for (const event of held) this.deliver(event, entry);
    }
  }

  private deliverStored(topic: string, entry: Topic, message: StoredMessage): void {
    const held = entry.held;
    entry.held = undefined;
    this.deliver({ topic, event: 'new_msg', payload: { message } }, entry);
    entry.held = held;
  }

  private routeUpdate(update: ConversationUpdate): void {
    // for...in: no array of every participant's id per update.
    for (const userId in update.viewers) {
      const set = this.users.get(userId);
      if (set) for (const listener of [...set]) listener(update);
    }
  }
}

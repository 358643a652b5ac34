/**
 * Phoenix Presence for family topics, merged across server nodes through the bus.
 *
 * Each node owns the presences of its own sockets and publishes coalesced diffs (one per topic per
 * window, so a reconnect storm is not a diff storm). Nodes learn each other's state by a sync request
 * when they start watching a topic, and forget a node's presences when its heartbeats stop
 * (after `nodeTimeoutMs`, 15 s by default: no ghost "online" users after a crash).
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Bus, Payloads, Publication, Topic, TopicEvent } from '../bus/bus.js';
import { publish, subscribe } from '../bus/bus.js';
import type { Hub } from './hub.js';

/** One presence: a user connected through one socket. */
export interface PresenceEntry {
  userId: string;
  meta: { phx_ref: string; online_at: string };
}

/** Phoenix's presence map: user id -> metas. */
export type PresenceMap = Record<string, { metas: PresenceEntry['meta'][] }>;

type Entries = Map<string, PresenceEntry>; // by phx_ref

type WireDiff = {
  node: string;
  joins: PresenceEntry[];
  leaves: PresenceEntry[];
};

/** The events between nodes: liveness, and a request for a topic's presences. */
type NodeEvents = { heartbeat: { node: string }; sync: { node: string; topic: string } };
/** The events of a family topic's presence wire topic: a node's diff, or its answer to a sync request. */
type WireEvents = { diff: WireDiff; sync: WireDiff };

/** Timing settings. */
export interface PresenceOptions {
  /** How long diffs are coalesced before publishing. */
  windowMs?: number;
  /** How often this node says it is alive (default: a third of `nodeTimeoutMs`, at most 5 s). */
  heartbeatMs?: number;
  /** How long a silent node's presences are kept (default 15 s). */
  nodeTimeoutMs?: number;
}

const NODES_TOPIC: Topic<NodeEvents> = 'presence-nodes';
const wireTopic = (topic: string): Topic<WireEvents> => `presence:${topic}`;

function toMap(entries: Iterable<PresenceEntry>): PresenceMap {
  const map: PresenceMap = {};
  for (const e of entries) (map[e.userId] ??= { metas: [] }).metas.push(e.meta);
  return map;
}

/** The presence tracker of one node. */
export class Presence {
  readonly nodeId = randomUUID();
  private readonly local = new Map<string, Entries>();
  private readonly remote = new Map<string, { seen: number; topics: Map<string, Entries> }>();
  private readonly watching = new Map<string, { count: number; stop: () => void }>();
  /** Unpublished diffs per topic; `exposed`: pending joins already shown in a presence_state. */
  private readonly pending = new Map<string, { joins: Entries; leaves: Entries; exposed: Set<string> }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopNodes: () => void;
  private readonly windowMs: number;
  private readonly nodeTimeoutMs: number;

  constructor(
    private readonly bus: Bus,
    private readonly hub: Hub,
    options: PresenceOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 50;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 15_000;
    this.stopNodes = subscribe(bus, NODES_TOPIC, (event) => this.onNodeEvent(event));
    const heartbeat = setInterval(() => {
      void this.publish({ topic: NODES_TOPIC, event: 'heartbeat', payload: { node: this.nodeId } });
      this.sweep();
    }, options.heartbeatMs ?? Math.min(5_000, Math.max(1, Math.floor(this.nodeTimeoutMs / 3))));
    heartbeat.unref();
    this.timers.push(heartbeat);
  }

  /** Starts tracking a socket's presence on `topic`; returns its phx_ref. */
  track(topic: string, userId: string): string {
    const entry: PresenceEntry = {
      userId,
      meta: { phx_ref: randomBytes(9).toString('base64url'), online_at: new Date().toISOString() },
    };
    let entries = this.local.get(topic);
    if (!entries) this.local.set(topic, (entries = new Map<string, PresenceEntry>()));
    entries.set(entry.meta.phx_ref, entry);
    this.queue(topic).joins.set(entry.meta.phx_ref, entry);
    this.scheduleFlush();
    return entry.meta.phx_ref;
  }

  /** Stops tracking one presence. */
  untrack(topic: string, phxRef: string): void {
    const entries = this.local.get(topic);
    const entry = entries?.get(phxRef);
    if (!entries || !entry) return;
    entries.delete(phxRef);
    if (entries.size === 0) this.local.delete(topic);
    const pending = this.queue(topic);
    // A join not yet published and its leave cancel out, unless a presence_state already showed it.
    const cancelled = !pending.exposed.has(phxRef) && pending.joins.delete(phxRef);
    if (!cancelled) {
      pending.joins.delete(phxRef);
      pending.leaves.set(phxRef, entry);
    }
    this.scheduleFlush();
  }

  /** The full presence state of a topic on every node. */
  list(topic: string): PresenceMap {
    const pending = this.pending.get(topic);
    if (pending) for (const ref of pending.joins.keys()) pending.exposed.add(ref);
    const all: PresenceEntry[] = [...(this.local.get(topic)?.values() ?? [])];
    for (const node of this.remote.values()) all.push(...(node.topics.get(topic)?.values() ?? []));
    return toMap(all);
  }

  /** Starts receiving other nodes' presences for `topic` (while a local socket has it joined). */
  watch(topic: string): () => void {
    let entry = this.watching.get(topic);
    if (!entry) {
      entry = { count: 0, stop: subscribe(this.bus, wireTopic(topic), (event) => this.onDiff(topic, event)) };
      this.watching.set(topic, entry);
      void this.publish({ topic: NODES_TOPIC, event: 'sync', payload: { node: this.nodeId, topic } });
    }
    entry.count++;
    return () => {
      const current = this.watching.get(topic);
      if (!current || --current.count > 0) return;
      current.stop();
      this.watching.delete(topic);
      for (const node of this.remote.values()) node.topics.delete(topic);
    };
  }

  /** Publishes pending diffs now. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [topic, diff] of this.pending) {
      if (diff.joins.size === 0 && diff.leaves.size === 0) continue;
      const wire: WireDiff = { node: this.nodeId, joins: [...diff.joins.values()], leaves: [...diff.leaves.values()] };
      void this.publish({ topic: wireTopic(topic), event: 'diff', payload: wire });
    }
    this.pending.clear();
  }

  /** Publishes what is pending and stops the timers and subscriptions (shutdown). */
  close(): void {
    this.flush();
    for (const timer of this.timers) clearInterval(timer);
    this.stopNodes();
    for (const entry of this.watching.values()) entry.stop();
    this.watching.clear();
  }

  private queue(topic: string) {
    let diff = this.pending.get(topic);
    if (!diff) this.pending.set(topic, (diff = { joins: new Map(), leaves: new Map(), exposed: new Set() }));
    return diff;
  }

  private scheduleFlush(): void {
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.windowMs);
  }

  /** Publishes, ignoring a failure: presence heals through heartbeats and syncs. */
  private async publish<E extends Payloads, K extends keyof E & string>(event: Publication<E, K>): Promise<void> {
    await publish(this.bus, event).catch(() => undefined);
  }

  private remoteNode(node: string) {
    let state = this.remote.get(node);
    if (!state) this.remote.set(node, (state = { seen: Date.now(), topics: new Map() }));
    state.seen = Date.now();
    return state;
  }

  private onNodeEvent(event: TopicEvent<NodeEvents>): void {
    const { node, topic } = event.payload as { node?: string; topic?: string };
    if (typeof node !== 'string' || node === this.nodeId) return;
    if (event.event === 'heartbeat') {
      this.remoteNode(node);
    } else if (event.event === 'sync' && typeof topic === 'string') {
      // Another node started watching: send it (and everyone) our sockets on that topic.
      const entries = this.local.get(topic);
      if (entries && entries.size > 0) {
        const wire: WireDiff = { node: this.nodeId, joins: [...entries.values()], leaves: [] };
        void this.publish({ topic: wireTopic(topic), event: 'sync', payload: wire });
      }
    }
  }

  private onDiff(topic: string, event: TopicEvent<WireEvents>): void {
    const diff = event.payload;
    let joins = diff.joins;
    let leaves = diff.leaves;
    // Our own sockets already know our presences: a sync answer is for the other nodes.
    if (diff.node === this.nodeId && event.event === 'sync') return;
    if (diff.node !== this.nodeId) {
      const state = this.remoteNode(diff.node);
      let entries = state.topics.get(topic);
      if (!entries) state.topics.set(topic, (entries = new Map<string, PresenceEntry>()));
      const known = entries;
      joins = joins.filter((e) => !known.has(e.meta.phx_ref));
      leaves = leaves.filter((e) => known.has(e.meta.phx_ref));
      for (const e of joins) known.set(e.meta.phx_ref, e);
      for (const e of leaves) known.delete(e.meta.phx_ref);
    }
    this.emit(topic, joins, leaves);
  }

  private emit(topic: string, joins: PresenceEntry[], leaves: PresenceEntry[]): void {
    if (joins.length === 0 && leaves.length === 0) return;
    this.hub.deliverLocal({ topic, event: 'presence_diff', payload: { joins: toMap(joins), leaves: toMap(leaves) } });
  }

  /** Forgets the presences of nodes whose heartbeats stopped. */
  sweep(now = Date.now()): void {
    for (const [node, state] of this.remote) {
      if (now - state.seen < this.nodeTimeoutMs) continue;
      this.remote.delete(node);
      for (const [topic, entries] of state.topics) this.emit(topic, [], [...entries.values()]);
    }
  }
}

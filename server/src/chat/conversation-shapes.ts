/**
 * A per-node cache of the part of a conversation that all its participants share and that rarely changes
 * (type, title, family, the participants' public profiles), so that a send can announce the conversation's
 * new state without reading it again. Membership changes are caught by comparing participant ids with the
 * send's own result; renames are announced on the bus to every node; entries also expire after a minute.
 * @module
 */
import type { UserView } from '../user-view.js';
import type { Deps } from '../deps.js';
import type { ConversationType } from './access.js';

/** What every participant of a conversation sees the same, participants in conversation order. */
export interface ConversationShape {
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  created_at: string;
  participants: UserView[];
}

/** The bus topic on which nodes are told to drop cached shapes: `{conversation_id}`, or `{}` for all. */
export const SHAPES_TOPIC = 'conversation-shapes';
const TTL_MS = 60_000;
const MAX_ENTRIES = 20_000;

type Cache = Map<string, { shape: ConversationShape; at: number }>;
const caches = new WeakMap<Deps, Cache>();

function cacheOf(deps: Deps): Cache {
  let cache = caches.get(deps);
  if (!cache) caches.set(deps, (cache = new Map() as Cache));
  return cache;
}

/** The cached shape of a conversation, when it is fresh and its participants are exactly `participantIds`, in order. */
export function cachedShape(deps: Deps, conversationId: string, participantIds: readonly string[]): ConversationShape | undefined {
  const entry = cacheOf(deps).get(conversationId);
  if (!entry || Date.now() - entry.at > TTL_MS) return undefined;
  const { participants } = entry.shape;
  if (participants.length !== participantIds.length) return undefined;
  for (let i = 0; i < participants.length; i++) if (participants[i]!.id !== participantIds[i]) return undefined;
  return entry.shape;
}

/** Caches a shape just read from the database. */
export function rememberShape(deps: Deps, conversationId: string, shape: ConversationShape): void {
  const cache = cacheOf(deps);
  cache.delete(conversationId);
  cache.set(conversationId, { shape, at: Date.now() });
  // Maps iterate in insertion order: the first key is the least recently stored.
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
}

/** Drops a conversation's cached shape (or all of them) on every node. */
export async function forgetShapes(deps: Deps, conversationId?: string): Promise<void> {
  dropLocal(deps, conversationId);
  await deps.bus.publish({ topic: SHAPES_TOPIC, event: 'forget', payload: conversationId ? { conversation_id: conversationId } : {} });
}

function dropLocal(deps: Deps, conversationId: string | undefined): void {
  if (conversationId === undefined) cacheOf(deps).clear();
  else cacheOf(deps).delete(conversationId);
}

/** Drops this node's cached shapes when any node says so (call once per app). */
export function watchShapes(deps: Deps): () => void {
  return deps.bus.subscribe(SHAPES_TOPIC, (event) => {
    const id = event.payload.conversation_id;
    dropLocal(deps, typeof id === 'string' ? id : undefined);
  });
}

/**
 * The per-node store behind conversation-shapes.ts: shapes by conversation id, fresh for a minute, at most
 * 20,000. Built once per app (see `buildApp`) and reached as `deps.shapes`.
 * @module
 */
import type { ConversationType } from './access.js';
import type { UserView } from '../contract/objects.js';

/** What every participant of a conversation sees the same, participants in conversation order. */
export interface ConversationShape {
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  created_at: string;
  participants: UserView[];
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 20_000;

/** One node's cached conversation shapes. */
export class ShapeCache {
  private readonly entries = new Map<string, { shape: ConversationShape; at: number }>();

  /**
   * The shape of a conversation, when it is fresh and its participants are exactly those of `viewers` (rows whose
   * first item is a user id, as a send or a read returns them), in order.
   */
  get(conversationId: string, viewers: readonly (readonly [string, ...unknown[]])[]): ConversationShape | undefined {
    const entry = this.entries.get(conversationId);
    if (!entry || Date.now() - entry.at > TTL_MS) return undefined;
    const { participants } = entry.shape;
    if (participants.length !== viewers.length) return undefined;
    for (let i = 0; i < participants.length; i++) if (participants[i]!.id !== viewers[i]![0]) return undefined;
    return entry.shape;
  }

  /** Stores a shape just read from the database. */
  remember(conversationId: string, shape: ConversationShape): void {
    this.entries.delete(conversationId);
    this.entries.set(conversationId, { shape, at: Date.now() });
    // Maps iterate in insertion order: the first key is the least recently stored.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Drops one conversation's shape, or all of them. */
  drop(conversationId?: string): void {
    if (conversationId === undefined) this.entries.clear();
    else this.entries.delete(conversationId);
  }
}

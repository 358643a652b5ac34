/**
 * Message state as pure functions: merging pages and live events by `seq`, the timeline a chat
 * view shows (confirmed messages followed by the caller's unsent ones from the outbox), and read
 * receipts (merging `read_up_to` cursors, who has seen a message).
 * @module
 */
import type { OutboxEntry } from './outbox.js';
import type { Message } from './types.js';

/** The newer of two versions of the same message (an edit or a delete wins over the original). */
function newer(a: Message, b: Message): Message {
  const stamp = (m: Message) => Math.max(Date.parse(m.edited_at ?? '') || 0, Date.parse(m.deleted_at ?? '') || 0);
  if (b.deleted_at && !a.deleted_at) return b;
  if (a.deleted_at && !b.deleted_at) return a;
  return stamp(b) >= stamp(a) ? b : a;
}

/**
 * Merges `incoming` into `existing` (both ascending by seq): one entry per seq, the newest version of
 * each, ascending. Returns `existing` itself when nothing changed (cheap equality for React state).
 */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    const old = bySeq.get(m.seq);
    const next = old ? newer(old, m) : m;
    if (next !== old) {
      bySeq.set(m.seq, next);
      changed = true;
    }
  }
  if (!changed) return existing as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The highest seq in a message list (0 when empty). */
export function latestSeq(messages: readonly Message[]): number {
  return messages.length === 0 ? 0 : (messages[messages.length - 1]?.seq ?? 0);
}

/** The lowest seq in a message list, or undefined when empty (the `before` cursor of the next older page). */
export function oldestSeq(messages: readonly Message[]): number | undefined {
  return messages[0]?.seq;
}

/** One row of a chat timeline: a stored message, or one of the caller's messages not yet confirmed. */
export type TimelineItem =
  | { kind: 'message'; key: string; message: Message }
  | { kind: 'pending'; key: string; entry: OutboxEntry };

/**
 * The rows a chat view shows: the stored messages, then the caller's outbox entries for this conversation
 * whose `client_id` is not yet among them (so a message never shows twice, even if its confirmation
 * arrives as a live event before the send's reply).
 */
export function timeline(messages: readonly Message[], pending: readonly OutboxEntry[]): TimelineItem[] {
  const confirmed = new Set(messages.map((m) => m.client_id).filter((id): id is string => id !== null));
  const items: TimelineItem[] = messages.map((message) => ({ kind: 'message', key: message.client_id ?? message.id, message }));
  for (const entry of pending) {
    if (!confirmed.has(entry.clientId)) items.push({ kind: 'pending', key: entry.clientId, entry });
  }
  return items;
}

/** Unread count from the latest seq and the read cursor, never below 0 (the API's rule). */
export function unreadCount(latest: number, readSeq: number): number {
  return Math.max(0, latest - readSeq);
}

/** Read cursors by user id, as in a Conversation's `read_up_to`. */
export type ReadCursors = Record<string, number>;

/**
 * The cursors of `base`'s participants, each the higher of `base`'s and `other`'s (cursors never move
 * backwards, but updates may arrive out of order). Returns `base` itself when `other` raises none.
 */
export function mergeReadUpTo(base: ReadCursors, other: ReadCursors | undefined): ReadCursors {
  if (!other) return base;
  let merged: ReadCursors | undefined;
  for (const [userId, seq] of Object.entries(base)) {
    const theirs = other[userId];
    if (theirs !== undefined && theirs > seq) (merged ??= { ...base })[userId] = theirs;
  }
  return merged ?? base;
}

/** `cursors` with `userId` read up to at least `seq` (a live `read` event); itself when that moves nothing. */
export function withRead(cursors: ReadCursors, userId: string, seq: number): ReadCursors {
  return (cursors[userId] ?? -1) >= seq ? cursors : { ...cursors, [userId]: seq };
}

/** Who, other than `viewerId`, has read message `seq` (their cursor is at it or beyond), in `cursors` order. */
export function seenBy(cursors: ReadCursors, seq: number, viewerId: string): string[] {
  return Object.entries(cursors)
    .filter(([userId, read]) => userId !== viewerId && read >= seq)
    .map(([userId]) => userId);
}

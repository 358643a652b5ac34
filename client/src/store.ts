/**
 * Message state as pure functions: merging pages and live events by `seq`, and the timeline a chat
 * view shows (confirmed messages followed by the caller's unsent ones from the outbox).
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

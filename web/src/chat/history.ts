// Pure state behind the chat of one conversation (unit-tested): pages and live events merged by seq,
// who is typing, and which of the viewer's messages shows "Seen by".
import type { Message, ReadCursors } from '@famichat/client';
import { mergeMessages, seenBy } from '@famichat/client';

/** The messages the chat holds, and how far its pages reach. */
export interface History {
  messages: Message[];
  /** The latest page has arrived (before it, the chat says neither "No messages yet" nor "beginning"). */
  loaded: boolean;
  /** Older pages remain on the server. */
  hasMore: boolean;
}

/** Nothing loaded yet. */
export const EMPTY_HISTORY: History = { messages: [], loaded: false, hasMore: false };

/**
 * `history` with `incoming` merged by seq; with `page`, a page over HTTP arrived (so it is loaded) and says
 * whether older ones remain. `history` itself when nothing changes, so a repeated event renders nothing.
 */
export function mergeHistory(history: History, incoming: readonly Message[], page?: { hasMore: boolean }): History {
  const messages = mergeMessages(history.messages, incoming);
  const loaded = history.loaded || page !== undefined;
  const hasMore = page ? page.hasMore : history.hasMore;
  if (messages === history.messages && loaded === history.loaded && hasMore === history.hasMore) return history;
  return { messages, loaded, hasMore };
}

/** Who is typing: user id → when the indicator goes away (ms since the epoch). */
export type Typing = Readonly<Record<string, number>>;

/** `userId` typed: shown until `until`. */
export function typingStarted(typing: Typing, userId: string, until: number): Typing {
  return { ...typing, [userId]: until };
}

/** `userId` sent a message, so is no longer typing; `typing` itself when they were not. */
export function typingStopped(typing: Typing, userId: string): Typing {
  if (!(userId in typing)) return typing;
  const { [userId]: _gone, ...rest } = typing;
  return rest;
}

/** The indicators still shown at `now`; `typing` itself when none expired. */
export function typingAt(typing: Typing, now: number): Typing {
  const kept = Object.entries(typing).filter(([, until]) => until > now);
  return kept.length === Object.keys(typing).length ? typing : Object.fromEntries(kept);
}

/** When the next indicator expires, or undefined when nobody is typing. */
export function nextTypingExpiry(typing: Typing): number | undefined {
  const times = Object.values(typing);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The viewer's latest message (not deleted) and the others who have read up to it. */
export interface Seen {
  messageId: string;
  userIds: string[];
}

/** What "Seen by" shows, from the conversation's `read_up_to` (so it survives a reload); undefined before the viewer wrote. */
export function seenLatestOwn(messages: readonly Message[], readUpTo: ReadCursors, viewerId: string): Seen | undefined {
  // A loop rather than findLast (ES2023), since the build targets ES2022.
  let lastMine: Message | undefined;
  for (let i = messages.length - 1; i >= 0 && !lastMine; i--) {
    const m = messages[i];
    if (m && m.sender_id === viewerId && !m.deleted_at) lastMine = m;
  }
  return lastMine ? { messageId: lastMine.id, userIds: seenBy(readUpTo, lastMine.seq, viewerId) } : undefined;
}

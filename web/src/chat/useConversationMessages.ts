// The data of one open conversation: the latest page over HTTP, then the live channel (catch-up, edits,
// deletes, typing, reads), older pages on demand, pending sends, and read marking while the page is visible.
import type { Conversation, ConversationChannel, Message, MessagePage, OutboxEntry, TimelineItem } from '@famichat/client';
import { ApiError, latestSeq, oldestSeq, timeline } from '@famichat/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { store } from '../state/app';
import { errorMessage } from '../state/logic';
import { loadChat, saveChat } from '../state/offline-cache';
import type { History, Seen, Typing } from './history';
import { EMPTY_HISTORY, mergeHistory, nextTypingExpiry, seenLatestOwn, typingAt, typingStarted, typingStopped } from './history';

const PAGE = 30;
const CATCH_UP_PAGE = 200;
const TYPING_SHOWN_MS = 4000;
const RETRY_MS = 1000;

/** What {@link useConversationMessages} gives the chat screen. */
export interface ConversationMessages extends History {
  /** The messages, then the pending sends not yet among them. */
  items: TimelineItem[];
  loadingOlder: boolean;
  error: string | undefined;
  /** Ids of the others typing now. */
  typingIds: string[];
  /** The viewer's latest message and who has seen it. */
  seen: Seen | undefined;
  /** Fetches the next older page; `beforePrepend` runs just before it is merged (to keep the scroll position). */
  loadOlder: (beforePrepend?: () => void) => Promise<void>;
  /** Merges a message changed here (an edit or a delete) without waiting for its live event. */
  changed: (message: Message) => void;
  /** Tells the others the viewer is typing (when the channel is joined). */
  sendTyping: () => void;
  /** Offline, and this conversation was not opened recently: nothing of it is on the device. */
  unavailable: boolean;
}

/**
 * The messages of `conversation` as the viewer `viewerId` sees them, with `pending` (the outbox entries of
 * this conversation). One conversation per mount: the caller keys its component by the conversation id, so
 * nothing of another conversation is ever merged in.
 */
export function useConversationMessages(conversation: Conversation, viewerId: string, pending: readonly OutboxEntry[], connected: boolean): ConversationMessages {
  const { id, type, read_up_to: readUpTo } = conversation;
  const [history, setHistory] = useState<History>(EMPTY_HISTORY);
  // The same history, for callbacks that must see the latest (afterSeq on a rejoin, the older page cursor).
  const historyRef = useRef<History>(EMPTY_HISTORY);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string>();
  const [typing, setTyping] = useState<Typing>({});
  const [unavailable, setUnavailable] = useState(false);
  const channelRef = useRef<ConversationChannel>(undefined);

  const merge = useCallback((incoming: readonly Message[], page?: { hasMore: boolean }) => {
    const next = mergeHistory(historyRef.current, incoming, page);
    if (next === historyRef.current) return;
    historyRef.current = next;
    setHistory(next);
  }, []);

  // The latest page over HTTP, then the channel (joined with after_seq, so every rejoin catches up).
  useEffect(() => {
    let cancelled = false;
    let channel: ConversationChannel | undefined;
    const offSent = store.onSent((m) => {
      if (m.conversation_id === id) merge([m]);
    });
    const catchUp = async () => {
      for (;;) {
        const page = await store.api.messages(id, { after: latestSeq(historyRef.current.messages), limit: CATCH_UP_PAGE });
        if (cancelled) return;
        merge(page.messages);
        if (!page.hasMore || page.messages.length === 0) return;
      }
    };
    // The latest page; offline, the one kept on the device (the channel's rejoin catches up from it later).
    const latestPage = async (): Promise<Pick<MessagePage, 'messages' | 'hasMore'> | undefined> => {
      for (;;) {
        try {
          return await store.api.messages(id, { limit: PAGE });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 'network')) throw e;
          const kept = cancelled ? undefined : await loadChat(id);
          if (kept || cancelled) return kept;
          // Never opened on this device: say so, and load it once the connection is back (not in a tight loop).
          setUnavailable(true);
          await Promise.all([store.connected(), new Promise((resolve) => setTimeout(resolve, RETRY_MS))]);
          if (cancelled) return undefined;
          setUnavailable(false);
        }
      }
    };
    void (async () => {
      try {
        const page = await latestPage();
        if (cancelled || !page) return;
        merge(page.messages, { hasMore: page.hasMore });
      } catch (e) {
        if (!cancelled) setError(errorMessage(e));
        return;
      }
      const realtime = store.realtime;
      if (!realtime || cancelled) return;
      channel = realtime.joinConversation({ id, type }, {
        afterSeq: () => latestSeq(historyRef.current.messages),
        onJoin: (reply) => {
          merge(reply.messages);
          if (reply.has_more) void catchUp();
          void store.outbox?.flush(id);
        },
        // Removed while this device was away: the rejoin is refused.
        onJoinError: (reason) => (reason === 'not_found' ? store.conversationRemoved(id) : setError(`Cannot open the conversation (${reason}).`)),
        onClosed: () => store.conversationRemoved(id),
        onMessage: (m) => {
          merge([m]);
          setTyping((t) => typingStopped(t, m.sender_id));
        },
        onUpdated: (m) => {
          merge([m]);
          store.messageChanged(m);
        },
        onDeleted: (m) => {
          merge([m]);
          store.messageChanged(m);
        },
        onTyping: (userId) => {
          if (userId !== viewerId) setTyping((t) => typingStarted(t, userId, Date.now() + TYPING_SHOWN_MS));
        },
        onRead: (userId, seq) => store.applyRead(id, userId, seq),
      });
      channelRef.current = channel;
      store.registerChannel(id, channel);
    })();
    return () => {
      cancelled = true;
      offSent();
      channel?.leave();
      channelRef.current = undefined;
      store.registerChannel(id, undefined);
    };
  }, [id, type, merge, viewerId]);

  // What an offline reload shows: the latest page, kept on the device (not once the caller was removed).
  useEffect(() => {
    if (!history.loaded) return;
    const timer = setTimeout(() => {
      if (!(id in store.state.removed)) void saveChat(id, history.messages, history.hasMore);
    }, 150);
    return () => clearTimeout(timer);
  }, [id, history]);

  // Typing indicators expire: one timer for the next expiry, not a poll.
  useEffect(() => {
    const next = nextTypingExpiry(typing);
    if (next === undefined) return;
    // At least `next`, so the earliest indicator goes even if the timer fires a little early.
    const timer = setTimeout(() => setTyping((t) => typingAt(t, Math.max(Date.now(), next))), Math.max(0, next - Date.now()));
    return () => clearTimeout(timer);
  }, [typing]);

  // Read: everything shown is read while the page is visible.
  const latest = latestSeq(history.messages);
  const readSent = useRef(0);
  useEffect(() => {
    const markRead = () => {
      if (document.visibilityState !== 'visible' || latest === 0 || latest <= readSent.current) return;
      readSent.current = latest;
      store.markRead(id, latest);
      const channel = channelRef.current;
      if (channel?.isJoined()) void channel.read(latest);
      else void store.api.markRead(id, latest).catch(() => (readSent.current = 0));
    };
    markRead();
    document.addEventListener('visibilitychange', markRead);
    return () => document.removeEventListener('visibilitychange', markRead);
  }, [id, latest, connected]);

  const { hasMore } = history;
  const loadOlder = useCallback(
    async (beforePrepend?: () => void) => {
      const before = oldestSeq(historyRef.current.messages);
      if (loadingOlder || !hasMore || before === undefined) return;
      setLoadingOlder(true);
      try {
        const page = await store.api.messages(id, { before, limit: PAGE });
        beforePrepend?.();
        merge(page.messages, { hasMore: page.hasMore });
      } catch (e) {
        setError(errorMessage(e));
      } finally {
        setLoadingOlder(false);
      }
    },
    [hasMore, id, loadingOlder, merge],
  );

  const changed = useCallback(
    (m: Message) => {
      merge([m]);
      store.messageChanged(m);
    },
    [merge],
  );
  const sendTyping = useCallback(() => channelRef.current?.typing(), []);
  const items = useMemo(() => timeline(history.messages, pending), [history.messages, pending]);
  const typingIds = useMemo(() => Object.keys(typing), [typing]);
  const seen = useMemo(() => seenLatestOwn(history.messages, readUpTo, viewerId), [history.messages, readUpTo, viewerId]);

  return { ...history, items, loadingOlder, error, typingIds, seen, loadOlder, changed, sendTyping, unavailable };
}

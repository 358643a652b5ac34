import type { Conversation, ConversationChannel, Message, OutboxEntry, User } from '@famichat/client';
import { latestSeq, mergeMessages, oldestSeq, seenBy as seenByIds, timeline } from '@famichat/client';
import type { KeyboardEvent } from 'react';
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { BackLink, ErrorText } from '../components/ui';
import { store, useApp } from '../state/app';
import { dayLabel, errorMessage, linkify, startsNewDay } from '../state/logic';

const PAGE = 30;
const MAX_BYTES = 8192;
const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2500;

export function ChatView({ conversationId }: { conversationId: string }) {
  const conversation = useApp((s) => s.conversations.find((c) => c.id === conversationId));
  const me = useApp((s) => s.me);
  const allPending = useApp((s) => s.outbox);
  const status = useApp((s) => s.status);
  const online = useApp((s) => s.online);
  const [missing, setMissing] = useState<string>();

  useEffect(() => {
    if (conversation) return;
    store.api
      .conversation(conversationId)
      .then((c) => store.upsertConversation(c))
      .catch((e: unknown) => setMissing(errorMessage(e)));
  }, [conversation, conversationId]);

  if (!conversation || !me) {
    return (
      <section className="chat">
        <header className="chat-header"><BackLink /><h2>Conversation</h2></header>
        {missing ? <ErrorText message={missing} /> : <p className="loading" role="status">Loading…</p>}
      </section>
    );
  }
  return (
    <Chat
      conversation={conversation}
      me={me}
      pending={allPending.filter((e) => e.conversationId === conversationId)}
      connected={status === 'open'}
      online={online}
    />
  );
}

function Chat({ conversation, me, pending, connected, online }: { conversation: Conversation; me: User; pending: OutboxEntry[]; connected: boolean; online: string[] }) {
  const id = conversation.id;
  const [messages, setMessages] = useState<Message[]>([]);
  const messagesRef = useRef<Message[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string>();
  const [typing, setTyping] = useState<Record<string, number>>({});
  const channelRef = useRef<ConversationChannel>(undefined);
  const listRef = useRef<HTMLDivElement>(null);
  const restoreFromBottom = useRef<number | undefined>(undefined);
  const stickToBottom = useRef(true);

  const merge = useCallback((incoming: Message[]) => {
    const next = mergeMessages(messagesRef.current, incoming);
    if (next === messagesRef.current) return;
    messagesRef.current = next;
    setMessages(next);
  }, []);

  // The latest page over HTTP, then the channel (joined with after_seq, so every rejoin catches up).
  useEffect(() => {
    let cancelled = false;
    let channel: ConversationChannel | undefined;
    messagesRef.current = [];
    setMessages([]);
    setLoaded(false);
    const offSent = store.onSent((m) => {
      if (m.conversation_id === id) merge([m]);
    });
    void (async () => {
      try {
        const page = await store.api.messages(id, { limit: PAGE });
        if (cancelled) return;
        merge(page.messages);
        setHasMore(page.hasMore);
        setLoaded(true);
      } catch (e) {
        if (!cancelled) setError(errorMessage(e));
        return;
      }
      const realtime = store.realtime;
      if (!realtime || cancelled) return;
      channel = realtime.joinConversation(conversation, {
        afterSeq: () => latestSeq(messagesRef.current),
        onJoin: (reply) => {
          merge(reply.messages);
          if (reply.has_more) void catchUp();
          void store.outbox?.flush(id);
        },
        onJoinError: (reason) => setError(reason === 'not_found' ? 'You no longer have access to this conversation.' : `Cannot open the conversation (${reason}).`),
        onMessage: (m) => {
          merge([m]);
          setTyping((t) => {
            if (!(m.sender_id in t)) return t;
            const { [m.sender_id]: _gone, ...rest } = t;
            return rest;
          });
        },
        onUpdated: (m) => merge([m]),
        onDeleted: (m) => merge([m]),
        onTyping: (userId) => {
          if (userId !== me.id) setTyping((t) => ({ ...t, [userId]: Date.now() + TYPING_SHOWN_MS }));
        },
        onRead: (userId, seq) => store.applyRead(id, userId, seq),
      });
      channelRef.current = channel;
      store.registerChannel(id, channel);
    })();
    const catchUp = async () => {
      for (;;) {
        const page = await store.api.messages(id, { after: latestSeq(messagesRef.current), limit: 200 });
        if (cancelled) return;
        merge(page.messages);
        if (!page.hasMore || page.messages.length === 0) return;
      }
    };
    return () => {
      cancelled = true;
      offSent();
      channel?.leave();
      channelRef.current = undefined;
      store.registerChannel(id, undefined);
    };
    // The conversation object changes with every list update; only its identity matters here.
  }, [id, merge, me.id]);

  // Typing indicators expire.
  useEffect(() => {
    const names = Object.keys(typing);
    if (names.length === 0) return;
    const timer = setTimeout(() => {
      const now = Date.now();
      setTyping((t) => Object.fromEntries(Object.entries(t).filter(([, until]) => until > now)));
    }, 500);
    return () => clearTimeout(timer);
  }, [typing]);

  // Read: everything shown is read while the page is visible.
  const latest = latestSeq(messages);
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

  const loadOlder = useCallback(async () => {
    const before = oldestSeq(messagesRef.current);
    if (loadingOlder || !hasMore || before === undefined) return;
    setLoadingOlder(true);
    try {
      const page = await store.api.messages(id, { before, limit: PAGE });
      const list = listRef.current;
      if (list) restoreFromBottom.current = list.scrollHeight - list.scrollTop;
      merge(page.messages);
      setHasMore(page.hasMore);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingOlder(false);
    }
  }, [hasMore, id, loadingOlder, merge]);

  const items = useMemo(() => timeline(messages, pending), [messages, pending]);

  // Scrolling: stay at the bottom for new messages, keep the view still when older ones are prepended.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    if (restoreFromBottom.current !== undefined) {
      list.scrollTop = list.scrollHeight - restoreFromBottom.current;
      restoreFromBottom.current = undefined;
    } else if (stickToBottom.current) {
      list.scrollTop = list.scrollHeight;
    }
  }, [items]);

  const onScroll = () => {
    const list = listRef.current;
    if (!list) return;
    stickToBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    if (list.scrollTop < 120) void loadOlder();
  };

  const byId = useMemo(() => new Map(conversation.participants.map((p) => [p.id, p])), [conversation.participants]);
  const other = conversation.type === 'direct' ? conversation.participants.find((p) => p.id !== me.id) : undefined;
  const typingNames = Object.keys(typing).map((uid) => byId.get(uid)?.display_name ?? 'Someone');
  const lastMine = [...messages].reverse().find((m) => m.sender_id === me.id && !m.deleted_at);
  // From the conversation's read_up_to (list/GET, conversation_updated, live reads), so it survives a reload.
  const seenBy = lastMine ? seenByIds(conversation.read_up_to, lastMine.seq, me.id).map((uid) => byId.get(uid)?.display_name ?? 'Someone') : [];
  const multi = conversation.type === 'family' || conversation.type === 'group';
  const subtitle = other
    ? online.includes(other.id) ? 'online' : 'offline'
    : conversation.type === 'self'
      ? 'Only you can see these'
      : `${conversation.participants.length} members`;

  return (
    <section className="chat" aria-label={`Conversation: ${conversation.title}`}>
      <header className="chat-header">
        <BackLink />
        <div className="chat-title">
          <h2>{conversation.title}</h2>
          <span className="muted">{subtitle}</span>
        </div>
      </header>
      <div className="messages" ref={listRef} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" tabIndex={0}>
        {hasMore ? (
          <div className="older">
            <button onClick={() => void loadOlder()} disabled={loadingOlder}>{loadingOlder ? 'Loading…' : 'Load older messages'}</button>
          </div>
        ) : loaded && messages.length > 0 ? (
          <p className="start-of-history">This is the beginning of the conversation.</p>
        ) : null}
        {loaded && items.length === 0 ? <p className="muted empty">No messages yet. Say hello!</p> : null}
        {items.map((item, i) => {
          const at = item.kind === 'message' ? item.message.inserted_at : item.entry.createdAt;
          const newDay = startsNewDay(items.map((x) => ({ inserted_at: x.kind === 'message' ? x.message.inserted_at : x.entry.createdAt })), i);
          const previous = items[i - 1];
          const sender = item.kind === 'message' ? item.message.sender_id : me.id;
          const previousSender = previous ? (previous.kind === 'message' ? previous.message.sender_id : me.id) : undefined;
          const showName = multi && sender !== me.id && (newDay || previousSender !== sender);
          return (
            <Fragment key={item.key}>
              {newDay ? (
                <div className="day" role="separator">
                  <span>{dayLabel(at)}</span>
                </div>
              ) : null}
              {item.kind === 'message' ? (
                <MessageRow message={item.message} mine={item.message.sender_id === me.id} senderName={showName ? (byId.get(sender)?.display_name ?? 'Former member') : undefined} seenBy={lastMine && item.message.id === lastMine.id ? seenBy : []} onChanged={(m) => merge([m])} />
              ) : (
                <PendingRow entry={item.entry} />
              )}
            </Fragment>
          );
        })}
      </div>
      <div className="typing" aria-live="polite">
        {typingNames.length > 0 ? `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…` : ''}
      </div>
      <ErrorText message={error} />
      <Composer conversationId={id} channel={channelRef} />
    </section>
  );
}

function Text({ body }: { body: string }) {
  return (
    <>
      {linkify(body).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}

function MessageRow({ message, mine, senderName, seenBy, onChanged }: { message: Message; mine: boolean; senderName: string | undefined; seenBy: string[]; onChanged: (m: Message) => void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.body);
  const [menu, setMenu] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const time = new Date(message.inserted_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const deleted = message.deleted_at !== null;

  const save = async () => {
    try {
      const updated = await store.api.editMessage(message.conversation_id, message.id, draft.trim());
      setEditing(false);
      setMenu(false);
      setError(undefined);
      onChanged(updated);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const remove = async () => {
    try {
      await store.api.deleteMessage(message.conversation_id, message.id);
      onChanged({ ...message, body: '', deleted_at: new Date().toISOString() });
      setMenu(false);
      setConfirming(false);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div className={`row ${mine ? 'mine' : 'theirs'}`} data-seq={message.seq}>
      {senderName ? <div className="sender">{senderName}</div> : null}
      <div className={`bubble${deleted ? ' deleted' : ''}`}>
        {editing ? (
          <form onSubmit={(e) => { e.preventDefault(); void save(); }} className="edit-form">
            <label className="sr-only" htmlFor={`edit-${message.id}`}>Edit message</label>
            <textarea id={`edit-${message.id}`} value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus rows={3} />
            <div className="edit-actions">
              <button type="submit" className="primary">Save</button>
              <button type="button" onClick={() => { setEditing(false); setDraft(message.body); }}>Cancel</button>
            </div>
          </form>
        ) : deleted ? (
          <em>This message was deleted</em>
        ) : (
          <span className="body"><Text body={message.body} /></span>
        )}
        <span className="meta">
          {message.edited_at && !deleted ? 'edited · ' : ''}
          <time dateTime={message.inserted_at}>{time}</time>
          {mine && !deleted ? <span className="state"> · Sent</span> : null}
        </span>
      </div>
      {seenBy.length > 0 ? <div className="seen">Seen by {seenBy.join(', ')}</div> : null}
      {mine && !deleted && !editing ? (
        <div className="message-actions">
          <button className="link-button" aria-expanded={menu} aria-label={`Options for your message at ${time}`} onClick={() => { setMenu(!menu); setConfirming(false); }}>
            ⋯
          </button>
          {menu ? (
            confirming ? (
              <span>
                Delete this message?{' '}
                <button className="danger" onClick={() => void remove()}>Delete</button>{' '}
                <button onClick={() => setConfirming(false)}>Keep</button>
              </span>
            ) : (
              <span>
                <button onClick={() => { setDraft(message.body); setEditing(true); }}>Edit</button>{' '}
                <button className="danger" onClick={() => setConfirming(true)}>Delete</button>
              </span>
            )
          ) : null}
        </div>
      ) : null}
      <ErrorText message={error} />
    </div>
  );
}

function PendingRow({ entry }: { entry: OutboxEntry }) {
  const failed = entry.state === 'failed';
  return (
    <div className={`row mine pending${failed ? ' failed' : ''}`} data-client-id={entry.clientId}>
      <div className="bubble">
        <span className="body"><Text body={entry.body} /></span>
        <span className="meta">
          <span className="state" role="status">
            {failed ? `Failed: ${failedReason(entry.error)}` : 'Sending…'}
          </span>
        </span>
      </div>
      {failed ? (
        <div className="message-actions">
          <button onClick={() => store.outbox?.retry(entry.clientId)}>Retry</button>{' '}
          <button onClick={() => store.outbox?.discard(entry.clientId)}>Discard</button>
        </div>
      ) : null}
    </div>
  );
}

function failedReason(code: string | undefined): string {
  switch (code) {
    case 'payload_too_large':
      return 'too long';
    case 'validation_failed':
      return 'not a valid message';
    case 'no_shared_family':
      return 'you no longer share a family';
    case 'not_found':
    case 'forbidden':
      return 'no access to this conversation';
    default:
      return 'not sent';
  }
}

function Composer({ conversationId, channel }: { conversationId: string; channel: { current: ConversationChannel | undefined } }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const lastTyping = useRef(0);
  const ref = useRef<HTMLTextAreaElement>(null);

  const send = () => {
    const body = text.trim();
    if (!body) return;
    if (new TextEncoder().encode(body).length > MAX_BYTES) {
      setError('That message is too long (at most 8192 bytes).');
      return;
    }
    setError(undefined);
    store.outbox?.enqueue(conversationId, body);
    setText('');
    ref.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const onChange = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_SENT_EVERY_MS) {
      lastTyping.current = now;
      channel.current?.typing();
    }
  };
  return (
    <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <ErrorText message={error} />
      <label htmlFor="composer-input" className="sr-only">Message</label>
      <textarea
        id="composer-input"
        ref={ref}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        placeholder="Write a message"
        rows={1}
        autoFocus={window.matchMedia?.('(min-width: 701px)').matches}
      />
      <button className="primary" type="submit" disabled={!text.trim()}>Send</button>
    </form>
  );
}

// The chat screen: the conversation (fetched when the list does not have it yet), its header, messages,
// who is typing, and the composer. The data lives in useConversationMessages; the parts in web/src/chat/.
import type { Conversation, OutboxEntry, User } from '@famichat/client';
import { ApiError } from '@famichat/client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { DropOverlay, useDropZone } from '../chat/attach/DropZone';
import { ChatHeader } from '../chat/ChatHeader';
import { GroupDetails } from '../chat/GroupDetails';
import { Composer } from '../chat/Composer';
import { MessageList } from '../chat/MessageList';
import { NotAvailableOffline, OfflineNote, RemovedChat } from '../chat/RemovedChat';
import { useFamilyNotices } from '../chat/SystemNotice';
import { useConversationMessages } from '../chat/useConversationMessages';
import { ErrorText } from '../components/ui';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';

/** The chat of conversation `conversationId`, or a loading or error state until it is known. */
export function ChatView({ conversationId }: { conversationId: string }) {
  const conversation = useApp((s) => s.conversations.find((c) => c.id === conversationId));
  const me = useApp((s) => s.me);
  const allPending = useApp((s) => s.outbox);
  const status = useApp((s) => s.status);
  const online = useApp((s) => s.online);
  const removedTitle = useApp((s) => s.removed[conversationId]);
  const [missing, setMissing] = useState<string>();
  // The same array while the outbox is unchanged, so the timeline is not rebuilt for unrelated updates.
  const pending = useMemo(() => allPending.filter((e) => e.conversationId === conversationId), [allPending, conversationId]);

  useEffect(() => {
    if (conversation || removedTitle !== undefined) return;
    store.api
      .conversation(conversationId)
      .then((c) => store.upsertConversation(c))
      .catch((e: unknown) => setMissing(e instanceof ApiError && e.code === 'network' ? 'offline' : errorMessage(e)));
  }, [conversation, conversationId, removedTitle]);

  if (removedTitle !== undefined) return <RemovedChat title={removedTitle} />;
  if (missing === 'offline') return <NotAvailableOffline />;

  if (!conversation || !me) {
    return (
      <section className="chat">
        <ChatHeader title="Conversation" />
        {missing ? <ErrorText message={missing} /> : <p className="loading" role="status">Loading…</p>}
      </section>
    );
  }
  // Keyed: the chat's state belongs to one conversation and starts afresh for another.
  return <Chat key={conversation.id} conversation={conversation} me={me} pending={pending} connected={status === 'open'} online={online} />;
}

function Chat({ conversation, me, pending, connected, online }: { conversation: Conversation; me: User; pending: OutboxEntry[]; connected: boolean; online: string[] }) {
  const chat = useConversationMessages(conversation, me.id, pending, connected);
  const notices = useFamilyNotices(conversation);
  const [details, setDetails] = useState(false);
  const names = useMemo(() => new Map(conversation.participants.map((p) => [p.id, p.display_name])), [conversation.participants]);
  const { seen } = chat;
  const seenNames = useMemo(() => (seen ? { messageId: seen.messageId, names: seen.userIds.map((uid) => names.get(uid) ?? 'Someone') } : undefined), [seen, names]);
  const other = conversation.type === 'direct' ? conversation.participants.find((p) => p.id !== me.id) : undefined;
  // The header's picture: the other person's in a direct chat, one's own in Notes, else the conversation's initials.
  const pictured = other ?? (conversation.type === 'self' ? me : undefined);
  const typingNames = chat.typingIds.map((uid) => names.get(uid) ?? 'Someone');
  // Files dropped anywhere on the chat go to the composer's tray.
  const attachRef = useRef<(files: File[]) => void>(undefined);
  const drop = useDropZone((files) => attachRef.current?.(files));
  const subtitle = other
    ? online.includes(other.id) ? 'online' : 'offline'
    : conversation.type === 'self'
      ? 'Only you can see these'
      : `${conversation.participants.length} members`;

  return (
    <section className="chat" aria-label={`Conversation: ${conversation.title}`} {...drop.handlers}>
      <DropOverlay over={drop.over} />
      <ChatHeader
        title={conversation.title}
        subtitle={subtitle}
        picture={{ id: pictured?.id ?? conversation.id, name: conversation.title, url: pictured?.avatar_url }}
        mediaHref={`/c/${conversation.id}/media`}
        {...(conversation.type === 'group' ? { onOpenDetails: () => setDetails(true) } : {})}
      />
      {details ? <GroupDetails conversation={conversation} me={me} onClose={() => setDetails(false)} /> : null}
      {chat.unavailable ? <OfflineNote /> : null}
      <MessageList
        notices={notices}
        items={chat.items}
        viewerId={me.id}
        multi={conversation.type === 'family' || conversation.type === 'group'}
        names={names}
        participants={conversation.participants}
        seen={seenNames}
        loaded={chat.loaded}
        hasMore={chat.hasMore}
        hasMessages={chat.messages.length > 0}
        loadingOlder={chat.loadingOlder}
        loadOlder={chat.loadOlder}
        onChanged={chat.changed}
      />
      <div className="typing" aria-live="polite">
        {typingNames.length > 0 ? `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…` : ''}
      </div>
      <ErrorText message={chat.error} />
      <Composer conversationId={conversation.id} onTyping={chat.sendTyping} attachRef={attachRef} />
    </section>
  );
}

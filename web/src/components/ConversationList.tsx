import type { Conversation } from '@famichat/client';
import { useState } from 'react';
import { navigate } from '../router';
import { store, useApp } from '../state/app';
import { errorMessage, shortTime } from '../state/logic';
import { messageSummary } from '../chat/text';
import { Avatar } from './Avatar';
import { ErrorText } from './ui';

const KIND: Record<Conversation['type'], string> = { family: 'Family', direct: 'Direct', group: 'Group', self: 'Notes' };

export function ConversationList({ activeId }: { activeId: string | undefined }) {
  const conversations = useApp((s) => s.conversations);
  const online = useApp((s) => s.online);
  const me = useApp((s) => s.me);
  const families = useApp((s) => s.families);
  const [error, setError] = useState<string>();

  const openNotes = async () => {
    try {
      const notes = await store.api.createSelf();
      store.upsertConversation(notes);
      navigate(`/c/${notes.id}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const members = families.flatMap((f) => f.members).filter((m) => m.user.id !== me?.id);
  const onlineMembers = [...new Map(members.filter((m) => online.includes(m.user.id)).map((m) => [m.user.id, m.user])).values()];

  return (
    <div className="conversation-list">
      <div className="list-actions">
        <button className="primary" onClick={() => navigate('/new')}>New chat</button>
        <button onClick={() => void openNotes()}>Notes</button>
      </div>
      <ErrorText message={error} />
      <p className="online-now" aria-live="polite">
        {onlineMembers.length === 0 ? 'Nobody else is online' : `Online: ${onlineMembers.map((u) => u.display_name).join(', ')}`}
      </p>
      <ul aria-label="Conversations, most recent first">
        {conversations.map((c) => {
          const other = c.type === 'direct' ? c.participants.find((p) => p.id !== me?.id) : undefined;
          // A direct chat shows the other person's picture, Notes one's own; families and groups their initials.
          const pictured = other ?? (c.type === 'self' ? c.participants[0] : undefined);
          const preview = c.last_message
            ? c.last_message.deleted_at
              ? 'Message deleted'
              : `${c.last_message.sender_id === me?.id ? 'You: ' : c.type !== 'direct' && c.type !== 'self' ? `${c.participants.find((p) => p.id === c.last_message?.sender_id)?.display_name ?? ''}: ` : ''}${messageSummary(c.last_message)}`
            : 'No messages yet';
          const time = c.last_message_at ?? c.created_at;
          return (
            <li key={c.id}>
              <a
                href={`/c/${c.id}`}
                className={`conversation${c.id === activeId ? ' active' : ''}${c.unread_count > 0 ? ' unread' : ''}`}
                aria-current={c.id === activeId ? 'page' : undefined}
                data-conversation-id={c.id}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/c/${c.id}`);
                }}
              >
                <Avatar id={pictured?.id ?? c.id} name={c.title} url={pictured?.avatar_url} online={other ? online.includes(other.id) : false} />
                <span className="conversation-text">
                  <span className="conversation-top">
                    <span className="title">{c.title}</span>
                    <time dateTime={time}>{shortTime(time)}</time>
                  </span>
                  <span className="conversation-bottom">
                    <span className="preview">
                      <span className="sr-only">{KIND[c.type]}. </span>
                      {preview}
                    </span>
                    {c.unread_count > 0 ? (
                      <span className="badge" aria-label={`${c.unread_count} unread`}>{c.unread_count > 99 ? '99+' : c.unread_count}</span>
                    ) : null}
                  </span>
                </span>
              </a>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

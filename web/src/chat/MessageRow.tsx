// A stored message: its bubble (text, or deleted), time and state, "Seen by", and for the viewer's own
// messages the options menu to edit or delete it.
import type { Message } from '@famichat/client';
import { memo, useState } from 'react';
import { ErrorText } from '../components/ui';
import { store } from '../state/app';
import { errorMessage } from '../state/logic';
import { MessageText } from './MessageText';

/** What a message row shows. */
export interface MessageRowProps {
  message: Message;
  /** The viewer wrote it (so it can be edited or deleted). */
  mine: boolean;
  /** The author's name above the bubble, or undefined to leave it out. */
  senderName: string | undefined;
  /** Who has seen it (only the viewer's latest message lists anyone). */
  seenBy: readonly string[];
  /** An edit or delete made here succeeded. */
  onChanged: (message: Message) => void;
}

/** One message (memoized: with stable props, a list re-render for someone typing leaves it alone). */
export const MessageRow = memo(function MessageRow({ message, mine, senderName, seenBy, onChanged }: MessageRowProps) {
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
          <span className="body"><MessageText body={message.body} /></span>
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
});

// A stored message: its bubble (text, emoji, or deleted), time and state, "Seen by", and for the viewer's own
// messages an options button beside the bubble that opens the menu to edit or delete it. Photos, videos, voice
// messages and files go inside the bubble above the caption; a deleted message shows none of them.
import type { Message } from '@famichat/client';
import type { KeyboardEvent } from 'react';
import { memo, useEffect, useRef, useState } from 'react';
import { Avatar } from '../components/Avatar';
import { ErrorText } from '../components/ui';
import { store, useApp } from '../state/app';
import { errorMessage } from '../state/logic';
import type { Mentionable } from './MessageText';
import { MessageAttachments } from './media/AttachmentGrid';
import { MessageText } from './MessageText';
import { fullTime, isEmojiOnly, messageSummary, messageTime, optionsLabel } from './text';

/** What a message row shows. */
export interface MessageRowProps {
  message: Message;
  /** The viewer wrote it (so it can be edited or deleted). */
  mine: boolean;
  /** The viewer's latest message: the only one that says "Sent". */
  latest: boolean;
  /** The author's name above the bubble, or undefined to leave it out. */
  senderName: string | undefined;
  /** Who has seen it (only the viewer's latest message lists anyone). */
  seenBy: readonly string[];
  /** Whose @mentions are highlighted. */
  mentionable: Mentionable | undefined;
  /** An edit or delete made here succeeded. */
  onChanged: (message: Message) => void;
}

/** One message (memoized: with stable props, a list re-render for someone typing leaves it alone). */
export const MessageRow = memo(function MessageRow({ message, mine, latest, senderName, seenBy, mentionable, onChanged }: MessageRowProps) {
  const [editing, setEditing] = useState(false);
  const [menu, setMenu] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const optionsRef = useRef<HTMLButtonElement>(null);
  // Set when the edit form or the menu closes, so focus goes back to the options button once it is rendered again.
  const refocus = useRef(false);
  const time = messageTime(message.inserted_at);
  const deleted = message.deleted_at !== null;
  // An older cached copy of a message may predate attachments.
  const attachments = deleted ? [] : (message.attachments ?? []);
  const emoji = !deleted && !editing && attachments.length === 0 && isEmojiOnly(message.body);
  // The author's picture goes beside their name, at the start of each run of their messages.
  const senderAvatar = useApp((s) =>
    senderName === undefined ? undefined : s.conversations.find((c) => c.id === message.conversation_id)?.participants.find((p) => p.id === message.sender_id)?.avatar_url,
  );

  useEffect(() => {
    if (!editing && refocus.current) {
      refocus.current = false;
      optionsRef.current?.focus();
    }
  }, [editing, menu]);

  const closeMenu = () => {
    refocus.current = true;
    setMenu(false);
    setConfirming(false);
  };
  const stopEditing = () => {
    refocus.current = true;
    setEditing(false);
    setError(undefined);
  };
  const saved = (updated: Message) => {
    stopEditing();
    onChanged(updated);
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
  const onMenuKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') closeMenu();
  };

  return (
    <div className={`row ${mine ? 'mine' : 'theirs'}`} data-seq={message.seq}>
      {senderName ? (
        <div className="sender">
          <Avatar id={message.sender_id} name={senderName} url={senderAvatar} size="small" />
          {senderName}
        </div>
      ) : null}
      <div className="bubble-line">
        <div className={`bubble${deleted ? ' deleted' : ''}${emoji ? ' emoji-only' : ''}${editing ? ' editing' : ''}${attachments.length > 0 ? ' has-media' : ''}`}>
          {attachments.length > 0 ? <MessageAttachments attachments={attachments} /> : null}
          {editing ? (
            <EditForm message={message} error={error} setError={setError} onSaved={saved} onCancel={stopEditing} />
          ) : deleted ? (
            <em>This message was deleted</em>
          ) : message.body ? (
            <span className="body"><MessageText body={message.body} mentionable={mentionable} /></span>
          ) : null}
          <span className="meta">
            {message.edited_at && !deleted ? 'edited · ' : ''}
            <time dateTime={message.inserted_at} title={fullTime(message.inserted_at)} tabIndex={-1}>
              <span className="time-short" aria-hidden="true">{time}</span>
              <span className="sr-only">{fullTime(message.inserted_at)}</span>
            </time>
            {mine && latest && !deleted ? <span className="state"> · Sent</span> : null}
          </span>
        </div>
        {mine && !deleted && !editing ? (
          <button
            ref={optionsRef}
            className="options-button"
            aria-expanded={menu}
            aria-label={optionsLabel(messageSummary(message), time)}
            onClick={() => { setMenu(!menu); setConfirming(false); }}
            onKeyDown={menu ? onMenuKey : undefined}
          >
            ⋯
          </button>
        ) : null}
      </div>
      {menu && !editing && !deleted ? (
        <div className="message-actions" onKeyDown={onMenuKey}>
          {confirming ? (
            <>
              <span>Delete this message?</span>
              <button className="danger" onClick={() => void remove()}>Delete</button>
              <button onClick={() => setConfirming(false)}>Keep</button>
            </>
          ) : (
            <>
              <button onClick={() => { setMenu(false); setEditing(true); }}>Edit</button>
              <button className="danger" onClick={() => setConfirming(true)}>Delete</button>
            </>
          )}
        </div>
      ) : null}
      {seenBy.length > 0 ? <div className="seen">Seen by {seenBy.join(', ')}</div> : null}
      {editing ? null : <ErrorText message={error} />}
    </div>
  );
});

/** The edit form inside the bubble: Enter saves (Shift+Enter for a new line), Escape cancels, errors show in the form. */
function EditForm({ message, error, setError, onSaved, onCancel }: {
  message: Message;
  error: string | undefined;
  setError: (error: string | undefined) => void;
  onSaved: (message: Message) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(message.body);
  const formRef = useRef<HTMLFormElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const errorId = `edit-error-${message.id}`;

  // The caret starts at the end of the text, where a correction usually goes.
  useEffect(() => {
    const input = inputRef.current;
    input?.setSelectionRange(input.value.length, input.value.length);
  }, []);

  // The form (and, once there, its error) is scrolled into view: a row near the bottom would hide it.
  useEffect(() => {
    formRef.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);

  const save = async () => {
    const body = draft.trim();
    // A caption may go: the photos stay. A message of text alone is deleted instead.
    if (!body && (message.attachments ?? []).length === 0) {
      setError('A message cannot be empty. To remove it, use Delete.');
      return;
    }
    try {
      onSaved(await store.api.editMessage(message.conversation_id, message.id, body));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onCancel();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void save();
    }
  };

  return (
    <form ref={formRef} onSubmit={(e) => { e.preventDefault(); void save(); }} className="edit-form">
      <label className="sr-only" htmlFor={`edit-${message.id}`}>Edit message</label>
      <textarea
        id={`edit-${message.id}`}
        ref={inputRef}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        autoFocus
        rows={3}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
      />
      {error ? <p className="error" role="alert" id={errorId}>{error}</p> : null}
      <div className="edit-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary">Save</button>
      </div>
    </form>
  );
}

// The scrolling message log: older pages on scroll-up (keeping the view still), day separators, sender names
// in group chats, and staying at the bottom as new messages arrive.
import type { Message, TimelineItem } from '@famichat/client';
import { Fragment, useLayoutEffect, useMemo, useRef } from 'react';
import { dayLabel } from '../state/logic';
import type { Notice } from './notices';
import { placeNotices } from './notices';
import { MessageRow } from './MessageRow';
import { PendingRow } from './PendingRow';
import { timelineRows } from './rows';
import { SystemNotice } from './SystemNotice';

const NOBODY: readonly string[] = [];
const NO_NOTICES: readonly Notice[] = [];

/** What the message list shows, and what it can ask for. */
export interface MessageListProps {
  items: TimelineItem[];
  viewerId: string;
  /** A family or group chat, where others' names go above their messages. */
  multi: boolean;
  /** Display names by user id. */
  names: ReadonlyMap<string, string>;
  /** The viewer's latest message and the names of who has seen it. */
  seen: { messageId: string; names: readonly string[] } | undefined;
  loaded: boolean;
  hasMore: boolean;
  /** Stored messages exist (pending sends alone do not make a beginning of history). */
  hasMessages: boolean;
  loadingOlder: boolean;
  loadOlder: (beforePrepend?: () => void) => Promise<void>;
  onChanged: (message: Message) => void;
  /** System notices ("Gran joined") shown among the messages. */
  notices?: readonly Notice[];
}

/** The log of messages and pending sends. */
export function MessageList({ items, viewerId, multi, names, seen, loaded, hasMore, hasMessages, loadingOlder, loadOlder, onChanged, notices = NO_NOTICES }: MessageListProps) {
  const listRef = useRef<HTMLDivElement>(null);
  const restoreFromBottom = useRef<number | undefined>(undefined);
  const stickToBottom = useRef(true);
  // Separators and name grouping once per change of the list, not per row on every render.
  const rows = useMemo(() => timelineRows(items, viewerId), [items, viewerId]);
  const placed = useMemo(() => placeNotices(rows, notices, hasMore), [rows, notices, hasMore]);

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
  }, [rows, placed]);

  const older = () =>
    loadOlder(() => {
      const list = listRef.current;
      if (list) restoreFromBottom.current = list.scrollHeight - list.scrollTop;
    });
  const onScroll = () => {
    const list = listRef.current;
    if (!list) return;
    stickToBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    if (list.scrollTop < 120) void older();
  };

  return (
    <div className="messages" ref={listRef} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" tabIndex={0}>
      {hasMore ? (
        <div className="older">
          <button onClick={() => void older()} disabled={loadingOlder}>{loadingOlder ? 'Loading…' : 'Load older messages'}</button>
        </div>
      ) : loaded && hasMessages ? (
        <p className="start-of-history">This is the beginning of the conversation.</p>
      ) : null}
      {loaded && items.length === 0 ? <p className="muted empty">No messages yet. Say hello!</p> : null}
      {rows.map(({ item, at, senderId, newDay, continues }) => (
        <Fragment key={item.key}>
          {newDay ? (
            <div className="day" role="separator">
              <span>{dayLabel(at)}</span>
            </div>
          ) : null}
          {placed.before.get(item.key)?.map((n) => <SystemNotice key={n.key} notice={n} />)}
          {item.kind === 'message' ? (
            <MessageRow
              message={item.message}
              mine={senderId === viewerId}
              senderName={multi && senderId !== viewerId && !continues ? (names.get(senderId) ?? 'Former member') : undefined}
              seenBy={seen?.messageId === item.message.id ? seen.names : NOBODY}
              onChanged={onChanged}
            />
          ) : (
            <PendingRow entry={item.entry} />
          )}
        </Fragment>
      ))}
      {placed.after.map((n) => <SystemNotice key={n.key} notice={n} />)}
    </div>
  );
}

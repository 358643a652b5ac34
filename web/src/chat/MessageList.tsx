// The scrolling message log: older pages on scroll-up (keeping the view still), day separators, sender names
// in group chats, staying at the bottom as new messages arrive, and a "↓ N new messages" pill when scrolled up.
import type { Message, TimelineItem, User } from '@famichat/client';
import { Fragment, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { dayLabel } from '../state/logic';
import type { Notice } from './notices';
import { placeNotices } from './notices';
import { MessageRow } from './MessageRow';
import type { Mentionable } from './MessageText';
import { PendingRow } from './PendingRow';
import type { TimelineRow } from './rows';
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
  /** Who can be @mentioned. */
  participants: readonly Pick<User, 'id' | 'username'>[];
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

/** The latest seq among `rows` (0 for none). */
function latestSeqOf(rows: readonly TimelineRow[]): number {
  for (let i = rows.length - 1; i >= 0; i--) {
    const item = rows[i]?.item;
    if (item?.kind === 'message') return item.message.seq;
  }
  return 0;
}

/** How many messages of others, not deleted, came after seq `after`. */
function arrivedAfter(rows: readonly TimelineRow[], after: number, viewerId: string): number {
  let count = 0;
  for (const { item, senderId } of rows) {
    if (item.kind === 'message' && item.message.seq > after && senderId !== viewerId && !item.message.deleted_at) count++;
  }
  return count;
}

/** The log of messages and pending sends. */
export function MessageList({ items, viewerId, multi, names, participants, seen, loaded, hasMore, hasMessages, loadingOlder, loadOlder, onChanged, notices = NO_NOTICES }: MessageListProps) {
  const listRef = useRef<HTMLDivElement>(null);
  const restoreFromBottom = useRef<number | undefined>(undefined);
  const stickToBottom = useRef(true);
  // The newest pending send already scrolled to, so only a new one of the viewer's scrolls down.
  const lastPending = useRef<string | undefined>(undefined);
  // The latest seq when the viewer scrolled away from the bottom; undefined while at the bottom.
  const [awaySince, setAwaySince] = useState<number>();
  // Separators and name grouping once per change of the list, not per row on every render.
  const rows = useMemo(() => timelineRows(items, viewerId), [items, viewerId]);
  const arrived = useMemo(() => (awaySince === undefined ? 0 : arrivedAfter(rows, awaySince, viewerId)), [rows, awaySince, viewerId]);
  const mentionable = useMemo<Mentionable>(
    () => ({ usernames: new Set(participants.map((p) => p.username.toLowerCase())), viewer: participants.find((p) => p.id === viewerId)?.username.toLowerCase() ?? '' }),
    [participants, viewerId],
  );
  const placed = useMemo(() => placeNotices(rows, notices, hasMore), [rows, notices, hasMore]);

  // Scrolling: stay at the bottom for new messages and the viewer's sends, keep the view still when older ones are prepended.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const last = rows[rows.length - 1]?.item;
    const pending = last?.kind === 'pending' ? last.key : undefined;
    const sent = pending !== undefined && pending !== lastPending.current;
    lastPending.current = pending;
    if (restoreFromBottom.current !== undefined) {
      list.scrollTop = list.scrollHeight - restoreFromBottom.current;
      restoreFromBottom.current = undefined;
    } else if (stickToBottom.current || sent) {
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
    const bottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    stickToBottom.current = bottom;
    if (bottom) setAwaySince(undefined);
    else if (awaySince === undefined) setAwaySince(latestSeqOf(rows));
    if (list.scrollTop < 120) void older();
  };
  const toBottom = () => {
    const list = listRef.current;
    if (!list) return;
    list.scrollTop = list.scrollHeight;
    setAwaySince(undefined);
    // The pill goes away, so focus goes to the log rather than to nowhere.
    list.focus();
  };

  return (
    <div className="messages-frame">
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
                latest={seen?.messageId === item.message.id}
                senderName={multi && senderId !== viewerId && !continues ? (names.get(senderId) ?? 'Former member') : undefined}
                seenBy={seen?.messageId === item.message.id ? seen.names : NOBODY}
                mentionable={mentionable}
                onChanged={onChanged}
              />
            ) : (
              <PendingRow entry={item.entry} />
            )}
          </Fragment>
        ))}
        {placed.after.map((n) => <SystemNotice key={n.key} notice={n} />)}
      </div>
      {arrived > 0 ? (
        <button className="new-messages" onClick={toBottom}>
          <span aria-hidden="true">↓ </span>{arrived} new {arrived === 1 ? 'message' : 'messages'}
        </button>
      ) : null}
    </div>
  );
}

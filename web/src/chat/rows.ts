// Pure layout of a chat timeline (unit-tested): where day separators go and which rows repeat the sender's name.
import type { TimelineItem } from '@famichat/client';
import { dayKey } from '../state/logic';

/** One row of the chat as laid out: its item, when and by whom it was written, and what goes before it. */
export interface TimelineRow {
  item: TimelineItem;
  /** ISO time: the message's `inserted_at`, or when a pending send was queued. */
  at: string;
  /** The author (a pending send is the viewer's own). */
  senderId: string;
  /** A day separator goes before this row: the first row, or the first of a new local day. */
  newDay: boolean;
  /** Same author as the row before on the same day, so the name is not repeated. */
  continues: boolean;
}

/** Lays out a timeline in one pass (one `dayKey` per row), for a `useMemo` on the item list. */
export function timelineRows(items: readonly TimelineItem[], viewerId: string): TimelineRow[] {
  let previousDay: string | undefined;
  let previousSender: string | undefined;
  return items.map((item) => {
    const at = item.kind === 'message' ? item.message.inserted_at : item.entry.createdAt;
    const senderId = item.kind === 'message' ? item.message.sender_id : viewerId;
    const day = dayKey(at);
    const newDay = day !== previousDay;
    const continues = !newDay && senderId === previousSender;
    previousDay = day;
    previousSender = senderId;
    return { item, at, senderId, newDay, continues };
  });
}

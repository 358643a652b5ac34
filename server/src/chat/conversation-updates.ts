/**
 * Announcing conversation changes on the bus: one {@link announce} for every kind of change (created,
 * updated, a send, a read, someone leaving), each built from what the change's own statement returned where
 * it can, and the node's cached conversation shapes.
 * @module
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { publish } from '../bus/bus.js';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { toUser } from '../user-view.js';
import type { ConversationType } from './access.js';
import type { ConversationShape } from './shape-cache.js';
import { titleOf } from './conversation-views.js';
import type { MessageRow } from './message-view.js';
import { MESSAGE_COLUMNS_OF_M, toMessage } from './message-view.js';
import { ACCESS_REVOKED_TOPIC, CONVERSATION_UPDATES_TOPIC, userTopic } from './topics.js';
import type { ConversationView, MessageView } from '../contract/objects.js';

/** What each viewer sees differently in a conversation. */
export interface ViewerState {
  unread_count: number;
  hidden: boolean;
  title: string;
}

/** One conversation change for its participants: the shared view plus each viewer's own state. */
export interface ConversationUpdate {
  event: 'conversation_created' | 'conversation_updated';
  conversation: ConversationView;
  viewers: Record<string, ViewerState>;
}

/** The conversation as `userId` sees it, from a {@link ConversationUpdate}. */
export function viewFor(update: ConversationUpdate, userId: string): ConversationView | undefined {
  const viewer = update.viewers[userId];
  return viewer ? { ...update.conversation, ...viewer } : undefined;
}

/** Each participant's own state, in conversation order: `[user_id, last_read_seq, hidden]`. */
export type ViewerRow = [userId: string, lastReadSeq: number, hidden: boolean];

/** SQL for a JSON array of the {@link ViewerRow}s of conversation `conversationId` (an id, or SQL naming one; a send returns the same). */
function viewersSql(conversationId: string | SQL): SQL {
  return sql`(SELECT json_agg(json_build_array(q.user_id, q.last_read_seq, q.hidden) ORDER BY q.joined_at, q.user_id)
    FROM participants q WHERE q.conversation_id = ${conversationId})`;
}

/** The columns of a conversation's shape (see {@link ConversationShape}), read from `conversations c`. */
const SHAPE_COLUMNS = sql`c.type, c.title, c.family_id, (SELECT name FROM families WHERE id = c.family_id) AS family_name,
  c.created_at, (SELECT json_agg(json_build_array(u.id, u.username, u.display_name, u.created_at, u.avatar_upload_id) ORDER BY p.joined_at, u.id)
    FROM participants p JOIN users u ON u.id = p.user_id WHERE p.conversation_id = c.id) AS people`;

interface ShapeRow {
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  created_at: string;
  people: [id: string, username: string, display_name: string, created_at: string, avatar_upload_id: string | null][] | null;
}

function toShape(row: ShapeRow): ConversationShape {
  return {
    type: row.type,
    title: row.title,
    family_id: row.family_id,
    family_name: row.family_name,
    created_at: new Date(row.created_at).toISOString(),
    participants: (row.people ?? []).map(([id, username, display_name, created, avatar_upload_id]) =>
      toUser({ id, username, display_name, created_at: new Date(created), avatar_upload_id }),
    ),
  };
}

/** The shape of a conversation whose participants are those of `viewers`: from this node's cache, else read (and cached). */
async function shapeFor(deps: Deps, conversationId: string, viewers: readonly ViewerRow[]): Promise<ConversationShape | undefined> {
  const cached = deps.shapes.get(conversationId, viewers);
  if (cached) return cached;
  const row = await firstRow<ShapeRow>(deps.db, sql`SELECT ${SHAPE_COLUMNS} FROM conversations c WHERE c.id = ${conversationId}`, 'conversation_shape');
  if (!row) return undefined;
  const shape = toShape(row);
  deps.shapes.remember(conversationId, shape);
  return shape;
}

/** The latest state a conversation update describes. */
export interface LatestState {
  lastSeq: number;
  lastMessage: MessageView | null;
  lastMessageAt: string | null;
  /**
   * Set when the viewer rows were read inside this sender's send, before its own writes: their cursor
   * is at the new message, and nobody's conversation is hidden any more.
   */
  senderId?: string;
}

/**
 * Builds the update of a conversation for its participants (or only `onlyUserIds`).
 * @returns undefined when nobody is left to tell.
 */
export function buildUpdate(
  event: ConversationUpdate['event'],
  conversationId: string,
  shape: ConversationShape,
  viewerRows: ViewerRow[],
  latest: LatestState,
  onlyUserIds?: string[],
): ConversationUpdate | undefined {
  // Runs once per message for every participant (200 in a big family): no per-viewer work it can share.
  const viewers: Record<string, ViewerState> = {};
  // Every participant's cursor, whoever the update goes to.
  const readUpTo: Record<string, number> = {};
  // Only a direct conversation's title depends on who looks at it.
  const sharedTitle = shape.type === 'direct' ? undefined : titleOf(shape, shape.participants, '');
  const { participants } = shape;
  let first: ViewerState | undefined;
  for (let i = 0; i < viewerRows.length; i++) {
    const [rowId, lastRead, hidden] = viewerRows[i]!;
    // The shape's id string (the same text, in the same order) is a key V8 has already hashed, unlike the row's fresh one.
    const id = participants[i]?.id === rowId ? participants[i]!.id : rowId;
    const read = id === latest.senderId ? Math.max(lastRead, latest.lastSeq) : lastRead;
    readUpTo[id] = read;
    if (onlyUserIds && !onlyUserIds.includes(id)) continue;
    const viewer: ViewerState = {
      unread_count: Math.max(0, latest.lastSeq - read),
      hidden: latest.senderId === undefined ? hidden : false,
      title: sharedTitle ?? titleOf(shape, participants, id),
    };
    viewers[id] = viewer;
    first ??= viewer;
  }
  if (first === undefined) return undefined;
  const conversation: ConversationView = {
    id: conversationId,
    type: shape.type,
    title: first.title,
    family_id: shape.family_id,
    participants,
    latest_message_seq: latest.lastSeq,
    last_message: latest.lastMessage,
    last_message_at: latest.lastMessageAt,
    unread_count: first.unread_count,
    hidden: first.hidden,
    created_at: shape.created_at,
    read_up_to: readUpTo,
  };
  return { event, conversation, viewers };
}


/** What a read-cursor move returns, for a `read` change: the reader's row, the conversation's, its last message. */
export interface ReadRow extends Partial<MessageRow> {
  read_seq: number;
  last_seq: number;
  last_message_at: string | null;
  /** Every participant's state as read before the move (the reader's cursor is `read_seq` after it), in conversation order. */
  viewers: ViewerRow[];
  /** The senders of the messages the move newly covers (null when it moved nothing). */
  senders: string[] | null;
}

/**
 * SQL for the {@link ReadRow} columns, in the RETURNING of an update of `participants p` from `participants o`
 * (the same row, as it was before the update), `conversations c` and `messages m` (its last message).
 */
export const READ_ROW_COLUMNS = sql`p.last_read_seq AS read_seq, c.last_seq, c.last_message_at, ${viewersSql(sql`c.id`)} AS viewers,
  (SELECT array_agg(DISTINCT s.sender_id) FROM messages s
   WHERE s.conversation_id = c.id AND s.seq > o.last_read_seq AND s.seq <= p.last_read_seq) AS senders,
  ${MESSAGE_COLUMNS_OF_M}`;


/** The latest state from a conversation row joined with its last message's columns (all null when it has none). */
function latestOf(row: Partial<MessageRow> & { last_seq: number; last_message_at: string | null }): LatestState {
  return {
    lastSeq: row.last_seq,
    lastMessage: row.id ? toMessage(row as MessageRow) : null,
    lastMessageAt: row.last_message_at ? new Date(row.last_message_at).toISOString() : null,
  };
}

async function publishUpdate(deps: Deps, update: ConversationUpdate | undefined): Promise<void> {
  if (update) {
    await publish(deps.bus, { topic: CONVERSATION_UPDATES_TOPIC, event: update.event, payload: update });
  }
}

/**
 * Publishes one event describing a conversation for all its participants (or only `onlyUserIds`):
 * one query, read fresh (which refreshes this node's cached shape), and one bus message.
 */
async function publishFresh(
  deps: Deps,
  conversationId: string,
  event: ConversationUpdate['event'],
  onlyUserIds?: string[],
): Promise<void> {
  const row = await firstRow<ShapeRow & Partial<MessageRow> & { viewers: ViewerRow[] | null; last_seq: number; last_message_at: string | null }>(
    deps.db,
    sql`SELECT ${SHAPE_COLUMNS}, ${viewersSql(conversationId)} AS viewers, c.last_seq, c.last_message_at, ${MESSAGE_COLUMNS_OF_M}
        FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
        WHERE c.id = ${conversationId}`,
    'conversation_update',
  );
  if (!row) return;
  const shape = toShape(row);
  deps.shapes.remember(conversationId, shape);
  await publishUpdate(deps, buildUpdate(event, conversationId, shape, row.viewers ?? [], latestOf(row), onlyUserIds));
}

/** A change to announce to a conversation's participants (see {@link announce}). */
export type ConversationChange =
  /** The conversation now exists for `userIds` (created, or they were added): `conversation_created`, read fresh. */
  | { change: 'created'; conversationId: string; userIds: string[] }
  /** Its title, participants or names changed: every participant's `conversation_updated`, read fresh. */
  | { change: 'updated'; conversationId: string }
  /** A message was stored: the update comes from the send statement's viewer rows (no query when the shape is cached). */
  | { change: 'sent'; message: MessageView; viewers: ViewerRow[] }
  /**
   * `userId`'s read cursor moved: the reader (their unread count) and the senders of the messages the read newly
   * covers (their "seen by") are told, from the read statement's own row. The others get the new cursor with
   * their next update (and a `read` event in an open chat): two deliveries, not one per participant.
   */
  | { change: 'read'; conversationId: string; userId: string; row: ReadRow }
  /** `userId` left: their channel for it closes at once, and their user topic gets `conversation_removed`. */
  | { change: 'left'; conversationId: string; userId: string };

type Announcers = { [K in ConversationChange['change']]: (deps: Deps, change: Extract<ConversationChange, { change: K }>) => Promise<void> };

/** How each kind of change is announced. */
const ANNOUNCERS: Announcers = {
  created: (deps, { conversationId, userIds }) => publishFresh(deps, conversationId, 'conversation_created', userIds),
  updated: (deps, { conversationId }) => publishFresh(deps, conversationId, 'conversation_updated'),
  async sent(deps, { message, viewers }) {
    const shape = await shapeFor(deps, message.conversation_id, viewers);
    if (!shape) return;
    const latest = { lastSeq: message.seq, lastMessage: message, lastMessageAt: message.inserted_at, senderId: message.sender_id };
    await publishUpdate(deps, buildUpdate('conversation_updated', message.conversation_id, shape, viewers, latest));
  },
  async read(deps, { conversationId, userId, row }) {
    const viewers = row.viewers.map(([id, read, hidden]): ViewerRow => [id, id === userId ? row.read_seq : read, hidden]);
    const shape = await shapeFor(deps, conversationId, viewers);
    if (!shape) return;
    // The reader and the senders read, not everyone: others' "seen by" did not change (docs/realtime.md).
    const told = [userId, ...(row.senders ?? [])];
    await publishUpdate(deps, buildUpdate('conversation_updated', conversationId, shape, viewers, latestOf(row), told));
  },
  async left(deps, { conversationId, userId }) {
    await publish(deps.bus, {
      topic: ACCESS_REVOKED_TOPIC,
      event: 'conversation_access_revoked',
      payload: { user_id: userId, conversation_id: conversationId },
    });
    // Their conversation list drops it live too.
    await publish(deps.bus, { topic: userTopic(userId), event: 'conversation_removed', payload: { conversation_id: conversationId } });
  },
};

/** Announces a change to a conversation's participants on the bus: the one way every module does it. */
export function announce(deps: Deps, change: ConversationChange): Promise<void> {
  return (ANNOUNCERS[change.change] as (deps: Deps, change: ConversationChange) => Promise<void>)(deps, change);
}

/**
 * Conversations: direct (one per pair of users who share a family), notes-to-self, groups inside a
 * family, and the family conversation; their per-caller views, listing, hiding and group management.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { UserView } from '../user-view.js';
import { toUser } from '../user-view.js';
import type { Executor } from '../db/connect.js';
import { firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, notFound, validationFailed } from '../errors.js';
import { withSpan } from '../telemetry/tracing.js';
import type { ConversationType } from './access.js';
import { ACCESS_REVOKED_TOPIC, isParticipant, requireParticipant, requirePermission, shareFamily } from './access.js';
import type { ConversationShape } from './conversation-shapes.js';
import { cachedShape, forgetShapes, rememberShape } from './conversation-shapes.js';
import type { MessageRow, MessageView } from './message-view.js';
import { MESSAGE_COLUMNS_OF_M, MESSAGE_COLUMNS_PREFIXED, toMessage } from './message-view.js';

/** A conversation as one participant sees it. */
export interface ConversationView {
  id: string;
  type: ConversationType;
  title: string;
  family_id: string | null;
  participants: UserView[];
  latest_message_seq: number;
  last_message: MessageView | null;
  last_message_at: string | null;
  unread_count: number;
  hidden: boolean;
  created_at: string;
  /** Each current participant's read cursor, by user id ("seen by" survives a reload). */
  read_up_to: Record<string, number>;
}

/** The bus topic of a conversation's messages (the Phoenix topic clients join). */
export const messageTopic = (type: ConversationType, conversationId: string) => `message:${type}:${conversationId}`;

/** The bus topic of a user's own events. */
export const userTopic = (userId: string) => `user:${userId}`;

interface ConversationRow {
  id: string;
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  last_seq: number;
  last_message_at: Date | null;
  created_at: Date;
  last_read_seq: number;
  hidden: boolean;
  viewer_id: string;
}

/** A conversation row with its last message joined in as `m_*` columns (all null when there is none). */
type ConversationWithLast = ConversationRow & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null };

/** The conversations `viewerId` participates in, each with its last message (add a WHERE to narrow them). */
function conversationsOf(viewerId: string): SQL {
  return sql`
  SELECT c.id, c.type, c.title, c.family_id, f.name AS family_name, c.last_seq, c.last_message_at, c.created_at,
         p.last_read_seq, p.hidden, p.user_id AS viewer_id, ${MESSAGE_COLUMNS_PREFIXED}
  FROM participants p
  JOIN conversations c ON ${isParticipant('p', sql`c.id`, viewerId)}
  LEFT JOIN families f ON f.id = c.family_id
  LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`;
}

/** Builds the views of `list` (each row as its viewer sees it), loading every participant in one query (no N+1). */
async function toViews(
  ex: Executor,
  list: ConversationWithLast[],
): Promise<ConversationView[]> {
  if (list.length === 0) return [];
  const ids = `{${list.map((c) => c.id).join(',')}}`;
  // The participants' cursors come with their profiles: read_up_to costs no extra query.
  const people = await rows<{ conversation_id: string; id: string; username: string; display_name: string; created_at: Date; last_read_seq: number }>(
    ex,
    sql`SELECT p.conversation_id, u.id, u.username, u.display_name, u.created_at, p.last_read_seq
        FROM participants p JOIN users u ON u.id = p.user_id
        WHERE p.conversation_id = ANY(${ids}::uuid[]) ORDER BY p.joined_at, u.id`,
  );
  const byConversation = new Map<string, { participants: UserView[]; readUpTo: Record<string, number> }>();
  for (const person of people) {
    let members = byConversation.get(person.conversation_id);
    if (!members) byConversation.set(person.conversation_id, (members = { participants: [], readUpTo: {} }));
    members.participants.push(toUser(person));
    members.readUpTo[person.id] = person.last_read_seq;
  }
  return list.map((c) => {
    const { participants, readUpTo } = byConversation.get(c.id) ?? { participants: [], readUpTo: {} };
    const message = c.m_id ? toMessage(unprefix(c)) : null;
    return {
      id: c.id,
      type: c.type,
      title: titleOf(c, participants, c.viewer_id),
      family_id: c.family_id,
      participants,
      latest_message_seq: c.last_seq,
      last_message: message,
      last_message_at: c.last_message_at ? new Date(c.last_message_at).toISOString() : null,
      unread_count: Math.max(0, c.last_seq - c.last_read_seq),
      hidden: c.hidden,
      created_at: new Date(c.created_at).toISOString(),
      read_up_to: readUpTo,
    };
  });
}

function unprefix(row: ConversationWithLast): MessageRow {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith('m_')) out[key.slice(2)] = value;
  return out as unknown as MessageRow;
}

function titleOf(c: Pick<ConversationShape, 'type' | 'title' | 'family_name'>, participants: UserView[], userId: string): string {
  switch (c.type) {
    case 'self':
      return 'Notes';
    case 'family':
      return c.family_name ?? '';
    case 'group':
      return c.title ?? '';
    case 'direct':
      return participants.find((p) => p.id !== userId)?.display_name ?? participants[0]?.display_name ?? '';
  }
}

/**
 * One conversation as `userId` sees it.
 * @throws {AppError} `not_found` when the caller is not a participant.
 */
export async function getConversation(ex: Executor, userId: string, conversationId: string): Promise<ConversationView> {
  const list = await rows<ConversationWithLast>(ex, sql`${conversationsOf(userId)} WHERE c.id = ${conversationId}`);
  const [view] = await toViews(ex, list);
  if (!view) throw notFound('conversation');
  return view;
}

/** The caller's conversations, most recent activity first; hidden ones only when asked. */
export async function listConversations(
  deps: Deps,
  userId: string,
  includeHidden = false,
): Promise<ConversationView[]> {
  return withSpan('chat.list_conversations', { 'famichat.user_id': userId }, async (span) => {
    const list = await rows<ConversationWithLast>(
      deps.db,
      sql`${conversationsOf(userId)} WHERE (${includeHidden} OR NOT p.hidden)
          ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id`,
    );
    span.setAttribute('famichat.count', list.length);
    return toViews(deps.db, list);
  });
}

/** A conversation and whether this call created it. */
export interface Created {
  conversation: ConversationView;
  created: boolean;
}

/**
 * Returns the one direct conversation between the caller and `participantId`, creating it if needed.
 * Order-insensitive and safe under concurrency (unique pair key, INSERT ... ON CONFLICT).
 * @throws {AppError} `validation_failed` for oneself, `not_found` for an unknown user,
 *   `no_shared_family` when the two share no family (nothing is created).
 */
export async function createDirectConversation(deps: Deps, userId: string, participantId: string): Promise<Created> {
  return withSpan(
    'chat.create_direct_conversation',
    { 'famichat.user_id': userId, 'famichat.participant_id': participantId },
    async (span) => {
      if (participantId === userId) {
        throw validationFailed({ participant_id: 'must be someone else (use type "self" for notes)' });
      }
      const other = await firstRow<{ id: string }>(deps.db, sql`SELECT id FROM users WHERE id = ${participantId}`);
      if (!other) throw notFound('user');
      if (!(await shareFamily(deps.db, userId, participantId))) {
        throw new AppError('no_shared_family', 'You can only talk directly with people in one of your families.');
      }
      const key = `direct:${[userId, participantId].sort().join(':')}`;
      const result = await createUnique(deps, key, 'direct', [userId, participantId], userId);
      span.setAttributes({ 'famichat.conversation_id': result.conversation.id, 'famichat.created': result.created });
      return result;
    },
  );
}

/** Returns the caller's notes-to-self conversation, creating it on first use. */
export async function getOrCreateSelfConversation(deps: Deps, userId: string): Promise<Created> {
  return createUnique(deps, `self:${userId}`, 'self', [userId], userId);
}

async function createUnique(
  deps: Deps,
  key: string,
  type: 'direct' | 'self',
  members: string[],
  userId: string,
): Promise<Created> {
  const created = await deps.db.transaction(async (tx) => {
    const row = await firstRow<{ id: string }>(
      tx,
      sql`INSERT INTO conversations (id, type, unique_key) VALUES (${randomUUID()}, ${type}, ${key})
          ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
    );
    if (row) await addParticipants(tx, row.id, members, 'member');
    return row !== undefined;
  });
  const existing = await firstRow<{ id: string }>(deps.db, sql`SELECT id FROM conversations WHERE unique_key = ${key}`);
  const conversation = await getConversation(deps.db, userId, existing!.id);
  if (created) await announceCreated(deps, conversation.id, members);
  return { conversation, created };
}

/** Inserts participants (ignoring ones already there). */
export async function addParticipants(
  ex: Executor,
  conversationId: string,
  userIds: string[],
  role: 'admin' | 'member',
): Promise<void> {
  for (const id of userIds) {
    await ex.execute(sql`INSERT INTO participants (conversation_id, user_id, role) VALUES (${conversationId}, ${id}, ${role})
      ON CONFLICT DO NOTHING`);
  }
}

/** The bus topic carrying every conversation_created / conversation_updated, once per change (not per user). */
export const CONVERSATION_UPDATES_TOPIC = 'conversation-updates';

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
  c.created_at, (SELECT json_agg(json_build_array(u.id, u.username, u.display_name, u.created_at) ORDER BY p.joined_at, u.id)
    FROM participants p JOIN users u ON u.id = p.user_id WHERE p.conversation_id = c.id) AS people`;

interface ShapeRow {
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  created_at: string;
  people: [id: string, username: string, display_name: string, created_at: string][] | null;
}

function toShape(row: ShapeRow): ConversationShape {
  return {
    type: row.type,
    title: row.title,
    family_id: row.family_id,
    family_name: row.family_name,
    created_at: new Date(row.created_at).toISOString(),
    participants: (row.people ?? []).map(([id, username, display_name, created]) => toUser({ id, username, display_name, created_at: new Date(created) })),
  };
}

/** The shape of a conversation whose participants are `participantIds`: from this node's cache, else read (and cached). */
async function shapeFor(deps: Deps, conversationId: string, participantIds: readonly string[]): Promise<ConversationShape | undefined> {
  const cached = cachedShape(deps, conversationId, participantIds);
  if (cached) return cached;
  const row = await firstRow<ShapeRow>(deps.db, sql`SELECT ${SHAPE_COLUMNS} FROM conversations c WHERE c.id = ${conversationId}`, 'conversation_shape');
  if (!row) return undefined;
  const shape = toShape(row);
  rememberShape(deps, conversationId, shape);
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
  const viewers: Record<string, ViewerState> = {};
  // Every participant's cursor, whoever the update goes to.
  const readUpTo: Record<string, number> = {};
  for (const [id, lastRead, hidden] of viewerRows) {
    const read = id === latest.senderId ? Math.max(lastRead, latest.lastSeq) : lastRead;
    readUpTo[id] = read;
    if (onlyUserIds && !onlyUserIds.includes(id)) continue;
    viewers[id] = {
      unread_count: Math.max(0, latest.lastSeq - read),
      hidden: latest.senderId === undefined ? hidden : false,
      title: titleOf(shape, shape.participants, id),
    };
  }
  const first = Object.keys(viewers)[0];
  if (first === undefined) return undefined;
  const conversation: ConversationView = {
    id: conversationId,
    type: shape.type,
    title: viewers[first]!.title,
    family_id: shape.family_id,
    participants: shape.participants,
    latest_message_seq: latest.lastSeq,
    last_message: latest.lastMessage,
    last_message_at: latest.lastMessageAt,
    unread_count: viewers[first]!.unread_count,
    hidden: viewers[first]!.hidden,
    created_at: shape.created_at,
    read_up_to: readUpTo,
  };
  return { event, conversation, viewers };
}

/**
 * Announces a conversation's state after a send, from the viewer rows the send statement returned:
 * no query when this node has the conversation's shape cached.
 */
export async function announceSent(deps: Deps, message: MessageView, viewerRows: ViewerRow[]): Promise<void> {
  const shape = await shapeFor(deps, message.conversation_id, viewerRows.map(([id]) => id));
  if (!shape) return;
  const latest = { lastSeq: message.seq, lastMessage: message, lastMessageAt: message.inserted_at, senderId: message.sender_id };
  await publishUpdate(deps, buildUpdate('conversation_updated', message.conversation_id, shape, viewerRows, latest));
}

/** What a read-cursor move returns, for {@link announceRead}: the reader's row, the conversation's, its last message. */
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

/**
 * Tells the reader (their unread count) and the senders of the messages the read newly covers (their
 * "seen by") the conversation's new state, from the read statement's own row: no query when this node has
 * the conversation's shape cached. The other participants get the new cursor with their next update (and a
 * `read` event in an open chat): a read then costs two deliveries, not one per participant.
 */
export async function announceRead(deps: Deps, conversationId: string, userId: string, row: ReadRow): Promise<void> {
  const viewers = row.viewers.map(([id, read, hidden]): ViewerRow => [id, id === userId ? row.read_seq : read, hidden]);
  const shape = await shapeFor(deps, conversationId, viewers.map(([id]) => id));
  if (!shape) return;
  // The reader and the senders read, not everyone: others' "seen by" did not change (docs/realtime.md).
  const told = [userId, ...(row.senders ?? [])];
  await publishUpdate(deps, buildUpdate('conversation_updated', conversationId, shape, viewers, latestOf(row), told));
}

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
    await deps.bus.publish({ topic: CONVERSATION_UPDATES_TOPIC, event: update.event, payload: update as unknown as Record<string, unknown> });
  }
}

/**
 * Publishes one event describing a conversation for all its participants (or only `onlyUserIds`):
 * one query, read fresh (which refreshes this node's cached shape), and one bus message.
 */
export async function publishConversationUpdate(
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
  rememberShape(deps, conversationId, shape);
  await publishUpdate(deps, buildUpdate(event, conversationId, shape, row.viewers ?? [], latestOf(row), onlyUserIds));
}

/** Tells `userIds`, on their user topics, that a conversation now exists for them. */
export async function announceCreated(deps: Deps, conversationId: string, userIds: string[]): Promise<void> {
  await publishConversationUpdate(deps, conversationId, 'conversation_created', userIds);
}

/** Input of a group creation. */
export interface GroupInput {
  family_id: string;
  title: string;
  participant_ids: string[];
}

/** Checks a group title: 1-100 characters after trimming. */
function checkTitle(title: string, fields: Record<string, string>): string {
  const trimmed = title.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 100) fields.title = 'must be 1-100 characters after trimming';
  return trimmed;
}

/**
 * Creates a group inside a family; the caller becomes its admin.
 * @throws {AppError} `validation_failed` when the caller or a participant is not in the family, or the title is bad.
 */
export async function createGroupConversation(deps: Deps, userId: string, input: GroupInput): Promise<Created> {
  const fields: Record<string, string> = {};
  const title = checkTitle(input.title, fields);
  const others = [...new Set(input.participant_ids)].filter((id) => id !== userId);
  const wanted = `{${[userId, ...others].join(',')}}`;
  const found = await rows<{ user_id: string }>(
    deps.db,
    sql`SELECT user_id FROM memberships WHERE family_id = ${input.family_id} AND user_id = ANY(${wanted}::uuid[])`,
  );
  const members = new Set(found.map((r) => r.user_id));
  if (!members.has(userId)) fields.family_id = 'you are not a member of this family';
  else if (others.some((id) => !members.has(id))) fields.participant_ids = 'every participant must be a member of the family';
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  const id = randomUUID();
  await deps.db.transaction(async (tx) => {
    await tx.execute(sql`INSERT INTO conversations (id, type, title, family_id) VALUES (${id}, 'group', ${title}, ${input.family_id})`);
    await addParticipants(tx, id, [userId], 'admin');
    await addParticipants(tx, id, others, 'member');
  });
  const conversation = await getConversation(deps.db, userId, id);
  await announceCreated(deps, id, [userId, ...others]);
  return { conversation, created: true };
}

/** Changes to a conversation requested by a participant. */
export interface ConversationChanges {
  hidden?: boolean;
  title?: string;
}

/**
 * Hides/unhides a conversation for the caller, or renames a group (group admins only).
 * @throws {AppError} `not_found`, `validation_failed` (title on a non-group), `forbidden` (not a group admin).
 */
export async function updateConversation(
  deps: Deps,
  userId: string,
  conversationId: string,
  update: ConversationChanges,
): Promise<ConversationView> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  let title: string | undefined;
  if (update.title !== undefined) {
    if (access.type !== 'group') throw validationFailed({ title: 'only groups have a title you can change' });
    requirePermission('renameGroup', { userId, access });
    const fields: Record<string, string> = {};
    title = checkTitle(update.title, fields);
    if (Object.keys(fields).length > 0) throw validationFailed(fields);
  }
  await deps.db.transaction(async (tx) => {
    if (update.hidden !== undefined) {
      await tx.execute(sql`UPDATE participants SET hidden = ${update.hidden}
        WHERE conversation_id = ${conversationId} AND user_id = ${userId}`);
    }
    if (title !== undefined) await tx.execute(sql`UPDATE conversations SET title = ${title} WHERE id = ${conversationId}`);
  });
  if (title !== undefined) {
    await forgetShapes(deps, conversationId);
    await announceUpdated(deps, conversationId);
  }
  return getConversation(deps.db, userId, conversationId);
}

/** Publishes each participant's fresh view of a conversation (one bus event). */
export async function announceUpdated(deps: Deps, conversationId: string): Promise<void> {
  await publishConversationUpdate(deps, conversationId, 'conversation_updated');
}

/**
 * Adds a family member to a group (group admins only). Adding someone already there changes nothing.
 * @throws {AppError} `not_found`, `validation_failed` (not a group, or not in the group's family), `forbidden`.
 */
export async function addGroupParticipant(
  deps: Deps,
  userId: string,
  conversationId: string,
  newUserId: string,
): Promise<ConversationView> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  if (access.type !== 'group') throw validationFailed({ conversation: 'participants can only be changed in groups' });
  requirePermission('addGroupParticipant', { userId, access });
  const member = await firstRow<{ user_id: string }>(
    deps.db,
    sql`SELECT user_id FROM memberships WHERE family_id = ${access.familyId} AND user_id = ${newUserId}`,
  );
  if (!member) throw validationFailed({ user_id: "must be a member of the group's family" });
  const inserted = await firstRow<{ user_id: string }>(
    deps.db,
    sql`INSERT INTO participants (conversation_id, user_id, role) VALUES (${conversationId}, ${newUserId}, 'member')
        ON CONFLICT DO NOTHING RETURNING user_id`,
  );
  if (inserted) {
    await announceCreated(deps, conversationId, [newUserId]);
    await announceUpdated(deps, conversationId);
  }
  return getConversation(deps.db, userId, conversationId);
}

/**
 * Removes someone from a group: group admins may remove anyone, anyone may remove themselves.
 * When the last admin leaves, the longest-standing remaining participant becomes admin.
 * @throws {AppError} `not_found` (conversation or participant), `validation_failed` (not a group), `forbidden`.
 */
export async function removeGroupParticipant(
  deps: Deps,
  userId: string,
  conversationId: string,
  targetId: string,
): Promise<void> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  if (access.type !== 'group') throw validationFailed({ conversation: 'participants can only be changed in groups' });
  requirePermission('removeGroupParticipant', { userId, access, subjectId: targetId });
  const removed = await deps.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT id FROM conversations WHERE id = ${conversationId} FOR UPDATE`);
    const row = await firstRow<{ user_id: string }>(
      tx,
      sql`DELETE FROM participants WHERE conversation_id = ${conversationId} AND user_id = ${targetId} RETURNING user_id`,
    );
    if (row) await ensureGroupAdmin(tx, conversationId);
    return row !== undefined;
  });
  if (!removed) throw notFound('participant');
  await removedFromConversation(deps, conversationId, targetId);
  await announceUpdated(deps, conversationId);
}

/** Promotes the longest-standing participant when a group has none left. Call with the conversation row locked. */
export async function ensureGroupAdmin(ex: Executor, conversationId: string): Promise<void> {
  await ex.execute(sql`UPDATE participants SET role = 'admin'
    WHERE conversation_id = ${conversationId}
      AND NOT EXISTS (SELECT 1 FROM participants WHERE conversation_id = ${conversationId} AND role = 'admin')
      AND user_id = (SELECT user_id FROM participants WHERE conversation_id = ${conversationId}
                     ORDER BY joined_at, user_id LIMIT 1)`);
}

/** Announces on the bus that a user left a conversation: their channel for it closes at once, and their user topic gets `conversation_removed`. */
export async function removedFromConversation(deps: Deps, conversationId: string, userId: string): Promise<void> {
  await deps.bus.publish({
    topic: ACCESS_REVOKED_TOPIC,
    event: 'conversation_access_revoked',
    payload: { user_id: userId, conversation_id: conversationId },
  });
  // Their conversation list drops it live too.
  await deps.bus.publish({ topic: userTopic(userId), event: 'conversation_removed', payload: { conversation_id: conversationId } });
}

/**
 * Messages: send (one statement: sequence increment + insert), keyset paging by seq, edit,
 * delete (tombstone), and read cursors.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { publish } from '../bus/bus.js';
import { firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, conflict, notFound, validationFailed } from '../errors.js';
import { enforce } from '../rate-limit.js';
import { messagesSent } from '../telemetry/metrics.js';
import type { ConversationType } from './access.js';
import { conversationSpan, isParticipant, requireParticipant, requirePermission } from './access.js';
import type { MessageRow } from './message-view.js';
import { MESSAGE_COLUMNS as COLUMNS, toMessage } from './message-view.js';
import type { ReadRow } from './conversation-updates.js';
import { announce, READ_ROW_COLUMNS } from './conversation-updates.js';
import { messageTopic } from './topics.js';
import type { RemovedKeys } from './attachments.js';
import { checkAttachmentIds, explainRefusedAttachments, removeStoredObjects, storeAttachedSend } from './attachments.js';
import type { MessageView } from '../contract/objects.js';

/** The largest message body, in UTF-8 bytes. */
export const MAX_BODY_BYTES = 8192;

/**
 * Trims and checks a message body; with `allowEmpty` (a message that carries attachments), it may be empty.
 * @throws {AppError} `validation_failed` when empty, `payload_too_large` over {@link MAX_BODY_BYTES}.
 */
export function checkBody(body: string, allowEmpty = false): string {
  const trimmed = body.trim();
  if (trimmed.length === 0 && !allowEmpty) throw validationFailed({ body: 'must not be empty' }, 'The message is empty.');
  // PostgreSQL text cannot hold U+0000 (HTTP bodies are screened earlier; this covers WebSocket sends).
  if (trimmed.includes('\u0000')) throw validationFailed({ body: 'must not contain the NUL character' });
  const bytes = Buffer.byteLength(trimmed, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new AppError('payload_too_large', `The message is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}.`, {
      limit_bytes: MAX_BODY_BYTES,
    });
  }
  return trimmed;
}

/** A message to send: a body, attachments, or both. */
export interface SendInput {
  /** The text (absent or empty: only when there are attachments). */
  body?: string | undefined;
  /** Up to ten of the sender's unattached uploads, in the order the message shows them (unchecked input). */
  attachment_ids?: unknown;
  client_id?: string | undefined;
}

/** The stored message and whether this call stored it (false: an idempotent retry). */
export interface Sent {
  message: MessageView;
  created: boolean;
  type: ConversationType;
}

/**
 * Sends a message. The message is committed before this returns and before it is broadcast.
 * A text message: one statement, shared with the node's other sends of the moment: access check, direct-conversation
 * family check, seq increment (row lock on the conversation), insert, unhide for everyone, sender's read cursor.
 * A message with attachments: one statement of its own that also attaches the uploads (see chat/attachments.ts).
 * @throws {AppError} `validation_failed` (also for attachment ids that are not the sender's unattached uploads),
 * `payload_too_large`, `rate_limited`, `not_found`, `no_shared_family`.
 */
export async function sendMessage(
  deps: Deps,
  userId: string,
  conversationId: string,
  input: SendInput,
  transport: 'http' | 'ws' = 'http',
): Promise<Sent> {
  return conversationSpan('chat.send_message', conversationId, userId, async (span) => {
    const attachmentIds = checkAttachmentIds(input.attachment_ids);
    const body = checkBody(input.body ?? '', attachmentIds.length > 0);
    const clientId = input.client_id ?? null;
    if (clientId !== null && clientId.length > 64) throw validationFailed({ client_id: 'must be at most 64 characters' });
    enforce([deps.limiters.sendBurst, deps.limiters.sendPerMinute], userId, 'messages');
    const send = { id: randomUUID(), conversationId, senderId: userId, body, clientId };
    // Text: stored together with the other sends of this moment (group commit, see send-batch.ts).
    const inserted = attachmentIds.length === 0 ? await deps.sends.store(send) : await storeAttachedSend(deps.db, { ...send, attachmentIds });
    if (inserted) {
      messagesSent.inc({ transport });
      span.setAttributes({ 'famichat.message_id': inserted.id, 'famichat.seq': inserted.seq, 'famichat.created': true });
      const message = toMessage(inserted);
      await publish(deps.bus, {
        topic: messageTopic(inserted.type, conversationId),
        event: 'new_msg',
        payload: { message },
      });
      // The conversation's new state for its participants' lists, from the same statement's viewer rows.
      await announce(deps, { change: 'sent', message, viewers: inserted.viewers });
      return { message, created: true, type: inserted.type };
    }
    // Nothing inserted: not a participant, a retry, unusable attachments, or a direct conversation without a shared family.
    const access = await requireParticipant(deps.db, conversationId, userId);
    if (clientId !== null) {
      const existing = await firstRow<MessageRow>(
        deps.db,
        sql`SELECT ${COLUMNS} FROM messages
            WHERE conversation_id = ${conversationId} AND sender_id = ${userId} AND client_id = ${clientId}`,
      );
      if (existing) {
        span.setAttributes({ 'famichat.message_id': existing.id, 'famichat.created': false });
        return { message: toMessage(existing), created: false, type: access.type };
      }
    }
    if (attachmentIds.length > 0) await explainRefusedAttachments(deps.db, userId, attachmentIds);
    throw new AppError('no_shared_family', 'You no longer share a family with this person.');
  }, { 'famichat.transport': transport });
}

/** Paging options: at most one of `before` / `after`. */
export interface PageQuery {
  limit: number;
  before?: number | undefined;
  after?: number | undefined;
}

/** A page of messages, ascending by seq, with its paging metadata. */
export interface MessagePage {
  messages: MessageView[];
  page: { has_more: boolean; first_seq: number | null; last_seq: number | null };
}

/**
 * Reads a page of a conversation (keyset on (conversation_id, seq); the same cost at any depth).
 * No cursor: the latest `limit`. `after`: the first `limit` above it. `before`: the last `limit` below it.
 * @throws {AppError} `not_found` for a conversation the caller is not in; `validation_failed` for both cursors.
 */
export async function listMessages(
  deps: Deps,
  userId: string,
  conversationId: string,
  query: PageQuery,
): Promise<MessagePage> {
  return conversationSpan('chat.get_messages', conversationId, userId, async (span) => {
    if (query.before !== undefined && query.after !== undefined) {
      throw validationFailed({ before: 'use either before or after, not both', after: 'use either before or after, not both' });
    }
    const result = await readPage(deps.db, conversationId, query, userId);
    span.setAttribute('famichat.count', result.messages.length);
    return result;
  });
}

function pageSql(conversationId: string, query: PageQuery): SQL {
  const limit = query.limit + 1;
  return query.after !== undefined
    ? sql`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ${conversationId} AND seq > ${query.after}
          ORDER BY seq ASC LIMIT ${limit}`
    : sql`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ${conversationId} AND seq < ${query.before ?? 2_147_483_647}
          ORDER BY seq DESC LIMIT ${limit}`;
}

/** A page from the rows of {@link pageSql} (one more than the limit when there are more). */
function toPage(list: MessageRow[], query: PageQuery): MessagePage {
  const hasMore = list.length > query.limit;
  if (hasMore) list.pop();
  if (query.after === undefined) list.reverse();
  const messages = list.map(toMessage);
  return {
    messages,
    page: {
      has_more: hasMore,
      first_seq: messages[0]?.seq ?? null,
      last_seq: messages[messages.length - 1]?.seq ?? null,
    },
  };
}

/**
 * The page query. With `viewerId`, the same statement checks that the viewer participates (one round trip
 * for a history page); without, the caller has checked.
 * @throws {AppError} `not_found` when `viewerId` is not a participant.
 */
export async function readPage(ex: Executor, conversationId: string, query: PageQuery, viewerId?: string): Promise<MessagePage> {
  const page = pageSql(conversationId, query);
  const name = query.after !== undefined ? 'read_page_after' : 'read_page_before';
  if (viewerId === undefined) return toPage(await rows<MessageRow>(ex, page, name), query);
  // No row: not a participant. One row of nulls: a participant, no messages on this page.
  const checked = await rows<MessageRow>(
    ex,
    sql`SELECT m.* FROM participants p LEFT JOIN LATERAL (${page}) m ON true
        WHERE ${isParticipant('p', conversationId, viewerId)}`,
    `${name}_checked`,
  );
  if (checked.length === 0) throw notFound('conversation');
  return toPage(checked.filter((row) => row.id !== null), query);
}

/** A conversation's latest seq (0 when it has no message, or no longer exists). */
export async function readLatestSeq(ex: Executor, conversationId: string): Promise<number> {
  const latest = await firstRow<{ last_seq: number }>(ex, sql`SELECT last_seq FROM conversations WHERE id = ${conversationId}`, 'latest_seq');
  return latest?.last_seq ?? 0;
}

/**
 * What a client holding everything up to `after` missed: the conversation's latest seq and the first
 * `limit` messages after `after`, in one statement (the caller has checked access). Without `after`,
 * the latest seq only.
 */
export async function readCatchUp(
  ex: Executor,
  conversationId: string,
  after: number | undefined,
  limit: number,
): Promise<{ latestSeq: number; page: MessagePage }> {
  if (after === undefined) {
    return { latestSeq: await readLatestSeq(ex, conversationId), page: { messages: [], page: { has_more: false, first_seq: null, last_seq: null } } };
  }
  const query = { limit, after };
  const list = await rows<MessageRow & { latest_seq: number }>(
    ex,
    sql`SELECT c.last_seq AS latest_seq, m.* FROM conversations c LEFT JOIN LATERAL (${pageSql(conversationId, query)}) m ON true
        WHERE c.id = ${conversationId}`,
    'read_catch_up',
  );
  return { latestSeq: list[0]?.latest_seq ?? 0, page: toPage(list.filter((row) => row.id !== null), query) };
}

/** In the RETURNING of an update of `messages`: whether the row is its conversation's last message (the lists' preview). */
const IS_LAST = sql`seq = (SELECT last_seq FROM conversations WHERE id = messages.conversation_id) AS is_last`;

/** An edit or delete of a conversation's last message changes every participant's list preview: tell them. */
async function announceIfLast(deps: Deps, conversationId: string, isLast: boolean): Promise<void> {
  if (isLast) await announce(deps, { change: 'updated', conversationId });
}

async function findMessage(ex: Executor, conversationId: string, messageId: string): Promise<MessageRow> {
  const row = await firstRow<MessageRow>(
    ex,
    sql`SELECT ${COLUMNS} FROM messages WHERE id = ${messageId} AND conversation_id = ${conversationId}`,
  );
  if (!row) throw notFound('message');
  return row;
}

/**
 * Edits one's own message (its text; its attachments stay). A message with attachments may be edited to an empty text.
 * @throws {AppError} `not_found`, `forbidden` (not the sender), `conflict` (deleted), `validation_failed`, `payload_too_large`.
 */
export async function editMessage(
  deps: Deps,
  userId: string,
  conversationId: string,
  messageId: string,
  newBody: string,
): Promise<MessageView> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  const current = await findMessage(deps.db, conversationId, messageId);
  requirePermission('editMessage', { userId, subjectId: current.sender_id });
  const body = checkBody(newBody, current.attachments.length > 0);
  const row = await firstRow<MessageRow & { is_last: boolean }>(
    deps.db,
    sql`UPDATE messages SET body = ${body}, edited_at = now()
        WHERE id = ${messageId} AND deleted_at IS NULL RETURNING ${COLUMNS}, ${IS_LAST}`,
  );
  if (!row) throw conflict('deleted', 'A deleted message cannot be edited.');
  const message = toMessage(row);
  await publish(deps.bus, { topic: messageTopic(access.type, conversationId), event: 'message_updated', payload: { message } });
  await announceIfLast(deps, conversationId, row.is_last);
  return message;
}

/**
 * Deletes a message (its sender, a group admin in a group, a family admin in the family conversation).
 * The message stays as a tombstone: same seq, empty body, no attachments, `deleted_at` set. Deleting twice is harmless.
 * In the same statement its uploads are deleted (an upload that is its sender's profile picture is only detached),
 * and once that has committed, their stored objects.
 * @throws {AppError} `not_found`, `forbidden`.
 */
export async function deleteMessage(deps: Deps, userId: string, conversationId: string, messageId: string): Promise<void> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  const current = await findMessage(deps.db, conversationId, messageId);
  requirePermission('deleteMessage', { userId, access, subjectId: current.sender_id });
  const row = await firstRow<MessageRow & { is_last: boolean; removed: RemovedKeys[] | null }>(
    deps.db,
    sql`WITH tombstone AS (
          UPDATE messages SET body = '', attachments = '[]'::jsonb, deleted_at = now()
          WHERE id = ${messageId} AND deleted_at IS NULL RETURNING ${COLUMNS}, ${IS_LAST}
        ), kept AS (
          UPDATE uploads u SET message_id = NULL, attached_at = NULL FROM tombstone t
          WHERE u.message_id = t.id AND EXISTS (SELECT 1 FROM users a WHERE a.id = u.uploader_id AND a.avatar_upload_id = u.id)
        ), gone AS (
          DELETE FROM uploads u USING tombstone t
          WHERE u.message_id = t.id AND NOT EXISTS (SELECT 1 FROM users a WHERE a.id = u.uploader_id AND a.avatar_upload_id = u.id)
          RETURNING u.storage_key, u.thumbnail_key
        )
        SELECT t.*, (SELECT json_agg(json_build_array(g.storage_key, g.thumbnail_key)) FROM gone g) AS removed FROM tombstone t`,
  );
  if (row) {
    await removeStoredObjects(deps.storage, row.removed);
    await publish(deps.bus, {
      topic: messageTopic(access.type, conversationId),
      event: 'message_deleted',
      payload: { message: toMessage(row) },
    });
    await announceIfLast(deps, conversationId, row.is_last);
  }
}

/**
 * Moves the caller's read cursor forward (never backwards, clamped to the latest seq), tells the
 * conversation's subscribers (except the `origin` socket), and the user topics of the caller and of the
 * senders of the messages it newly covers (see the `read` change of {@link announce}).
 * @returns the cursor after the move.
 * @throws {AppError} `not_found`.
 */
export async function markRead(
  deps: Deps,
  userId: string,
  conversationId: string,
  seq: number,
  origin?: string,
): Promise<number> {
  // One statement: only a participant has a row to move (the access check), and it returns what the
  // conversation update needs.
  const row = await firstRow<ReadRow & { type: ConversationType }>(
    deps.db,
    sql`UPDATE participants p SET last_read_seq = GREATEST(p.last_read_seq, LEAST(${seq}, c.last_seq))
        FROM participants o JOIN conversations c ON c.id = o.conversation_id
          LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
        WHERE o.conversation_id = p.conversation_id AND o.user_id = p.user_id
          AND ${isParticipant('p', conversationId, userId)}
        RETURNING c.type, ${READ_ROW_COLUMNS}`,
    'mark_read',
  );
  if (!row) throw notFound('conversation');
  await publish(deps.bus, {
    topic: messageTopic(row.type, conversationId),
    event: 'read',
    payload: { user_id: userId, seq: row.read_seq },
    ...(origin ? { origin } : {}),
  });
  await announce(deps, { change: 'read', conversationId, userId, row });
  return row.read_seq;
}

/**
 * Messages that carry attachments: checking the `attachment_ids` of a send, the one statement that stores
 * such a message and attaches its uploads atomically, why it refused, and removing the stored objects of
 * uploads that no message carries any more.
 * @module
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { isUniqueViolation, rows } from '../db/connect.js';
import type { Executor } from '../db/connect.js';
import type { Storage } from '../media/storage.js';
import { validationFailed } from '../errors.js';
import { directPairSharesFamily, isParticipant } from './access.js';
import { MESSAGE_COLUMNS } from './message-view.js';
import type { PendingSend, StoredRow } from './send-batch.js';

/** The most attachments one message carries. */
export const MAX_ATTACHMENTS = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The field every attachment problem is reported under. */
const FIELD = 'attachment_ids';

/**
 * Checks the shape of a send's `attachment_ids` (absent: none): at most {@link MAX_ATTACHMENTS} distinct upload ids.
 * @returns the ids, lower-case, in the order given.
 * @throws {AppError} `validation_failed` with `details.fields.attachment_ids`.
 */
export function checkAttachmentIds(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw validationFailed({ [FIELD]: 'must be a list of upload ids' });
  if (value.length > MAX_ATTACHMENTS) {
    throw validationFailed({ [FIELD]: `must have at most ${MAX_ATTACHMENTS} items` }, `A message carries at most ${MAX_ATTACHMENTS} attachments.`);
  }
  const ids: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !UUID.test(item)) throw validationFailed({ [FIELD]: 'must contain upload ids (UUIDs) only' });
    const id = item.toLowerCase();
    if (ids.includes(id)) throw validationFailed({ [FIELD]: `lists upload ${id} more than once` });
    ids.push(id);
  }
  return ids;
}

/** A message with attachments to store: a send plus its upload ids, in the order the message shows them. */
export interface PendingAttachedSend extends PendingSend {
  attachmentIds: string[];
}

/**
 * The statement that stores a message with attachments, in one round trip: the sender's unattached uploads of
 * `attachmentIds` are locked (in id order, so two sends never wait on each other in a cycle), and only when every one
 * of them is there, and the same checks as a text send pass (participant; a direct conversation still shares a family;
 * the client_id unused), the seq moves, the message is inserted with the uploads' snapshot, and the uploads are
 * attached to it; otherwise nothing changes. A concurrent send of the same upload waits for the lock, then finds
 * it attached and stores nothing. The foreign key uploads.message_id is checked at the end of the statement, when
 * the message exists.
 */
export function attachedSendStatement(send: PendingAttachedSend): SQL {
  const ids = sql`${sql.param(send.attachmentIds)}::uuid[]`;
  return sql`WITH picked AS (
      SELECT u.id, u.kind, u.mime_type, u.filename, u.size_bytes, u.width, u.height, u.duration_ms, u.thumbnail_key
      FROM uploads u
      WHERE u.id = ANY(${ids}) AND u.uploader_id = ${send.senderId} AND u.message_id IS NULL
      ORDER BY u.id FOR UPDATE
    ), allowed AS (
      SELECT c.id, c.type FROM conversations c
      WHERE c.id = ${send.conversationId}
        AND EXISTS (SELECT 1 FROM participants p WHERE ${isParticipant('p', sql`c.id`, send.senderId)})
        AND ${directPairSharesFamily(send.senderId)}
        AND (${send.clientId}::text IS NULL OR NOT EXISTS (SELECT 1 FROM messages m
              WHERE m.conversation_id = c.id AND m.sender_id = ${send.senderId} AND m.client_id = ${send.clientId}))
        AND (SELECT count(*) FROM picked) = ${send.attachmentIds.length}
    ), bump AS (
      UPDATE conversations c SET last_seq = c.last_seq + 1, last_message_at = now()
      FROM allowed a WHERE c.id = a.id
      RETURNING c.id, c.last_seq, c.last_message_at
    ), msg AS (
      INSERT INTO messages (id, conversation_id, seq, sender_id, body, client_id, inserted_at, attachments)
      SELECT ${send.id}, b.id, b.last_seq, ${send.senderId}, ${send.body}, ${send.clientId}, b.last_message_at,
        (SELECT jsonb_agg(jsonb_build_object('id', p.id, 'kind', p.kind, 'mime_type', p.mime_type, 'filename', p.filename,
            'size_bytes', p.size_bytes, 'width', p.width, 'height', p.height, 'duration_ms', p.duration_ms,
            'has_thumbnail', p.thumbnail_key IS NOT NULL) ORDER BY array_position(${ids}, p.id))
         FROM picked p)
      FROM bump b
      RETURNING ${MESSAGE_COLUMNS}
    ), claimed AS (
      UPDATE uploads u SET message_id = msg.id, attached_at = msg.inserted_at
      FROM msg WHERE u.id IN (SELECT id FROM picked)
    ), seen AS (
      UPDATE participants p SET hidden = false,
        last_read_seq = CASE WHEN p.user_id = msg.sender_id THEN GREATEST(p.last_read_seq, msg.seq) ELSE p.last_read_seq END
      FROM msg
      WHERE p.conversation_id = msg.conversation_id AND (p.hidden OR p.user_id = msg.sender_id)
    )
    SELECT msg.*, (SELECT type FROM allowed) AS type,
      (SELECT json_agg(json_build_array(p.user_id, p.last_read_seq, p.hidden) ORDER BY p.joined_at, p.user_id)
       FROM participants p WHERE p.conversation_id = msg.conversation_id) AS viewers
    FROM msg`;
}

/**
 * Stores a message with attachments (see {@link attachedSendStatement}); resolves with its row, or undefined when
 * a check failed (an upload not the sender's or already attached, not a participant, no shared family any more,
 * or a client_id already used, also by a twin committed meanwhile: the caller finds out which).
 */
export async function storeAttachedSend(ex: Executor, send: PendingAttachedSend): Promise<StoredRow | undefined> {
  try {
    const [row] = await rows<StoredRow>(ex, attachedSendStatement(send), 'send_with_attachments');
    return row;
  } catch (error) {
    if (isUniqueViolation(error, 'messages_client_id_key')) return undefined;
    throw error;
  }
}

/**
 * Why the sender may not attach `attachmentIds` now: someone else's and unknown uploads get the same answer.
 * Returns when every upload is still the sender's and unattached.
 * @throws {AppError} `validation_failed` with `details.fields.attachment_ids`.
 */
export async function explainRefusedAttachments(ex: Executor, senderId: string, attachmentIds: string[]): Promise<void> {
  const found = await rows<{ id: string; attached: boolean }>(
    ex,
    sql`SELECT u.id, u.message_id IS NOT NULL AS attached FROM uploads u
        WHERE u.id = ANY(${sql.param(attachmentIds)}::uuid[]) AND u.uploader_id = ${senderId}`,
  );
  const byId = new Map(found.map((row) => [row.id, row.attached]));
  for (const id of attachmentIds) {
    const attached = byId.get(id);
    if (attached === undefined) throw validationFailed({ [FIELD]: `upload ${id} does not exist` }, 'An attachment does not exist.');
    if (attached) throw validationFailed({ [FIELD]: `upload ${id} is already attached to a message` }, 'An attachment is already in a message.');
  }
}

/** The storage keys of an upload row that is gone: `[storage_key, thumbnail_key]`. */
export type RemovedKeys = [storageKey: string, thumbnailKey: string | null];

/**
 * Removes the stored objects of deleted upload rows (after their deletion committed). A store that fails leaves
 * the object behind but nothing refers to it any more, so nobody can fetch it: the delete still succeeds.
 */
export async function removeStoredObjects(storage: Storage, removed: readonly RemovedKeys[] | null | undefined): Promise<void> {
  const keys = (removed ?? []).flatMap(([original, thumbnail]) => (thumbnail ? [original, thumbnail] : [original]));
  await Promise.allSettled(keys.map((key) => storage.delete(key)));
}

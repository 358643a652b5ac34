/**
 * The API view of a message and the columns it is read from (shared by messages and conversations).
 * @module
 */
import { sql } from 'drizzle-orm';
import type { AttachmentView, MessageView } from '../contract/objects.js';
import type { StoredAttachment } from '../db/schema.js';
import { unsignedUrl } from '../media/urls.js';

/** A `messages` row: the view's fields, with the database's timestamps. */
export type MessageRow = Omit<MessageView, 'inserted_at' | 'edited_at' | 'deleted_at' | 'attachments'> & {
  inserted_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  attachments: StoredAttachment[];
};

/** The columns of a message row. */
export const MESSAGE_COLUMNS = sql`id, conversation_id, seq, sender_id, body, client_id, inserted_at, edited_at, deleted_at, attachments`;

/** The columns of a message row of alias `m`, unprefixed (for a row that has no columns of the same name). */
export const MESSAGE_COLUMNS_OF_M = sql`m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.client_id, m.inserted_at, m.edited_at, m.deleted_at, m.attachments`;

/** Message columns of alias `m`, prefixed `m_`, for joining the last message into a conversation row. */
export const MESSAGE_COLUMNS_PREFIXED = sql`m.id AS m_id, m.conversation_id AS m_conversation_id, m.seq AS m_seq,
  m.sender_id AS m_sender_id, m.body AS m_body, m.client_id AS m_client_id, m.inserted_at AS m_inserted_at,
  m.edited_at AS m_edited_at, m.deleted_at AS m_deleted_at, m.attachments AS m_attachments`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The API view of a message row. */
export function toMessage(row: MessageRow): MessageView {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    seq: Number(row.seq),
    sender_id: row.sender_id,
    body: row.body,
    client_id: row.client_id,
    inserted_at: new Date(row.inserted_at).toISOString(),
    edited_at: iso(row.edited_at),
    deleted_at: iso(row.deleted_at),
    attachments: (row.attachments ?? []).map(toAttachment),
  };
}

/** The API view of a stored attachment, with unsigned URLs (signed for each viewer at the edge). */
export function toAttachment(stored: StoredAttachment): AttachmentView {
  return {
    id: stored.id,
    kind: stored.kind,
    mime_type: stored.mime_type,
    filename: stored.filename,
    size_bytes: stored.size_bytes,
    width: stored.width,
    height: stored.height,
    duration_ms: stored.duration_ms,
    url: unsignedUrl(stored.id, 'original'),
    thumbnail_url: stored.has_thumbnail ? unsignedUrl(stored.id, 'thumbnail') : null,
  };
}


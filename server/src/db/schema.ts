/**
 * The database schema (Drizzle). Migrations in `src/db/migrations` are generated from this file
 * with `npm run db:generate -w @famichat/server` and committed.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
/** A role (in a family, an invite or a conversation): admin or member. */
const role = () => text('role', { enum: ['admin', 'member'] }).notNull();
/** A required reference to `target`'s row, deleted with it (ON DELETE CASCADE). */
const cascading = (name: string, target: () => AnyPgColumn) => uuid(name).notNull().references(target, { onDelete: 'cascade' });

/** Instance-wide singleton row (id = 1): setup marker and the admin's branding overrides. */
export const instance = pgTable(
  'instance',
  {
    id: integer('id').primaryKey(),
    setupAt: ts('setup_at').notNull().defaultNow(),
    branding: jsonb('branding').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [check('instance_singleton', sql`${t.id} = 1`)],
);

/** People. `username` is stored lower-case, so the unique index is case-insensitive. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    isInstanceAdmin: boolean('is_instance_admin').notNull().default(false),
    theme: text('theme'),
    /** The profile picture: an image upload of this user's (no foreign key: uploads reference users). */
    avatarUploadId: uuid('avatar_upload_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_username_key').on(t.username)],
);

/** Login sessions; only the SHA-256 of the bearer token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: cascading('user_id', () => users.id),
    tokenHash: text('token_hash').notNull(),
    deviceName: text('device_name'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('sessions_token_hash_key').on(t.tokenHash), index('sessions_user_idx').on(t.userId)],
);

/** Families: the unit of trust. */
export const families = pgTable('families', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Who belongs to which family, with which role. */
export const memberships = pgTable(
  'memberships',
  {
    familyId: cascading('family_id', () => families.id),
    userId: cascading('user_id', () => users.id),
    role: role(),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.familyId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** Single-use invitations into a family; only the token's SHA-256 is stored. */
export const invites = pgTable(
  'invites',
  {
    id: uuid('id').primaryKey(),
    familyId: cascading('family_id', () => families.id),
    tokenHash: text('token_hash').notNull(),
    role: role(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    usedBy: uuid('used_by').references(() => users.id, { onDelete: 'set null' }),
    /** Set when a family admin withdraws the invite. */
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('invites_token_hash_key').on(t.tokenHash)],
);

/**
 * Single-use password-reset links that a family admin gives a member; only the token's SHA-256 is stored.
 * A link works while unused, unrevoked and unexpired, its creator still an admin of `family_id` and the user
 * still a member of it; a newer link for the same user revokes the older ones.
 */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id')
      .notNull()
      .references(() => families.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('password_resets_token_hash_key').on(t.tokenHash), index('password_resets_user_idx').on(t.userId)],
);

/**
 * Conversations. `uniqueKey` makes direct (sorted user pair), self (user) and family (family id)
 * conversations unique; `lastSeq` is the per-conversation message counter, locked for each increment.
 */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey(),
    type: text('type', { enum: ['direct', 'self', 'group', 'family'] }).notNull(),
    title: text('title'),
    familyId: uuid('family_id').references(() => families.id, { onDelete: 'cascade' }),
    uniqueKey: text('unique_key'),
    lastSeq: integer('last_seq').notNull().default(0),
    lastMessageAt: ts('last_message_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('conversations_unique_key').on(t.uniqueKey),
    index('conversations_family_idx').on(t.familyId),
  ],
);

/** Participants of a conversation, with their per-user state (role, read cursor, hidden flag). */
export const participants = pgTable(
  'participants',
  {
    conversationId: cascading('conversation_id', () => conversations.id),
    userId: cascading('user_id', () => users.id),
    role: role().default('member'),
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    hidden: boolean('hidden').notNull().default(false),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index('participants_user_idx').on(t.userId)],
);

/** Messages; (conversation_id, seq) is unique and is the keyset for paging. */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    conversationId: cascading('conversation_id', () => conversations.id),
    seq: integer('seq').notNull(),
    senderId: cascading('sender_id', () => users.id),
    body: text('body').notNull(),
    clientId: text('client_id'),
    insertedAt: ts('inserted_at').notNull().defaultNow(),
    editedAt: ts('edited_at'),
    deletedAt: ts('deleted_at'),
    /**
     * What the message carries, as stored when it was sent: `[{id, kind, mime_type, filename, size_bytes,
     * width, height, duration_ms, has_thumbnail}]` (a page reads no other table; URLs are signed per viewer).
     */
    attachments: jsonb('attachments').$type<StoredAttachment[]>().notNull().default([]),
  },
  (t) => [
    uniqueIndex('messages_conversation_seq_key').on(t.conversationId, t.seq),
    uniqueIndex('messages_client_id_key')
      .on(t.conversationId, t.senderId, t.clientId)
      .where(sql`${t.clientId} IS NOT NULL`),
  ],
);

/** An attachment as a message row stores it (see `messages.attachments`). */
export interface StoredAttachment {
  id: string;
  kind: 'image' | 'video' | 'audio' | 'file';
  mime_type: string;
  filename: string;
  size_bytes: number;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  has_thumbnail: boolean;
}

/**
 * Uploaded files. An upload belongs to its uploader until a message carries it (`message_id`); unattached
 * uploads that are nobody's avatar are swept after 24 h. The bytes live in the storage under `storage_key`
 * (and `thumbnail_key`).
 */
export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey(),
    uploaderId: cascading('uploader_id', () => users.id),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['image', 'video', 'audio', 'file'] }).notNull(),
    mimeType: text('mime_type').notNull(),
    filename: text('filename').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    storageKey: text('storage_key').notNull(),
    thumbnailKey: text('thumbnail_key'),
    /** A strong validator of the stored bytes (quoted, as sent in `ETag`). */
    etag: text('etag').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    attachedAt: ts('attached_at'),
  },
  (t) => [
    index('uploads_message_idx').on(t.messageId),
    index('uploads_uploader_idx').on(t.uploaderId, t.createdAt),
    index('uploads_unattached_idx').on(t.createdAt).where(sql`${t.messageId} IS NULL`),
  ],
);

/** Instance-wide generated values (`media_signing_key`, ...), created once and shared by every node. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

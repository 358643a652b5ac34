/**
 * The access policy: the one place that decides who may see and do what. REST routes and WebSocket joins
 * parse ids here, look the caller up here and check a named {@link Permission} here; the SQL statements that
 * check access inside themselves (a send, a history page, a read cursor, the conversation list) interpolate
 * the fragments below. "Does not exist" and "not yours" produce the identical `not_found`.
 * @module
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { firstRow } from '../db/connect.js';
import { forbidden, notFound } from '../errors.js';
import type { Attributes, Span } from '@opentelemetry/api';
import { withSpan } from '../telemetry/tracing.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses an id from a URL or a topic, at the edge: anything but a UUID names no row, and must not reach SQL as one.
 * @throws {AppError} `not_found` for `what`, identical to the answer for an unknown id.
 */
export function requireId(value: string, what: string): string {
  if (!UUID.test(value)) throw notFound(what);
  return value;
}

/** Conversation types. */
export type ConversationType = 'direct' | 'self' | 'group' | 'family';

/** Roles, in a conversation and in a family. */
export type Role = 'admin' | 'member';

/** What the access check learns about a conversation the caller may see. */
export interface ConversationAccess {
  id: string;
  type: ConversationType;
  familyId: string | null;
  /** The caller's role in the conversation (group admins manage groups). */
  role: Role;
  /** The caller's role in the conversation's family, when it has one and the caller is a member. */
  familyRole: Role | null;
}

/** A value interpolated into a fragment: a parameter (a string) or SQL naming a column. */
type Operand = string | SQL;

/**
 * SQL: the row `alias` of `participants` is `userId`'s in `conversationId`. Every statement that checks
 * participation (a join, a WHERE, an EXISTS) interpolates this.
 */
export function isParticipant(alias: string, conversationId: Operand, userId: Operand): SQL {
  const p = sql.raw(alias);
  return sql`${p}.conversation_id = ${conversationId} AND ${p}.user_id = ${userId}`;
}

/**
 * SQL: conversation `c` is not a direct one, or its other participant still shares a family with `userId`
 * (a direct conversation goes quiet when the two no longer share one).
 */
export function directPairSharesFamily(userId: Operand): SQL {
  return sql`(c.type <> 'direct' OR EXISTS (
    SELECT 1 FROM participants o
    JOIN memberships m1 ON m1.user_id = o.user_id
    JOIN memberships m2 ON m2.family_id = m1.family_id AND m2.user_id = ${userId}
    WHERE o.conversation_id = c.id AND o.user_id <> ${userId}))`;
}

/** Runs `fn` in span `name` with the attributes of a request of `userId`'s on `conversationId` (and `extra`). */
export function conversationSpan<T>(name: string, conversationId: string, userId: string, fn: (span: Span) => Promise<T>, extra: Attributes = {}): Promise<T> {
  return withSpan(name, { 'famichat.conversation_id': conversationId, 'famichat.user_id': userId, ...extra }, fn);
}

/**
 * Checks that `userId` participates in `conversationId` (an id parsed with {@link requireId}).
 * @throws {AppError} `not_found`, identical for a missing conversation and someone else's.
 */
export async function requireParticipant(
  ex: Executor,
  conversationId: string,
  userId: string,
): Promise<ConversationAccess> {
  return conversationSpan('chat.check_access', conversationId, userId, async () => {
    const row = await firstRow<{ id: string; type: ConversationType; family_id: string | null; role: Role; family_role: Role | null }>(
      ex,
      sql`SELECT c.id, c.type, c.family_id, p.role, m.role AS family_role
          FROM conversations c
          JOIN participants p ON ${isParticipant('p', sql`c.id`, userId)}
          LEFT JOIN memberships m ON m.family_id = c.family_id AND m.user_id = ${userId}
          WHERE c.id = ${conversationId}`,
      'require_participant',
    );
    if (!row) throw notFound('conversation');
    return { id: row.id, type: row.type, familyId: row.family_id, role: row.role, familyRole: row.family_role };
  });
}

/**
 * Checks that `userId` is a member of `familyId` (an id parsed with {@link requireId}) and returns their role.
 * @throws {AppError} `not_found`, identical for a missing family and someone else's.
 */
export async function requireFamilyMember(ex: Executor, familyId: string, userId: string): Promise<Role> {
  const row = await firstRow<{ role: Role }>(
    ex,
    sql`SELECT role FROM memberships WHERE family_id = ${familyId} AND user_id = ${userId}`,
    'require_family_member',
  );
  if (!row) throw notFound('family');
  return row.role;
}

/** Whether two users share at least one family. */
export async function shareFamily(ex: Executor, a: string, b: string): Promise<boolean> {
  const row = await firstRow<{ shared: boolean }>(
    ex,
    sql`SELECT EXISTS (SELECT 1 FROM memberships m1 JOIN memberships m2 ON m2.family_id = m1.family_id
        WHERE m1.user_id = ${a} AND m2.user_id = ${b}) AS shared`,
  );
  return row?.shared === true;
}

/** Who acts, on what: the facts a {@link Permission} is decided on. */
export interface Actor {
  /** The caller. */
  userId: string;
  /** The caller's access to the conversation concerned. */
  access?: ConversationAccess;
  /** The caller's role in the family concerned. */
  familyRole?: Role;
  /** The user acted upon (a participant or member removed), or the sender of the message acted upon. */
  subjectId?: string;
  /** Whether the caller is the instance admin. */
  isInstanceAdmin?: boolean;
  /** Whether the user acted upon is the instance admin. */
  subjectIsInstanceAdmin?: boolean;
}

const groupAdmin = (a: Actor) => a.access?.role === 'admin';
const familyAdmin = (a: Actor) => a.familyRole === 'admin';
const self = (a: Actor) => a.subjectId === a.userId;

/** Each permission: who holds it, and what the others are told (the `forbidden` message). */
const PERMISSIONS = {
  renameGroup: { holds: groupAdmin, denied: 'Only a group admin can rename the group.' },
  addGroupParticipant: { holds: groupAdmin, denied: 'Only a group admin can add people.' },
  /** Group admins remove anyone; anyone removes themselves. */
  removeGroupParticipant: { holds: (a: Actor) => self(a) || groupAdmin(a), denied: 'Only a group admin can remove other people.' },
  editMessage: { holds: self, denied: 'Only the sender can edit a message.' },
  /** The sender, a group admin in a group, a family admin in the family conversation. */
  deleteMessage: {
    holds: (a: Actor) =>
      self(a) || (a.access?.type === 'group' && groupAdmin(a)) || (a.access?.type === 'family' && a.access.familyRole === 'admin'),
    denied: 'Only the sender or an admin can delete a message.',
  },
  changeFamilyRoles: { holds: familyAdmin, denied: 'Only a family admin can change roles.' },
  /** Family admins remove anyone; anyone leaves. */
  removeFamilyMember: { holds: (a: Actor) => self(a) || familyAdmin(a), denied: 'Only a family admin can remove other members.' },
  manageInvites: { holds: familyAdmin, denied: 'Only a family admin can manage invites.' },
  /** Family admins give members a password-reset link; only the instance admin gives the instance admin one. */
  resetMemberPassword: {
    holds: (a: Actor) => familyAdmin(a) && (a.subjectIsInstanceAdmin !== true || a.isInstanceAdmin === true),
    denied: "Only a family admin can reset a member's password, and only the instance admin the instance admin's.",
  },
} satisfies Record<string, { holds: (actor: Actor) => boolean; denied: string }>;

/** The actions a participant or member may or may not take, by name. */
export type Permission = keyof typeof PERMISSIONS;

/** Whether `actor` holds `permission`. */
export function can(permission: Permission, actor: Actor): boolean {
  return PERMISSIONS[permission].holds(actor);
}

/**
 * Checks that `actor` holds `permission`.
 * @throws {AppError} `forbidden` otherwise, with the permission's message.
 */
export function requirePermission(permission: Permission, actor: Actor): void {
  if (!PERMISSIONS[permission].holds(actor)) throw forbidden(PERMISSIONS[permission].denied);
}

/**
 * Checks that `userId` is a family admin of `familyId` (an id parsed with {@link requireId}) and may manage its invites.
 * @throws {AppError} `not_found` (not a member, identical to an unknown family), `forbidden` (a member but not an admin).
 */
export async function requireInviteManager(ex: Executor, familyId: string, userId: string): Promise<void> {
  const familyRole = await requireFamilyMember(ex, familyId, userId);
  requirePermission('manageInvites', { userId, familyRole });
}

/**
 * Checks that the user is the instance admin (the one who may change the branding).
 * @throws {AppError} `forbidden` otherwise.
 */
export async function requireInstanceAdmin(ex: Executor, userId: string): Promise<void> {
  const row = await firstRow<{ is_instance_admin: boolean }>(ex, sql`SELECT is_instance_admin FROM users WHERE id = ${userId}`);
  if (row?.is_instance_admin !== true) throw forbidden('Only the instance admin can change the branding.');
}

/** What serving an upload needs from its row, read by {@link canSeeUpload}. */
export interface VisibleUpload {
  kind: 'image' | 'video' | 'audio' | 'file';
  mime_type: string;
  filename: string;
  size_bytes: number;
  storage_key: string;
  thumbnail_key: string | null;
  etag: string;
}

/**
 * The upload `uploadId` (an id parsed with {@link requireId}) when `viewerId` may see it, in one indexed query:
 * the viewer uploaded it; or it is attached to a message (not deleted) of a conversation the viewer
 * participates in now; or it is the profile picture of a user who shares a family with the viewer.
 * @returns null otherwise, the same as for an unknown upload.
 */
export async function canSeeUpload(ex: Executor, uploadId: string, viewerId: string): Promise<VisibleUpload | null> {
  const row = await firstRow<VisibleUpload>(ex, canSeeUploadQuery(uploadId, viewerId), 'can_see_upload');
  return row ? { ...row, size_bytes: Number(row.size_bytes) } : null;
}

/** The statement of {@link canSeeUpload} (tests check its plan uses indexes only). */
export function canSeeUploadQuery(uploadId: string, viewerId: string): SQL {
  return sql`SELECT up.kind, up.mime_type, up.filename, up.size_bytes, up.storage_key, up.thumbnail_key, up.etag
        FROM uploads up
        WHERE up.id = ${uploadId} AND (
          up.uploader_id = ${viewerId}
          OR EXISTS (SELECT 1 FROM messages m JOIN participants p ON ${isParticipant('p', sql`m.conversation_id`, viewerId)}
                     WHERE m.id = up.message_id AND m.deleted_at IS NULL)
          OR EXISTS (SELECT 1 FROM users u
                     JOIN memberships m1 ON m1.user_id = u.id
                     JOIN memberships m2 ON m2.family_id = m1.family_id AND m2.user_id = ${viewerId}
                     WHERE u.id = up.uploader_id AND u.avatar_upload_id = up.id))`;
}

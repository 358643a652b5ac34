/**
 * The one place that decides who may see what. REST routes and WebSocket joins both call it;
 * "does not exist" and "not yours" produce the identical `not_found`.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { firstRow } from '../db/connect.js';
import { notFound } from '../errors.js';
import { withSpan } from '../telemetry/tracing.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID (anything else cannot name a row, and must not reach SQL as one). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The node-wide bus topic announcing that a user lost access to a conversation or a family:
 * `{user_id, conversation_id}` or `{user_id, family_id}`. Their open channels for it close at once.
 */
export const ACCESS_REVOKED_TOPIC = 'access-revocations';

/** Conversation types. */
export type ConversationType = 'direct' | 'self' | 'group' | 'family';

/** What the access check learns about a conversation the caller may see. */
export interface ConversationAccess {
  id: string;
  type: ConversationType;
  familyId: string | null;
  /** The caller's role in the conversation (group admins manage groups). */
  role: 'admin' | 'member';
  /** The caller's role in the conversation's family, when it has one and the caller is a member. */
  familyRole: 'admin' | 'member' | null;
}

/**
 * Checks that `userId` participates in `conversationId`.
 * @throws {AppError} `not_found`, identical for a missing conversation and someone else's.
 */
export async function requireParticipant(
  ex: Executor,
  conversationId: string,
  userId: string,
): Promise<ConversationAccess> {
  return withSpan(
    'chat.check_access',
    { 'famichat.conversation_id': conversationId, 'famichat.user_id': userId },
    async () => {
      if (!isUuid(conversationId)) throw notFound('conversation');
      const row = await firstRow<{ id: string; type: ConversationType; family_id: string | null; role: 'admin' | 'member'; family_role: 'admin' | 'member' | null }>(
        ex,
        sql`SELECT c.id, c.type, c.family_id, p.role, m.role AS family_role
            FROM conversations c
            JOIN participants p ON p.conversation_id = c.id AND p.user_id = ${userId}
            LEFT JOIN memberships m ON m.family_id = c.family_id AND m.user_id = ${userId}
            WHERE c.id = ${conversationId}`,
        'require_participant',
      );
      if (!row) throw notFound('conversation');
      return { id: row.id, type: row.type, familyId: row.family_id, role: row.role, familyRole: row.family_role };
    },
  );
}

/**
 * Checks that `userId` is a member of `familyId` and returns their role.
 * @throws {AppError} `not_found`, identical for a missing family and someone else's.
 */
export async function requireFamilyMember(
  ex: Executor,
  familyId: string,
  userId: string,
): Promise<'admin' | 'member'> {
  if (!isUuid(familyId)) throw notFound('family');
  const row = await firstRow<{ role: 'admin' | 'member' }>(
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

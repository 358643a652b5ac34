/**
 * Changing a conversation: hiding it for oneself, renaming a group, adding and removing group participants.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { notFound, validationFailed } from '../errors.js';
import type { ConversationAccess } from './access.js';
import { requireParticipant, requirePermission } from './access.js';
import { checkTitle } from './conversation-creation.js';
import { forgetShapes } from './conversation-shapes.js';
import { announce } from './conversation-updates.js';
import { getConversation } from './conversation-views.js';
import type { ConversationView } from '../contract/objects.js';

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
    await announce(deps, { change: 'updated', conversationId });
  }
  return getConversation(deps.db, userId, conversationId);
}

/** The caller's access to a group whose participants they would change. */
async function requireGroup(deps: Deps, conversationId: string, userId: string): Promise<ConversationAccess> {
  const access = await requireParticipant(deps.db, conversationId, userId);
  if (access.type !== 'group') throw validationFailed({ conversation: 'participants can only be changed in groups' });
  return access;
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
  const access = await requireGroup(deps, conversationId, userId);
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
    await announce(deps, { change: 'created', conversationId, userIds: [newUserId] });
    await announce(deps, { change: 'updated', conversationId });
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
  const access = await requireGroup(deps, conversationId, userId);
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
  await announce(deps, { change: 'left', conversationId, userId: targetId });
  await announce(deps, { change: 'updated', conversationId });
}

/** Promotes the longest-standing participant when a group has none left. Call with the conversation row locked. */
export async function ensureGroupAdmin(ex: Executor, conversationId: string): Promise<void> {
  await ex.execute(sql`UPDATE participants SET role = 'admin'
    WHERE conversation_id = ${conversationId}
      AND NOT EXISTS (SELECT 1 FROM participants WHERE conversation_id = ${conversationId} AND role = 'admin')
      AND user_id = (SELECT user_id FROM participants WHERE conversation_id = ${conversationId}
                     ORDER BY joined_at, user_id LIMIT 1)`);
}

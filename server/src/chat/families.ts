/**
 * Families: creation (with their family conversation), listing, members and roles.
 * The family conversation always has exactly the family's current members as participants.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { toUser } from '../user-view.js';
import { publish } from '../bus/bus.js';
import type { Executor } from '../db/connect.js';
import { firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { conflict, notFound, validationFailed } from '../errors.js';
import { requireFamilyMember, requirePermission } from './access.js';
import { ensureGroupAdmin } from './conversation-membership.js';
import { announce } from './conversation-updates.js';
import { ACCESS_REVOKED_TOPIC, familyTopic } from './topics.js';
import type { FamilyDetailView, FamilyView, MemberView } from '../contract/objects.js';

/** Roles in a family. */
export type FamilyRole = 'admin' | 'member';

/** The columns of a user that {@link toUser} shows. */
interface PublicUserRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
  avatar_upload_id: string | null;
}

/** A member's user columns with their membership. */
type MemberRow = PublicUserRow & { role: FamilyRole; joined_at: Date };

/** The columns of a {@link MemberRow}, from `memberships m JOIN users u`. */
const MEMBER_COLUMNS = sql`u.id, u.username, u.display_name, u.created_at, u.avatar_upload_id, m.role, m.joined_at`;

/**
 * Checks a family name: 1-64 characters after trimming.
 * @throws {AppError} `validation_failed`.
 */
export function checkFamilyName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 64) throw validationFailed({ [field]: 'must be 1-64 characters after trimming' });
  return trimmed;
}

/** Creates a family, its admin membership and its family conversation, inside the caller's transaction. */
export async function insertFamily(
  ex: Executor,
  userId: string,
  name: string,
): Promise<{ family: FamilyView; conversationId: string }> {
  const familyId = randomUUID();
  const conversationId = randomUUID();
  const row = await firstRow<{ created_at: Date }>(
    ex,
    sql`INSERT INTO families (id, name) VALUES (${familyId}, ${name}) RETURNING created_at`,
  );
  await ex.execute(sql`INSERT INTO memberships (family_id, user_id, role) VALUES (${familyId}, ${userId}, 'admin')`);
  await ex.execute(sql`INSERT INTO conversations (id, type, family_id, unique_key)
    VALUES (${conversationId}, 'family', ${familyId}, ${`family:${familyId}`})`);
  await ex.execute(sql`INSERT INTO participants (conversation_id, user_id) VALUES (${conversationId}, ${userId})`);
  return {
    family: { id: familyId, name, created_at: new Date(row!.created_at).toISOString(), role: 'admin' },
    conversationId,
  };
}

/**
 * Creates a family; the caller becomes its admin.
 * @throws {AppError} `validation_failed` for a bad name.
 */
export async function createFamily(deps: Deps, userId: string, name: string): Promise<FamilyView> {
  const checked = checkFamilyName(name);
  const { family, conversationId } = await deps.db.transaction((tx) => insertFamily(tx, userId, checked));
  await announce(deps, { change: 'created', conversationId, userIds: [userId] });
  return family;
}

/** The caller's families, oldest first. */
export async function listFamilies(deps: Deps, userId: string): Promise<FamilyView[]> {
  const list = await rows<{ id: string; name: string; created_at: Date; role: FamilyRole }>(
    deps.db,
    sql`SELECT f.id, f.name, f.created_at, m.role FROM memberships m JOIN families f ON f.id = m.family_id
        WHERE m.user_id = ${userId} ORDER BY f.created_at, f.id`,
  );
  return list.map((f) => ({ id: f.id, name: f.name, created_at: new Date(f.created_at).toISOString(), role: f.role }));
}

/**
 * A family with its members (members only).
 * @throws {AppError} `not_found`, identical for a missing family and someone else's.
 */
export async function getFamily(deps: Deps, userId: string, familyId: string): Promise<FamilyDetailView> {
  const role = await requireFamilyMember(deps.db, familyId, userId);
  const family = await firstRow<{ id: string; name: string; created_at: Date; conversation_id: string }>(
    deps.db,
    sql`SELECT f.id, f.name, f.created_at, c.id AS conversation_id FROM families f
        JOIN conversations c ON c.family_id = f.id AND c.type = 'family' WHERE f.id = ${familyId}`,
  );
  if (!family) throw notFound('family');
  const members = await rows<MemberRow>(
    deps.db,
    sql`SELECT ${MEMBER_COLUMNS}
        FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.family_id = ${familyId}
        ORDER BY m.joined_at, u.id`,
  );
  return {
    id: family.id,
    name: family.name,
    created_at: new Date(family.created_at).toISOString(),
    role,
    conversation_id: family.conversation_id,
    members: members.map((m) => ({ user: toUser(m), role: m.role, joined_at: new Date(m.joined_at).toISOString() })),
  };
}

/** Adds a user to a family and its family conversation, inside the caller's transaction. */
export async function insertMember(ex: Executor, familyId: string, userId: string, role: FamilyRole): Promise<void> {
  await ex.execute(sql`INSERT INTO memberships (family_id, user_id, role) VALUES (${familyId}, ${userId}, ${role})
    ON CONFLICT DO NOTHING`);
  await ex.execute(sql`INSERT INTO participants (conversation_id, user_id)
    SELECT id, ${userId} FROM conversations WHERE family_id = ${familyId} AND type = 'family' ON CONFLICT DO NOTHING`);
}

/** Publishes what follows a new member joining: the member_joined event and the updated family conversation. */
export async function announceMemberJoined(deps: Deps, familyId: string, userId: string): Promise<void> {
  const user = await firstRow<PublicUserRow>(
    deps.db,
    sql`SELECT id, username, display_name, created_at, avatar_upload_id FROM users WHERE id = ${userId}`,
  );
  await publish(deps.bus, { topic: familyTopic(familyId), event: 'member_joined', payload: { user: toUser(user!) } });
  const conversation = await firstRow<{ id: string }>(
    deps.db,
    sql`SELECT id FROM conversations WHERE family_id = ${familyId} AND type = 'family'`,
  );
  if (conversation) await announce(deps, { change: 'updated', conversationId: conversation.id });
}

async function lockMembership(ex: Executor, familyId: string, callerId: string, targetId: string) {
  // The family row lock serialises every admin change in the family (no "check then update" race).
  await ex.execute(sql`SELECT id FROM families WHERE id = ${familyId} FOR UPDATE`);
  const callerRole = await requireFamilyMember(ex, familyId, callerId);
  const target = await firstRow<{ role: FamilyRole }>(
    ex,
    sql`SELECT role FROM memberships WHERE family_id = ${familyId} AND user_id = ${targetId}`,
  );
  const admins = await firstRow<{ n: number }>(
    ex,
    sql`SELECT count(*)::int AS n FROM memberships WHERE family_id = ${familyId} AND role = 'admin'`,
  );
  return { callerRole, targetRole: target?.role, adminCount: admins?.n ?? 0 };
}

// Invites die with their creator's admin rights, for good: promoting the creator again does not revive them.
// (Consuming an invite checks the creator's role too, so one racing with this change cannot slip through.)
async function withdrawInvitesOf(ex: Executor, familyId: string, userId: string): Promise<void> {
  await ex.execute(sql`UPDATE invites SET revoked_at = now()
    WHERE family_id = ${familyId} AND created_by = ${userId} AND used_at IS NULL AND revoked_at IS NULL`);
}

/**
 * Changes a member's role (family admins only). A family always keeps one admin.
 * @throws {AppError} `not_found` (family or member), `forbidden` (not an admin), `conflict` `last_admin`.
 */
export async function setMemberRole(
  deps: Deps,
  callerId: string,
  familyId: string,
  targetId: string,
  role: FamilyRole,
): Promise<MemberView> {
  await deps.db.transaction(async (tx) => {
    const { callerRole, targetRole, adminCount } = await lockMembership(tx, familyId, callerId, targetId);
    requirePermission('changeFamilyRoles', { userId: callerId, familyRole: callerRole });
    if (!targetRole) throw notFound('member');
    if (targetRole === 'admin' && role === 'member' && adminCount <= 1) {
      throw conflict('last_admin', 'A family needs at least one admin.');
    }
    await tx.execute(sql`UPDATE memberships SET role = ${role} WHERE family_id = ${familyId} AND user_id = ${targetId}`);
    if (role === 'member') await withdrawInvitesOf(tx, familyId, targetId);
  });
  const member = await firstRow<MemberRow>(
    deps.db,
    sql`SELECT ${MEMBER_COLUMNS}
        FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.family_id = ${familyId} AND m.user_id = ${targetId}`,
  );
  return { user: toUser(member!), role: member!.role, joined_at: new Date(member!.joined_at).toISOString() };
}

/**
 * Removes a member (family admins), or leaves (any member removing themselves). The user also leaves
 * the family conversation and the family's groups, at once. A family always keeps one admin.
 * @throws {AppError} `not_found` (family or member), `forbidden`, `conflict` `last_admin`.
 */
export async function removeMember(deps: Deps, callerId: string, familyId: string, targetId: string): Promise<void> {
  const left = await deps.db.transaction(async (tx) => {
    const { callerRole, targetRole, adminCount } = await lockMembership(tx, familyId, callerId, targetId);
    requirePermission('removeFamilyMember', { userId: callerId, familyRole: callerRole, subjectId: targetId });
    if (!targetRole) throw notFound('member');
    if (targetRole === 'admin' && adminCount <= 1) throw conflict('last_admin', 'A family needs at least one admin.');
    await tx.execute(sql`DELETE FROM memberships WHERE family_id = ${familyId} AND user_id = ${targetId}`);
    await withdrawInvitesOf(tx, familyId, targetId);
    const removed = await rows<{ conversation_id: string; type: string }>(
      tx,
      sql`DELETE FROM participants p USING conversations c
          WHERE p.conversation_id = c.id AND c.family_id = ${familyId} AND p.user_id = ${targetId}
          RETURNING p.conversation_id, c.type`,
    );
    for (const r of removed) if (r.type === 'group') await ensureGroupAdmin(tx, r.conversation_id);
    return removed;
  });
  const user = await firstRow<PublicUserRow>(
    deps.db,
    sql`SELECT id, username, display_name, created_at, avatar_upload_id FROM users WHERE id = ${targetId}`,
  );
  await publish(deps.bus, { topic: ACCESS_REVOKED_TOPIC, event: 'family_access_revoked', payload: { user_id: targetId, family_id: familyId } });
  if (user) await publish(deps.bus, { topic: familyTopic(familyId), event: 'member_left', payload: { user: toUser(user) } });
  for (const r of left) {
    await announce(deps, { change: 'left', conversationId: r.conversation_id, userId: targetId });
    await announce(deps, { change: 'updated', conversationId: r.conversation_id });
  }
}

/**
 * Invitations: a family admin creates a single-use link; a new person registers with it.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { isUniqueViolation, firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, conflict, forbidden } from '../errors.js';
import { requireFamilyMember } from '../chat/access.js';
import type { FamilyRole, FamilyView } from '../chat/families.js';
import { announceMemberJoined, insertMember } from '../chat/families.js';
import { hashPassword } from './passwords.js';
import { createSession } from './sessions.js';
import { hashToken, newToken } from './tokens.js';
import type { MeView, UserRow } from './users.js';
import { USER_COLUMNS, checkNewUser, toMe } from './users.js';

/** A created invite; the token is shown only here. */
export interface InviteView {
  token: string;
  expires_at: string;
  role: FamilyRole;
}

/**
 * Creates a single-use invite into a family (family admins only).
 * @throws {AppError} `not_found` (not a member), `forbidden` (a member but not an admin).
 */
export async function createInvite(deps: Deps, userId: string, familyId: string, role: FamilyRole): Promise<InviteView> {
  const callerRole = await requireFamilyMember(deps.db, familyId, userId);
  if (callerRole !== 'admin') throw forbidden('Only a family admin can invite people.');
  const token = newToken('fci');
  const expiresAt = new Date(Date.now() + deps.config.inviteTtlMs);
  await deps.db.execute(sql`INSERT INTO invites (id, family_id, token_hash, role, created_by, expires_at)
    VALUES (${randomUUID()}, ${familyId}, ${hashToken(token)}, ${role}, ${userId}, ${expiresAt})`);
  return { token, expires_at: expiresAt.toISOString(), role };
}

/** Registration input. */
export interface RegisterInput {
  invite_token: string;
  username: string;
  password: string;
  display_name: string;
}

/**
 * Creates an account from an invite and joins the invite's family with the invite's role.
 * The invite is consumed in the same transaction (`UPDATE ... WHERE used_at IS NULL`): of concurrent
 * registrations with one invite exactly one succeeds; a taken username leaves the invite unused.
 * @throws {AppError} `validation_failed`, `gone` (unknown, used or expired invite), `conflict` `username_taken`.
 */
export async function register(
  deps: Deps,
  input: RegisterInput,
): Promise<{ user: MeView; family: FamilyView; token: string; session_id: string }> {
  const { username, password, displayName } = checkNewUser(input);
  const passwordHash = await hashPassword(password);
  const userId = randomUUID();
  let result;
  try {
    result = await deps.db.transaction(async (tx) => {
      const invite = await firstRow<{ family_id: string; role: FamilyRole }>(
        tx,
        sql`UPDATE invites SET used_at = now(), used_by = NULL
            WHERE token_hash = ${hashToken(input.invite_token)} AND used_at IS NULL AND expires_at > now()
            RETURNING family_id, role`,
      );
      if (!invite) throw new AppError('gone', 'This invite has expired or has already been used.');
      const user = await firstRow<UserRow>(
        tx,
        sql`INSERT INTO users AS u (id, username, display_name, password_hash)
            VALUES (${userId}, ${username}, ${displayName}, ${passwordHash}) RETURNING ${USER_COLUMNS}`,
      );
      await tx.execute(sql`UPDATE invites SET used_by = ${userId} WHERE token_hash = ${hashToken(input.invite_token)}`);
      await insertMember(tx, invite.family_id, userId, invite.role);
      const family = await firstRow<{ id: string; name: string; created_at: Date }>(
        tx,
        sql`SELECT id, name, created_at FROM families WHERE id = ${invite.family_id}`,
      );
      const session = await createSession(tx, userId, null, deps.config.sessionTtlMs);
      return {
        user: await toMe(deps, user!),
        family: {
          id: family!.id,
          name: family!.name,
          created_at: new Date(family!.created_at).toISOString(),
          role: invite.role,
        },
        token: session.token,
        session_id: session.sessionId,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_username_key')) throw conflict('username_taken', 'That username is taken.');
    throw error;
  }
  await announceMemberJoined(deps, result.family.id, userId);
  return result;
}

/**
 * Invitations: a family admin creates a single-use link; a new person registers with it.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { isUniqueViolation, firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, conflict, notFound } from '../errors.js';
import { requireInviteManager } from '../chat/access.js';
import { addressKey, limitFailures } from '../rate-limit.js';
import type { FamilyRole } from '../chat/families.js';
import { announceMemberJoined, insertMember } from '../chat/families.js';
import { hashPassword } from './passwords.js';
import { createSession } from './sessions.js';
import { hashToken, newToken } from './tokens.js';
import { toUser } from '../user-view.js';
import type { UserRow } from './users.js';
import { USER_COLUMNS, checkNewUser, toMe } from './users.js';
import type { FamilyView, InvitePreviewView, InviteView, MeView, OpenInviteView } from '../contract/objects.js';


/**
 * The conditions under which invite `i` may still be used: unused, unrevoked, unexpired, and its creator
 * still an admin of its family (a membership `m` joined on `created_by`, so the check is part of whichever
 * statement reads or consumes the invite).
 */
const OPEN = sql`i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
  AND m.family_id = i.family_id AND m.user_id = i.created_by AND m.role = 'admin'`;

const GONE_MESSAGE = 'This invite has expired, has been used or withdrawn, or its creator can no longer invite.';

/**
 * Creates a single-use invite into a family (family admins only).
 * @throws {AppError} `not_found` (not a member), `forbidden` (a member but not an admin).
 */
export async function createInvite(deps: Deps, userId: string, familyId: string, role: FamilyRole): Promise<InviteView> {
  await requireInviteManager(deps.db, familyId, userId);
  const id = randomUUID();
  const token = newToken('fci');
  const expiresAt = new Date(Date.now() + deps.config.inviteTtlMs);
  await deps.db.execute(sql`INSERT INTO invites (id, family_id, token_hash, role, created_by, expires_at)
    VALUES (${id}, ${familyId}, ${hashToken(token)}, ${role}, ${userId}, ${expiresAt})`);
  return { id, token, expires_at: expiresAt.toISOString(), role };
}

/**
 * Lists a family's open invites, newest first (family admins only).
 * @throws {AppError} `not_found` (not a member, identical to an unknown family), `forbidden` (not an admin).
 */
export async function listInvites(deps: Deps, userId: string, familyId: string): Promise<OpenInviteView[]> {
  await requireInviteManager(deps.db, familyId, userId);
  const list = await rows<{
    id: string;
    role: FamilyRole;
    created_at: Date;
    expires_at: Date;
    user_id: string;
    username: string;
    display_name: string;
    user_created_at: Date;
    avatar_upload_id: string | null;
  }>(
    deps.db,
    sql`SELECT i.id, i.role, i.created_at, i.expires_at,
               u.id AS user_id, u.username, u.display_name, u.created_at AS user_created_at, u.avatar_upload_id
        FROM invites i JOIN memberships m ON m.family_id = i.family_id AND m.user_id = i.created_by
        JOIN users u ON u.id = i.created_by
        WHERE i.family_id = ${familyId} AND ${OPEN}
        ORDER BY i.created_at DESC, i.id`,
  );
  return list.map((r) => ({
    id: r.id,
    role: r.role,
    created_by: toUser({ id: r.user_id, username: r.username, display_name: r.display_name, created_at: r.user_created_at, avatar_upload_id: r.avatar_upload_id }),
    created_at: new Date(r.created_at).toISOString(),
    expires_at: new Date(r.expires_at).toISOString(),
  }));
}

/**
 * Withdraws an invite of a family (family admins only); it can no longer be used. Withdrawing one
 * again, or one already used, changes nothing and succeeds.
 * @throws {AppError} `not_found` (unknown family or invite, or an invite of another family), `forbidden`.
 */
export async function revokeInvite(deps: Deps, userId: string, familyId: string, inviteId: string): Promise<void> {
  await requireInviteManager(deps.db, familyId, userId);
  const row = await firstRow<{ id: string }>(
    deps.db,
    sql`UPDATE invites SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = ${inviteId} AND family_id = ${familyId} RETURNING id`,
  );
  if (!row) throw notFound('invite');
}

/**
 * What an invite link leads to: the family, the role and who invites (public: the token is the secret).
 * @throws {AppError} `not_found` (unknown token), `gone` (used, expired, withdrawn, or its creator no longer an admin;
 *   `details.invited_by` names the creator while they have an account).
 */
export async function previewInvite(deps: Deps, token: string): Promise<InvitePreviewView> {
  const row = await firstRow<{ family_name: string; role: FamilyRole; invited_by: string; expires_at: Date; open: boolean }>(
    deps.db,
    sql`SELECT f.name AS family_name, i.role, u.display_name AS invited_by, i.expires_at, (m.user_id IS NOT NULL) AS open
        FROM invites i JOIN families f ON f.id = i.family_id
        LEFT JOIN users u ON u.id = i.created_by
        LEFT JOIN memberships m ON ${OPEN}
        WHERE i.token_hash = ${hashToken(token)}`,
  );
  if (!row) throw notFound('invite');
  // An open invite's creator is a member, so `invited_by` (a left join) is set whenever `open` is. A dead link
  // still names its creator (when there is one) to whoever holds it, so the page can say whom to ask for a new one.
  if (!row.open) throw new AppError('gone', GONE_MESSAGE, row.invited_by === null ? undefined : { invited_by: row.invited_by });
  return {
    family_name: row.family_name,
    role: row.role,
    invited_by: row.invited_by,
    expires_at: new Date(row.expires_at).toISOString(),
  };
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
 * Cheap failures first: the address's failure budget, the input, then the invite, all before the
 * password is hashed (argon2 is the expensive part, so a flood of bogus tokens costs no hashing).
 * The invite is consumed in the same transaction by one `UPDATE ... WHERE used_at IS NULL` that also
 * requires its creator to still be a family admin: of concurrent registrations with one invite exactly
 * one succeeds; a taken username leaves the invite unused. Every failure counts against the address
 * (an unexpected one too: it is counted before the attempt).
 * @throws {AppError} `rate_limited`, `validation_failed`, `gone` (unknown, used, expired, withdrawn or dead invite), `conflict` `username_taken`.
 */
export async function register(
  deps: Deps,
  input: RegisterInput,
  ip: string,
): Promise<{ user: MeView; family: FamilyView; token: string; session_id: string }> {
  return limitFailures(deps.limiters.registerPerIp, `ip:${addressKey(ip)}`, 'failed registrations from this address', () =>
    registerChecked(deps, input),
  );
}

async function registerChecked(
  deps: Deps,
  input: RegisterInput,
): Promise<{ user: MeView; family: FamilyView; token: string; session_id: string }> {
  const { username, password, displayName } = checkNewUser(input);
  const tokenHash = hashToken(input.invite_token);
  const open = await firstRow<{ family_id: string }>(
    deps.db,
    sql`SELECT i.family_id FROM invites i JOIN memberships m ON ${OPEN} WHERE i.token_hash = ${tokenHash}`,
  );
  if (!open) throw new AppError('gone', GONE_MESSAGE);
  const passwordHash = await hashPassword(password);
  const userId = randomUUID();
  let result;
  try {
    result = await deps.db.transaction(async (tx) => {
      // The family row first, as role changes lock it first: a demotion racing with this waits or is waited
      // for, never deadlocks (its invite withdrawal against our new membership's key lock on the family).
      await tx.execute(sql`SELECT id FROM families WHERE id = ${open.family_id} FOR KEY SHARE`);
      // The check above was only a shortcut: this statement decides, atomically, with the creator's role.
      const invite = await firstRow<{ family_id: string; role: FamilyRole }>(
        tx,
        sql`UPDATE invites i SET used_at = now(), used_by = NULL FROM memberships m
            WHERE i.token_hash = ${tokenHash} AND ${OPEN}
            RETURNING i.family_id, i.role`,
      );
      if (!invite) throw new AppError('gone', GONE_MESSAGE);
      const user = await firstRow<UserRow>(
        tx,
        sql`INSERT INTO users AS u (id, username, display_name, password_hash)
            VALUES (${userId}, ${username}, ${displayName}, ${passwordHash}) RETURNING ${USER_COLUMNS}`,
      );
      await tx.execute(sql`UPDATE invites SET used_by = ${userId} WHERE token_hash = ${tokenHash}`);
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

/**
 * Changing a password: by its owner with the current one, or with a single-use reset link that a family
 * admin gives a member who forgot theirs. Either way every other session of that person ends.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { requireFamilyMember, requirePermission } from '../chat/access.js';
import type { Executor } from '../db/connect.js';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, notFound, validationFailed } from '../errors.js';
import { addressKey, limitFailures } from '../rate-limit.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Caller } from './session-cache.js';
import { announceRevoked, createSession, endSessions, passwordAttempt } from './sessions.js';
import { hashToken, newToken } from './tokens.js';
import type { MeView, PasswordResetPreviewView, PasswordResetView } from '../contract/objects.js';
import type { UserRow } from './users.js';
import { USER_COLUMNS, checkPassword, toMe } from './users.js';

/** How long a reset link works: long enough to pass it on by phone, short enough to be a one-off. */
export const RESET_TTL_MS = 24 * 3600 * 1000;

/** Input of a password change by its owner. */
export interface PasswordChange {
  current_password: string;
  new_password: string;
}

/**
 * Changes the caller's password after checking the current one, and ends every other session of theirs
 * (and any open reset link). Attempts count against the login limits of the account, so this is no way
 * around them to guess a password with a stolen token.
 * @throws {AppError} `validation_failed` (`details.fields.new_password`, or `current_password` when it is
 *   wrong: a form shows it beside the field, where a 401 would log the client out), `rate_limited`.
 */
export async function changePassword(deps: Deps, caller: Caller, input: PasswordChange, ip: string): Promise<void> {
  const fields: Record<string, string> = {};
  checkPassword(input.new_password, fields, 'new_password');
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  // A live session's user exists (sessions are deleted with their user).
  const row = (await firstRow<{ username: string; password_hash: string }>(
    deps.db,
    sql`SELECT username, password_hash FROM users WHERE id = ${caller.userId}`,
  ))!;
  const attempt = passwordAttempt(deps, row.username, ip);
  if (!(await verifyPassword(row.password_hash, input.current_password))) {
    attempt.failed();
    throw validationFailed({ current_password: 'is not your current password' }, 'The current password is wrong.');
  }
  attempt.succeeded();
  const passwordHash = await hashPassword(input.new_password);
  const ended = await deps.db.transaction(async (tx) => {
    await storePassword(tx, caller.userId, passwordHash);
    return endSessions(tx, caller.userId, caller.sessionId);
  });
  await announceRevoked(deps, ended);
}

/** Stores a new password hash and withdraws the user's open reset links (the password they were for is gone). */
async function storePassword(ex: Executor, userId: string, passwordHash: string): Promise<void> {
  await ex.execute(sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${userId}`);
  await ex.execute(sql`UPDATE password_resets SET revoked_at = now()
    WHERE user_id = ${userId} AND used_at IS NULL AND revoked_at IS NULL`);
}

/**
 * The conditions under which reset link `r` still works: unused, not withdrawn, unexpired, its creator still an
 * admin of its family and its user still a member (like an invite, a link dies with its creator's role).
 */
const OPEN = sql`r.used_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now()
  AND EXISTS (SELECT 1 FROM memberships a WHERE a.family_id = r.family_id AND a.user_id = r.created_by AND a.role = 'admin')
  AND EXISTS (SELECT 1 FROM memberships t WHERE t.family_id = r.family_id AND t.user_id = r.user_id)`;

const GONE_MESSAGE = 'This password-reset link has expired, has been used or replaced, or its creator can no longer give one.';

/**
 * Creates a single-use password-reset link for a member of a family (family admins; the instance admin's
 * password only by the instance admin). A new link for the same person withdraws the older ones.
 * @throws {AppError} `not_found` (unknown family, the caller or the person not in it), `forbidden`.
 */
export async function createPasswordReset(deps: Deps, callerId: string, familyId: string, userId: string): Promise<PasswordResetView> {
  const familyRole = await requireFamilyMember(deps.db, familyId, callerId);
  requirePermission('resetMemberPassword', { userId: callerId, familyRole });
  const facts = await firstRow<{ subject: boolean; caller: boolean }>(
    deps.db,
    sql`SELECT t.is_instance_admin AS subject, c.is_instance_admin AS caller
        FROM memberships m JOIN users t ON t.id = m.user_id JOIN users c ON c.id = ${callerId}
        WHERE m.family_id = ${familyId} AND m.user_id = ${userId}`,
  );
  if (!facts) throw notFound('member');
  requirePermission('resetMemberPassword', {
    userId: callerId,
    familyRole,
    subjectId: userId,
    isInstanceAdmin: facts.caller,
    subjectIsInstanceAdmin: facts.subject,
  });
  const token = newToken('fcr');
  const expiresAt = new Date(Date.now() + RESET_TTL_MS);
  await deps.db.transaction(async (tx) => {
    // The person's row serialises link creation for them: of two links made at once, the later voids the earlier.
    await tx.execute(sql`SELECT id FROM users WHERE id = ${userId} FOR NO KEY UPDATE`);
    await tx.execute(sql`UPDATE password_resets SET revoked_at = now()
      WHERE user_id = ${userId} AND used_at IS NULL AND revoked_at IS NULL`);
    await tx.execute(sql`INSERT INTO password_resets (id, user_id, family_id, token_hash, created_by, expires_at)
      VALUES (${randomUUID()}, ${userId}, ${familyId}, ${hashToken(token)}, ${callerId}, ${expiresAt})`);
  });
  return { token, expires_at: expiresAt.toISOString() };
}

/**
 * The reset link of `token`, if it still works.
 * @throws {AppError} `not_found` (unknown token), `gone` (used, expired, replaced, or dead).
 */
async function openReset(ex: Executor, token: string): Promise<PasswordResetPreviewView> {
  const row = await firstRow<{ username: string; display_name: string; expires_at: Date; open: boolean }>(
    ex,
    sql`SELECT u.username, u.display_name, r.expires_at, (${OPEN}) AS open
        FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = ${hashToken(token)}`,
  );
  if (!row) throw notFound('password-reset link');
  if (!row.open) throw new AppError('gone', GONE_MESSAGE);
  return { username: row.username, display_name: row.display_name, expires_at: new Date(row.expires_at).toISOString() };
}

/**
 * Whose password a reset link resets (public: the token is the secret).
 * @throws {AppError} `not_found` (unknown token), `gone` (used, expired, replaced, or dead).
 */
export function previewPasswordReset(deps: Deps, token: string): Promise<PasswordResetPreviewView> {
  return openReset(deps.db, token);
}

/** Input of a password reset with a link. */
export interface PasswordResetInput {
  token: string;
  password: string;
}

/**
 * Sets a new password with a reset link and logs in: every older session of that person ends. The link is
 * used up by one `UPDATE ... WHERE used_at IS NULL`, so of two resets at once exactly one wins. Cheap checks
 * come before the password is hashed; failures count against the address like failed registrations.
 * @throws {AppError} `rate_limited`, `validation_failed` (`details.fields.password`), `not_found` (unknown
 *   link), `gone` (used, expired, replaced, or dead).
 */
export async function resetPassword(
  deps: Deps,
  input: PasswordResetInput,
  ip: string,
): Promise<{ user: MeView; token: string; session_id: string }> {
  return limitFailures(deps.limiters.resetPerIp, `ip:${addressKey(ip)}`, 'failed password resets from this address', async () => {
    const fields: Record<string, string> = {};
    checkPassword(input.password, fields);
    if (Object.keys(fields).length > 0) throw validationFailed(fields);
    await openReset(deps.db, input.token);
    const passwordHash = await hashPassword(input.password);
    const { result, ended } = await deps.db.transaction(async (tx) => {
      // The check above was a shortcut: this statement decides, atomically.
      const used = await firstRow<{ user_id: string }>(
        tx,
        sql`UPDATE password_resets r SET used_at = now() WHERE r.token_hash = ${hashToken(input.token)} AND ${OPEN} RETURNING r.user_id`,
      );
      if (!used) throw new AppError('gone', GONE_MESSAGE);
      await storePassword(tx, used.user_id, passwordHash);
      const endedIds = await endSessions(tx, used.user_id, null);
      const session = await createSession(tx, used.user_id, null, deps.config.sessionTtlMs);
      const user = await firstRow<UserRow>(tx, sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${used.user_id}`);
      return { result: { user: await toMe(deps, user!), token: session.token, session_id: session.sessionId }, ended: endedIds };
    });
    await announceRevoked(deps, ended);
    return result;
  });
}

/**
 * Users: their public and private views, input rules, and the caller's own profile (`/me`).
 * @module
 */
import { sql } from 'drizzle-orm';
import { themeExists } from '../branding/branding.js';
import { forgetShapes } from '../chat/conversation-shapes.js';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { notFound, validationFailed } from '../errors.js';
import { toUser } from '../user-view.js';
import type { MeView } from '../contract/objects.js';

/** A `users` row as read by the queries here. */
export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
  theme: string | null;
  is_instance_admin: boolean;
}

/** Columns selected for a {@link UserRow}. */
export const USER_COLUMNS = sql`u.id, u.username, u.display_name, u.created_at, u.theme, u.is_instance_admin`;

/**
 * The private view of a user row. A theme preference whose theme is gone (the admin removed it, or the
 * deployment's themes file changed) reads as null: the user sees the default theme.
 */
export async function toMe(deps: Deps, row: UserRow): Promise<MeView> {
  const theme = row.theme !== null && (await themeExists(deps, row.theme)) ? row.theme : null;
  return { ...toUser(row), preferences: { theme }, is_instance_admin: row.is_instance_admin };
}

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

/**
 * Normalises and checks registration input; collects every problem.
 * @throws {AppError} `validation_failed` with `details.fields`.
 */
export function checkNewUser(input: { username: string; password: string; display_name: string }): {
  username: string;
  password: string;
  displayName: string;
} {
  const fields: Record<string, string> = {};
  const username = input.username.trim().toLowerCase();
  if (!USERNAME.test(username)) fields.username = 'must be 3-32 characters of a-z, 0-9, _ . -';
  checkPassword(input.password, fields);
  const displayName = checkDisplayName(input.display_name, fields);
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  return { username, password: input.password, displayName };
}

/** Records a problem in `fields` when a new password is not 8-256 characters (it is used as typed, never trimmed). */
export function checkPassword(value: string, fields: Record<string, string>, field = 'password'): void {
  const length = [...value].length;
  if (length < 8 || length > 256) fields[field] = 'must be 8-256 characters';
}

/** Trims a display name; records a problem in `fields` when it is not 1-64 characters. */
export function checkDisplayName(value: string, fields: Record<string, string>, field = 'display_name'): string {
  const trimmed = value.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 64) fields[field] = 'must be 1-64 characters after trimming';
  return trimmed;
}

/**
 * Reads a user's own profile.
 * @throws {AppError} `not_found` when the user no longer exists.
 */
export async function getMe(deps: Deps, userId: string): Promise<MeView> {
  const row = await firstRow<UserRow>(deps.db, sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${userId}`);
  if (!row) throw notFound('user');
  return toMe(deps, row);
}

/** Changes to the caller's profile. */
export interface MeUpdate {
  display_name?: string;
  preferences?: { theme?: string | null };
}

/**
 * Updates the caller's display name and/or theme preference.
 * @throws {AppError} `validation_failed` for a bad display name or an unknown theme.
 */
export async function updateMe(deps: Deps, userId: string, update: MeUpdate): Promise<MeView> {
  const fields: Record<string, string> = {};
  const displayName =
    update.display_name === undefined ? undefined : checkDisplayName(update.display_name, fields);
  const theme = update.preferences?.theme;
  if (typeof theme === 'string' && !(await themeExists(deps, theme))) {
    fields['preferences.theme'] = 'is not a known theme';
  }
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  const row = await firstRow<UserRow>(
    deps.db,
    sql`UPDATE users u SET
          display_name = COALESCE(${displayName ?? null}, u.display_name),
          theme = CASE WHEN ${theme !== undefined} THEN ${theme ?? null} ELSE u.theme END
        WHERE u.id = ${userId} RETURNING ${USER_COLUMNS}`,
  );
  if (!row) throw notFound('user');
  // Conversation updates carry participants' names: every node re-reads them.
  if (displayName !== undefined) await forgetShapes(deps);
  return toMe(deps, row);
}

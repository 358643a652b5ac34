/**
 * Users: their public and private views, input rules, and the caller's own profile (`/me`).
 * @module
 */
import { sql } from 'drizzle-orm';
import { themeExists } from '../branding/branding.js';
import { forgetShapes } from '../chat/conversation-shapes.js';
import type { RemovedKeys } from '../chat/attachments.js';
import { removeStoredObjects } from '../chat/attachments.js';
import { announce } from '../chat/conversation-updates.js';
import { firstRow, rows } from '../db/connect.js';
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
  avatar_upload_id: string | null;
}

/** Columns selected for a {@link UserRow}. */
export const USER_COLUMNS = sql`u.id, u.username, u.display_name, u.created_at, u.theme, u.is_instance_admin, u.avatar_upload_id`;

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
  /** The profile picture: one of the caller's image uploads, or null for none. */
  avatar_upload_id?: string | null;
}

/**
 * Updates the caller's display name, theme preference and/or profile picture.
 * @throws {AppError} `validation_failed` for a bad display name, an unknown theme, or an avatar that is not an image upload of the caller's.
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
  if (update.avatar_upload_id !== undefined) await setAvatar(deps, userId, update.avatar_upload_id);
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

/**
 * Sets (or, with null, clears) the caller's profile picture. The previous picture's upload is deleted, row and
 * stored objects, unless a message carries it. Everyone who can see the caller is told through the caller's family
 * conversations (a `conversation_updated` each, whose participants carry the new `avatar_url`), and every node
 * forgets its cached participant profiles, so later conversation updates carry the new picture too.
 * @throws {AppError} `validation_failed` (`avatar_upload_id`) for an upload that is unknown, someone else's, or not an image.
 */
async function setAvatar(deps: Deps, userId: string, uploadId: string | null): Promise<void> {
  const outcome = await deps.db.transaction(async (tx) => {
    // The user row lock orders concurrent changes of one's picture: each sees the picture the previous one set.
    const current = await firstRow<{ avatar_upload_id: string | null }>(tx, sql`SELECT avatar_upload_id FROM users WHERE id = ${userId} FOR UPDATE`);
    if (uploadId !== null) {
      const upload = await firstRow<{ kind: string }>(
        tx,
        sql`SELECT kind FROM uploads WHERE id = ${uploadId} AND uploader_id = ${userId} FOR SHARE`,
      );
      if (!upload) throw validationFailed({ avatar_upload_id: 'is not an upload of yours' }, 'The profile picture does not exist.');
      if (upload.kind !== 'image') throw validationFailed({ avatar_upload_id: `must be an image upload (this one is a ${upload.kind})` }, 'A profile picture must be an image.');
    }
    // No row: the user is gone, and the update below finds nobody either.
    const previous = current?.avatar_upload_id ?? null;
    if (previous === uploadId) return { changed: false, removed: [] };
    await tx.execute(sql`UPDATE users SET avatar_upload_id = ${uploadId} WHERE id = ${userId}`);
    const removed = previous === null ? [] : await rows<{ storage_key: string; thumbnail_key: string | null }>(
      tx,
      sql`DELETE FROM uploads WHERE id = ${previous} AND message_id IS NULL RETURNING storage_key, thumbnail_key`,
    );
    return { changed: true, removed };
  });
  if (!outcome.changed) return;
  await removeStoredObjects(deps.storage, outcome.removed.map((r): RemovedKeys => [r.storage_key, r.thumbnail_key]));
  await forgetShapes(deps);
  const familyConversations = await rows<{ id: string }>(
    deps.db,
    sql`SELECT c.id FROM memberships m JOIN conversations c ON c.family_id = m.family_id AND c.type = 'family' WHERE m.user_id = ${userId}`,
  );
  for (const conversation of familyConversations) await announce(deps, { change: 'updated', conversationId: conversation.id });
}

/**
 * First-run setup: the first user (instance admin) and their family, exactly once.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { checkFamilyName, insertFamily } from '../chat/families.js';
import { hashPassword } from './passwords.js';
import { createSession } from './sessions.js';
import type { UserRow } from './users.js';
import { USER_COLUMNS, checkNewUser, toMe } from './users.js';
import type { FamilyView, MeView } from '../contract/objects.js';

/** Setup input. */
export interface SetupInput {
  username: string;
  password: string;
  display_name: string;
  family_name: string;
}

/** Whether setup has been done (a user exists). */
export async function isSetUp(deps: Deps): Promise<boolean> {
  const row = await firstRow<{ done: boolean }>(deps.db, sql`SELECT EXISTS (SELECT 1 FROM instance) AS done`);
  return row?.done === true;
}

/**
 * Creates the first user (instance admin) and their family. Concurrent calls: exactly one succeeds.
 * @throws {AppError} `validation_failed`; `conflict` with reason `already_setup` once done.
 */
export async function setup(
  deps: Deps,
  input: SetupInput,
): Promise<{ user: MeView; family: FamilyView; token: string; session_id: string }> {
  const { username, password, displayName } = checkNewUser(input);
  const familyName = checkFamilyName(input.family_name, 'family_name');
  if (await isSetUp(deps)) throw conflict('already_setup', 'This Famichat is already set up; log in instead.');
  const passwordHash = await hashPassword(password);
  return deps.db.transaction(async (tx) => {
    // The singleton row is the lock: a second concurrent setup finds it and gives up.
    const claimed = await firstRow<{ id: number }>(
      tx,
      sql`INSERT INTO instance (id) VALUES (1) ON CONFLICT DO NOTHING RETURNING id`,
    );
    if (!claimed) throw conflict('already_setup', 'This Famichat is already set up; log in instead.');
    const user = await firstRow<UserRow>(
      tx,
      sql`INSERT INTO users AS u (id, username, display_name, password_hash, is_instance_admin)
          VALUES (${randomUUID()}, ${username}, ${displayName}, ${passwordHash}, true) RETURNING ${USER_COLUMNS}`,
    );
    const { family } = await insertFamily(tx, user!.id, familyName);
    const session = await createSession(tx, user!.id, null, deps.config.sessionTtlMs);
    return { user: await toMe(deps, user!), family, token: session.token, session_id: session.sessionId };
  });
}

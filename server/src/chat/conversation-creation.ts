/**
 * Creating conversations: the one direct conversation per pair, notes-to-self, and groups inside a family.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, notFound, validationFailed } from '../errors.js';
import { withSpan } from '../telemetry/tracing.js';
import { shareFamily } from './access.js';
import { announce } from './conversation-updates.js';
import { getConversation } from './conversation-views.js';
import type { ConversationView } from '../contract/objects.js';

/** A conversation and whether this call created it. */
export interface Created {
  conversation: ConversationView;
  created: boolean;
}

/**
 * Returns the one direct conversation between the caller and `participantId`, creating it if needed.
 * Order-insensitive and safe under concurrency (unique pair key, INSERT ... ON CONFLICT).
 * @throws {AppError} `validation_failed` for oneself, `not_found` for an unknown user,
 *   `no_shared_family` when the two share no family (nothing is created).
 */
export async function createDirectConversation(deps: Deps, userId: string, participantId: string): Promise<Created> {
  return withSpan(
    'chat.create_direct_conversation',
    { 'famichat.user_id': userId, 'famichat.participant_id': participantId },
    async (span) => {
      if (participantId === userId) {
        throw validationFailed({ participant_id: 'must be someone else (use type "self" for notes)' });
      }
      const other = await firstRow<{ id: string }>(deps.db, sql`SELECT id FROM users WHERE id = ${participantId}`);
      if (!other) throw notFound('user');
      if (!(await shareFamily(deps.db, userId, participantId))) {
        throw new AppError('no_shared_family', 'You can only talk directly with people in one of your families.');
      }
      const key = `direct:${[userId, participantId].sort().join(':')}`;
      const result = await createUnique(deps, key, 'direct', [userId, participantId], userId);
      span.setAttributes({ 'famichat.conversation_id': result.conversation.id, 'famichat.created': result.created });
      return result;
    },
  );
}

/** Returns the caller's notes-to-self conversation, creating it on first use. */
export async function getOrCreateSelfConversation(deps: Deps, userId: string): Promise<Created> {
  return createUnique(deps, `self:${userId}`, 'self', [userId], userId);
}

async function createUnique(
  deps: Deps,
  key: string,
  type: 'direct' | 'self',
  members: string[],
  userId: string,
): Promise<Created> {
  const created = await deps.db.transaction(async (tx) => {
    const row = await firstRow<{ id: string }>(
      tx,
      sql`INSERT INTO conversations (id, type, unique_key) VALUES (${randomUUID()}, ${type}, ${key})
          ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
    );
    if (row) await addParticipants(tx, row.id, members, 'member');
    return row !== undefined;
  });
  const existing = await firstRow<{ id: string }>(deps.db, sql`SELECT id FROM conversations WHERE unique_key = ${key}`);
  const conversation = await getConversation(deps.db, userId, existing!.id);
  if (created) await announce(deps, { change: 'created', conversationId: conversation.id, userIds: members });
  return { conversation, created };
}

/** Inserts participants (ignoring ones already there). */
export async function addParticipants(
  ex: Executor,
  conversationId: string,
  userIds: string[],
  role: 'admin' | 'member',
): Promise<void> {
  for (const id of userIds) {
    await ex.execute(sql`INSERT INTO participants (conversation_id, user_id, role) VALUES (${conversationId}, ${id}, ${role})
      ON CONFLICT DO NOTHING`);
  }
}

/** Input of a group creation. */
export interface GroupInput {
  family_id: string;
  title: string;
  participant_ids: string[];
}

/** Checks a group title: 1-100 characters after trimming. */
export function checkTitle(title: string, fields: Record<string, string>): string {
  const trimmed = title.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 100) fields.title = 'must be 1-100 characters after trimming';
  return trimmed;
}

/**
 * Creates a group inside a family; the caller becomes its admin.
 * @throws {AppError} `validation_failed` when the caller or a participant is not in the family, or the title is bad.
 */
export async function createGroupConversation(deps: Deps, userId: string, input: GroupInput): Promise<Created> {
  const fields: Record<string, string> = {};
  const title = checkTitle(input.title, fields);
  const others = [...new Set(input.participant_ids)].filter((id) => id !== userId);
  const wanted = `{${[userId, ...others].join(',')}}`;
  const found = await rows<{ user_id: string }>(
    deps.db,
    sql`SELECT user_id FROM memberships WHERE family_id = ${input.family_id} AND user_id = ANY(${wanted}::uuid[])`,
  );
  const members = new Set(found.map((r) => r.user_id));
  if (!members.has(userId)) fields.family_id = 'you are not a member of this family';
  else if (others.some((id) => !members.has(id))) fields.participant_ids = 'every participant must be a member of the family';
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  const id = randomUUID();
  await deps.db.transaction(async (tx) => {
    await tx.execute(sql`INSERT INTO conversations (id, type, title, family_id) VALUES (${id}, 'group', ${title}, ${input.family_id})`);
    await addParticipants(tx, id, [userId], 'admin');
    await addParticipants(tx, id, others, 'member');
  });
  const conversation = await getConversation(deps.db, userId, id);
  await announce(deps, { change: 'created', conversationId: id, userIds: [userId, ...others] });
  return { conversation, created: true };
}

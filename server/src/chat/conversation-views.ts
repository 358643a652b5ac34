/**
 * Conversation views: what one participant sees of a conversation (title, participants, last message,
 * unread count), and the SQL that lists a caller's conversations.
 * @module
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { notFound } from '../errors.js';
import { withSpan } from '../telemetry/tracing.js';
import { toUser } from '../user-view.js';
import type { ConversationType } from './access.js';
import { isParticipant } from './access.js';
import type { ConversationShape } from './shape-cache.js';
import type { MessageRow } from './message-view.js';
import { MESSAGE_COLUMNS_PREFIXED, toMessage } from './message-view.js';
import type { ConversationView, UserView } from '../contract/objects.js';


interface ConversationRow {
  id: string;
  type: ConversationType;
  title: string | null;
  family_id: string | null;
  family_name: string | null;
  last_seq: number;
  last_message_at: Date | null;
  created_at: Date;
  last_read_seq: number;
  hidden: boolean;
  viewer_id: string;
}

/** A conversation row with its last message joined in as `m_*` columns (all null when there is none). */
type ConversationWithLast = ConversationRow & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null };

/** The conversations `viewerId` participates in, each with its last message (add a WHERE to narrow them). */
function conversationsOf(viewerId: string): SQL {
  return sql`
  SELECT c.id, c.type, c.title, c.family_id, f.name AS family_name, c.last_seq, c.last_message_at, c.created_at,
         p.last_read_seq, p.hidden, p.user_id AS viewer_id, ${MESSAGE_COLUMNS_PREFIXED}
  FROM participants p
  JOIN conversations c ON ${isParticipant('p', sql`c.id`, viewerId)}
  LEFT JOIN families f ON f.id = c.family_id
  LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`;
}

/** Builds the views of `list` (each row as its viewer sees it), loading every participant in one query (no N+1). */
async function toViews(
  ex: Executor,
  list: ConversationWithLast[],
): Promise<ConversationView[]> {
  if (list.length === 0) return [];
  const ids = `{${list.map((c) => c.id).join(',')}}`;
  // The participants' cursors come with their profiles: read_up_to costs no extra query.
  const people = await rows<{
    conversation_id: string;
    id: string;
    username: string;
    display_name: string;
    created_at: Date;
    avatar_upload_id: string | null;
    last_read_seq: number;
  }>(
    ex,
    sql`SELECT p.conversation_id, u.id, u.username, u.display_name, u.created_at, u.avatar_upload_id, p.last_read_seq
        FROM participants p JOIN users u ON u.id = p.user_id
        WHERE p.conversation_id = ANY(${ids}::uuid[]) ORDER BY p.joined_at, u.id`,
  );
  const byConversation = new Map<string, { participants: UserView[]; readUpTo: Record<string, number> }>();
  for (const person of people) {
    let members = byConversation.get(person.conversation_id);
    if (!members) byConversation.set(person.conversation_id, (members = { participants: [], readUpTo: {} }));
    members.participants.push(toUser(person));
    members.readUpTo[person.id] = person.last_read_seq;
  }
  return list.map((c) => {
    const { participants, readUpTo } = byConversation.get(c.id) ?? { participants: [], readUpTo: {} };
    const message = c.m_id ? toMessage(unprefix(c)) : null;
    return {
      id: c.id,
      type: c.type,
      title: titleOf(c, participants, c.viewer_id),
      family_id: c.family_id,
      participants,
      latest_message_seq: c.last_seq,
      last_message: message,
      last_message_at: c.last_message_at ? new Date(c.last_message_at).toISOString() : null,
      unread_count: Math.max(0, c.last_seq - c.last_read_seq),
      hidden: c.hidden,
      created_at: new Date(c.created_at).toISOString(),
      read_up_to: readUpTo,
    };
  });
}

function unprefix(row: ConversationWithLast): MessageRow {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith('m_')) out[key.slice(2)] = value;
  return out as unknown as MessageRow;
}


/** The title `userId` sees: "Notes", the family's name, the group's title, or the other person's name. */
export function titleOf(c: Pick<ConversationShape, 'type' | 'title' | 'family_name'>, participants: UserView[], userId: string): string {
  switch (c.type) {
    case 'self':
      return 'Notes';
    case 'family':
      return c.family_name ?? '';
    case 'group':
      return c.title ?? '';
    case 'direct':
      return participants.find((p) => p.id !== userId)?.display_name ?? participants[0]?.display_name ?? '';
  }
}

/**
 * One conversation as `userId` sees it.
 * @throws {AppError} `not_found` when the caller is not a participant.
 */
export async function getConversation(ex: Executor, userId: string, conversationId: string): Promise<ConversationView> {
  const list = await rows<ConversationWithLast>(ex, sql`${conversationsOf(userId)} WHERE c.id = ${conversationId}`);
  const [view] = await toViews(ex, list);
  if (!view) throw notFound('conversation');
  return view;
}

/** The caller's conversations, most recent activity first; hidden ones only when asked. */
export async function listConversations(
  deps: Deps,
  userId: string,
  includeHidden = false,
): Promise<ConversationView[]> {
  return withSpan('chat.list_conversations', { 'famichat.user_id': userId }, async (span) => {
    const list = await rows<ConversationWithLast>(
      deps.db,
      sql`${conversationsOf(userId)} WHERE (${includeHidden} OR NOT p.hidden)
          ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id`,
    );
    span.setAttribute('famichat.count', list.length);
    return toViews(deps.db, list);
  });
}

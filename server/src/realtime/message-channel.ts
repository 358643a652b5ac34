/**
 * The `message:<type>:<conversation_id>` channel: a conversation's live messages. Its join catches up from
 * `after_seq`; its client events are sends, typing and read cursors.
 * @module
 */
import type { ConversationType } from '../chat/access.js';
import { requireId, requireParticipant } from '../chat/access.js';
import { markRead, readCatchUp, sendMessage } from '../chat/messages.js';
import { messageTopic } from '../chat/topics.js';
import { publish } from '../bus/bus.js';
import type { Channel, ChannelDeps, EventTable, JoinResult, SocketContext } from './channel.js';
import { allowed, handleWith, INVALID, isSeq, NOT_FOUND } from './channel.js';

const TYPES = new Set(['direct', 'self', 'group', 'family']);
const CATCH_UP_LIMIT = 200;

/** Whether a client_id is absent, or a non-empty string PostgreSQL can store. */
const validClientId = (value: unknown) => value === undefined || (typeof value === 'string' && value.length > 0 && !value.includes('\u0000'));

/** The `handle_in` clauses of a message channel. */
function events({ deps, typing }: ChannelDeps, socket: SocketContext, type: ConversationType, conversationId: string): EventTable {
  return {
    async new_msg(input) {
      const body = input.body;
      // U+0000 cannot be stored: the same validation_failed as over HTTP, not a database error.
      if ((body !== undefined && (typeof body !== 'string' || body.includes('\u0000'))) || !validClientId(input.client_id)) return INVALID;
      const clientId = input.client_id as string | undefined;
      // attachment_ids is checked by the send itself, as for HTTP (body may then be absent or empty).
      const sent = await sendMessage(deps, socket.userId, conversationId, { body, client_id: clientId, attachment_ids: input.attachment_ids }, 'ws');
      return { status: 'ok', response: { message: sent.message } };
    },
    async typing() {
      // A flood of typing events is dropped here, not fanned out to every member.
      if (!typing.allow(socket.userId, conversationId)) return { status: 'ok', response: {} };
      await publish(deps.bus, { topic: messageTopic(type, conversationId), event: 'typing', payload: { user_id: socket.userId }, origin: socket.id });
      return { status: 'ok', response: {} };
    },
    async read(input) {
      const seq = input.seq;
      if (!isSeq(seq)) return INVALID;
      return { status: 'ok', response: { seq: await markRead(deps, socket.userId, conversationId, seq, socket.id) } };
    },
  };
}

/** Joins a conversation's channel: participants only, of the topic's conversation type. */
export async function join(
  node: ChannelDeps,
  socket: SocketContext,
  topic: string,
  type: string,
  conversationId: string,
  payload: Record<string, unknown>,
): Promise<JoinResult> {
  const { deps, hub } = node;
  if (!TYPES.has(type)) return NOT_FOUND;
  let actual: ConversationType | undefined;
  const isParticipant = await allowed(async () => {
    actual = (await requireParticipant(deps.db, requireId(conversationId, 'conversation'), socket.userId)).type;
  });
  if (!isParticipant || actual !== (type as ConversationType)) return NOT_FOUND;
  const afterSeq = payload.after_seq;
  if (afterSeq !== undefined && !isSeq(afterSeq)) return { reason: 'validation_failed' };
  // Listen before reading, and hold what arrives until the reply is sent, so nothing falls in between.
  // A new_msg at or below the last seq the client has is never sent, held or not: a message committed
  // before the catch-up read may be broadcast after the reply (the bus is not the database).
  let buffer: { seq: number | undefined; frame: Buffer }[] | undefined = [];
  let lastSentSeq = 0;
  const stopListening = hub.listen(topic, (event, frame) => {
    if (event.origin === socket.id) return;
    const seq = event.event === 'new_msg' ? (event.payload.message as { seq?: number } | undefined)?.seq : undefined;
    if (buffer) buffer.push({ seq, frame: frame(socket.serializer) });
    else if (seq === undefined || seq > lastSentSeq) socket.send(frame(socket.serializer));
  });
  try {
    await hub.ready(topic);
    const { latestSeq, page } = await readCatchUp(deps.db, conversationId, afterSeq, CATCH_UP_LIMIT);
    // An after_seq beyond the latest seq must not swallow the messages still to come.
    lastSentSeq = page.messages.at(-1)?.seq ?? (afterSeq === undefined ? 0 : Math.min(afterSeq, latestSeq));
    const channel: Channel = {
      kind: 'message',
      resourceId: conversationId,
      handleIn: handleWith(events(node, socket, actual, conversationId)),
      afterJoin() {
        const held = buffer ?? [];
        buffer = undefined;
        // Messages already in the catch-up page are not sent twice.
        for (const item of held) if (item.seq === undefined || item.seq > lastSentSeq) socket.send(item.frame);
      },
      stop: stopListening,
    };
    return {
      channel,
      // A message committed between the two reads is in the page: latest_seq is never below it.
      response: { latest_seq: Math.max(latestSeq, lastSentSeq), messages: page.messages, has_more: page.page.has_more },
    };
  } catch (error) {
    stopListening();
    throw error;
  }
}

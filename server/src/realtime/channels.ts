/**
 * The three channel kinds: `message:<type>:<conversation_id>`, `user:<user_id>`, `family:<family_id>`.
 * Joins go through the same access checks as REST; every refusal is the identical `not_found`.
 * @module
 */
import { requireFamilyMember, requireId, requireParticipant } from '../chat/access.js';
import type { ConversationType } from '../chat/access.js';
import { BRANDING_TOPIC } from '../branding/branding.js';
import { viewFor } from '../chat/conversations.js';
import { markRead, readCatchUp, sendMessage } from '../chat/messages.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import type { Hub } from './hub.js';
import type { Presence } from './presence.js';
import type { Serializer } from './protocol.js';
import type { TypingThrottle } from './typing.js';

/** What a channel needs from its socket. */
export interface SocketContext {
  /** Unique id of the socket (excluded from its own typing/read echoes). */
  id: string;
  userId: string;
  /** The socket's wire format: every frame sent to it is encoded with it. */
  serializer: Serializer;
  /** Sends a frame to this socket. */
  send(text: string | Buffer): void;
}

/** A joined channel. */
export interface Channel {
  kind: 'message' | 'user' | 'family';
  /** The conversation or family id the channel is about. */
  resourceId: string;
  /** Handles a client event; resolves with the reply's status and response. */
  handleIn(event: string, payload: Record<string, unknown>): Promise<{ status: 'ok' | 'error'; response: object }>;
  /** Called once the join reply has been sent: flushes what arrived meanwhile, pushes presence state. */
  afterJoin(): void;
  /** Stops listening (leave, close, socket gone). */
  stop(): void;
}

/** A join result: the channel and the join reply's response, or a refusal reason. */
export type JoinResult = { channel: Channel; response: object } | { reason: string };

/** Everything channels need from the node. */
export interface ChannelDeps {
  deps: Deps;
  hub: Hub;
  presence: Presence;
  typing: TypingThrottle;
}

const NOT_FOUND = { reason: 'not_found' };
const TYPES = new Set(['direct', 'self', 'group', 'family']);
const CATCH_UP_LIMIT = 200;
/** The largest seq (seqs are 32-bit integers, as in the REST API). */
const MAX_SEQ = 2_147_483_647;

/** Whether `value` is a seq a client may send: an integer in 0..{@link MAX_SEQ}. */
const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;

/** The error reply for a domain error. */
export function errorResponse(error: unknown): { status: 'error'; response: object } {
  if (error instanceof AppError) {
    const retry = error.details?.retry_in_ms;
    return { status: 'error', response: { reason: error.code, ...(retry !== undefined ? { retry_in_ms: retry } : {}) } };
  }
  throw error;
}

/** Joins `topic` for `socket`, or says why not. */
export async function join(
  node: ChannelDeps,
  socket: SocketContext,
  topic: string,
  joinRef: string | number | null,
  payload: Record<string, unknown>,
): Promise<JoinResult> {
  const [kind, ...rest] = topic.split(':');
  if (kind === 'message' && rest.length === 2) return joinMessage(node, socket, topic, rest[0]!, rest[1]!, payload);
  if (kind === 'user' && rest.length === 1) return joinUser(node, socket, topic, joinRef, rest[0]!);
  if (kind === 'family' && rest.length === 1) return joinFamily(node, socket, topic, joinRef, rest[0]!);
  if (kind === 'message' || kind === 'user' || kind === 'family') return NOT_FOUND;
  return { reason: 'unmatched topic' };
}

async function joinMessage(
  { deps, hub, typing }: ChannelDeps,
  socket: SocketContext,
  topic: string,
  type: string,
  conversationId: string,
  payload: Record<string, unknown>,
): Promise<JoinResult> {
  if (!TYPES.has(type)) return NOT_FOUND;
  try {
    const access = await requireParticipant(deps.db, requireId(conversationId, 'conversation'), socket.userId);
    if (access.type !== (type as ConversationType)) return NOT_FOUND;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return NOT_FOUND;
    throw error;
  }
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
      async handleIn(event, input) {
        try {
          if (event === 'new_msg') {
            // U+0000 cannot be stored: the same validation_failed as over HTTP, not a database error.
            if (typeof input.body !== 'string' || input.body.includes('\u0000')) {
              return { status: 'error', response: { reason: 'validation_failed' } };
            }
            if (
              input.client_id !== undefined &&
              (typeof input.client_id !== 'string' || input.client_id.length === 0 || input.client_id.includes('\u0000'))
            ) {
              return { status: 'error', response: { reason: 'validation_failed' } };
            }
            const sent = await sendMessage(deps, socket.userId, conversationId, { body: input.body, client_id: input.client_id }, 'ws');
            return { status: 'ok', response: { message: sent.message } };
          }
          if (event === 'typing') {
            // A flood of typing events is dropped here, not fanned out to every member.
            if (!typing.allow(socket.userId, conversationId)) return { status: 'ok', response: {} };
            await deps.bus.publish({ topic, event: 'typing', payload: { user_id: socket.userId }, origin: socket.id });
            return { status: 'ok', response: {} };
          }
          if (event === 'read') {
            const seq = input.seq;
            if (!isSeq(seq)) return { status: 'error', response: { reason: 'validation_failed' } };
            return { status: 'ok', response: { seq: await markRead(deps, socket.userId, conversationId, seq, socket.id) } };
          }
          return { status: 'error', response: { reason: 'unknown event' } };
        } catch (error) {
          return errorResponse(error);
        }
      },
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

function joinUser(
  { hub }: ChannelDeps,
  socket: SocketContext,
  topic: string,
  joinRef: string | number | null,
  userId: string,
): JoinResult {
  if (userId !== socket.userId) return NOT_FOUND;
  const stopTopic = hub.listen(topic, (_event, frame) => socket.send(frame(socket.serializer)));
  const stopBranding = hub.listen(BRANDING_TOPIC, (event) => socket.send(socket.serializer.encode(joinRef, null, topic, event.event, event.payload)));
  const stopUpdates = hub.listenUser(userId, (update) => {
    const conversation = viewFor(update, userId);
    if (conversation) socket.send(socket.serializer.encode(joinRef, null, topic, update.event, { conversation }));
  });
  return {
    channel: {
      kind: 'user',
      resourceId: userId,
      handleIn: () => Promise.resolve({ status: 'error', response: { reason: 'unknown event' } }),
      afterJoin: () => undefined,
      stop: () => {
        stopTopic();
        stopBranding();
        stopUpdates();
      },
    },
    response: {},
  };
}

async function joinFamily(
  { deps, hub, presence }: ChannelDeps,
  socket: SocketContext,
  topic: string,
  joinRef: string | number | null,
  familyId: string,
): Promise<JoinResult> {
  try {
    await requireFamilyMember(deps.db, requireId(familyId, 'family'), socket.userId);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return NOT_FOUND;
    throw error;
  }
  const stopTopic = hub.listen(topic, (_event, frame) => socket.send(frame(socket.serializer)));
  const stopWatching = presence.watch(topic);
  let phxRef: string | undefined;
  return {
    channel: {
      kind: 'family',
      resourceId: familyId,
      handleIn: () => Promise.resolve({ status: 'error', response: { reason: 'unknown event' } }),
      afterJoin() {
        phxRef = presence.track(topic, socket.userId);
        socket.send(socket.serializer.encode(joinRef, null, topic, 'presence_state', presence.list(topic)));
      },
      stop() {
        if (phxRef) presence.untrack(topic, phxRef);
        stopWatching();
        stopTopic();
      },
    },
    response: {},
  };
}

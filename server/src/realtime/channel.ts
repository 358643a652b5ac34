/**
 * What every channel kind shares: the channel interface, the socket it serves, the node it runs on, and the
 * Phoenix-style event table (`handle_in` clauses) that answers a client's events.
 * @module
 */
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

/** A reply to a client event: its status and response. */
export interface Reply {
  status: 'ok' | 'error';
  response: object;
}

/** A joined channel. */
export interface Channel {
  kind: 'message' | 'user' | 'family';
  /** The conversation or family id the channel is about. */
  resourceId: string;
  /** Handles a client event; resolves with the reply's status and response. */
  handleIn(event: string, payload: Record<string, unknown>): Promise<Reply>;
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

/** The refusal of a join the caller may not make, identical whatever the reason. */
export const NOT_FOUND = { reason: 'not_found' };

/** The reply to a client event with invalid input. */
export const INVALID: Reply = { status: 'error', response: { reason: 'validation_failed' } };

/** The largest seq (seqs are 32-bit integers, as in the REST API). */
const MAX_SEQ = 2_147_483_647;

/** Whether `value` is a seq a client may send: an integer in 0..2147483647. */
export const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;

/** The error reply for a domain error. */
export function errorResponse(error: unknown): { status: 'error'; response: object } {
  if (error instanceof AppError) {
    const retry = error.details?.retry_in_ms;
    return { status: 'error', response: { reason: error.code, ...(retry !== undefined ? { retry_in_ms: retry } : {}) } };
  }
  throw error;
}

/** A channel kind's `handle_in` clauses: one handler per client event name. */
export type EventTable = Record<string, (payload: Record<string, unknown>) => Promise<Reply>>;

/** The `handleIn` of an {@link EventTable}: an unknown event is refused, a domain error becomes its reply. */
export function handleWith(table: EventTable): Channel['handleIn'] {
  return async (event, payload) => {
    const handler = Object.hasOwn(table, event) ? table[event] : undefined;
    if (!handler) return { status: 'error', response: { reason: 'unknown event' } };
    try {
      return await handler(payload);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** Runs a join's access check: resolves false on `not_found` (the join is refused as {@link NOT_FOUND}). */
export async function allowed(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return false;
    throw error;
  }
}

/**
 * The three channel kinds, one module each: `message:<type>:<conversation_id>` (message-channel.ts),
 * `user:<user_id>` (user-channel.ts), `family:<family_id>` (family-channel.ts). Joins go through the same
 * access policy as REST; every refusal is the identical `not_found`.
 * @module
 */
import type { ChannelDeps, JoinResult, SocketContext } from './channel.js';
import { NOT_FOUND } from './channel.js';
import * as familyChannel from './family-channel.js';
import * as messageChannel from './message-channel.js';
import * as userChannel from './user-channel.js';

/** Joins `topic` for `socket`, or says why not. */
export async function join(
  node: ChannelDeps,
  socket: SocketContext,
  topic: string,
  joinRef: string | number | null,
  payload: Record<string, unknown>,
): Promise<JoinResult> {
  const [kind, ...rest] = topic.split(':');
  if (kind === 'message' && rest.length === 2) return messageChannel.join(node, socket, topic, rest[0]!, rest[1]!, payload);
  if (kind === 'user' && rest.length === 1) return userChannel.join(node, socket, topic, joinRef, rest[0]!);
  if (kind === 'family' && rest.length === 1) return familyChannel.join(node, socket, topic, joinRef, rest[0]!);
  if (kind === 'message' || kind === 'user' || kind === 'family') return NOT_FOUND;
  return { reason: 'unmatched topic' };
}

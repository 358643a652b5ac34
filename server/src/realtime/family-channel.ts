/**
 * The `family:<family_id>` channel: member_joined / member_left and the family's presence. Members only;
 * it takes no client events.
 * @module
 */
import { requireFamilyMember, requireId } from '../chat/access.js';
import type { ChannelDeps, JoinResult, SocketContext } from './channel.js';
import { allowed, handleWith, NOT_FOUND } from './channel.js';

/** Joins a family's channel and tracks the socket's presence in it once the reply is sent. */
export async function join(
  { deps, hub, presence }: ChannelDeps,
  socket: SocketContext,
  topic: string,
  joinRef: string | number | null,
  familyId: string,
): Promise<JoinResult> {
  if (!(await allowed(() => requireFamilyMember(deps.db, requireId(familyId, 'family'), socket.userId)))) return NOT_FOUND;
  const stopTopic = hub.listen(topic, (_event, frame) => socket.send(frame(socket.serializer)));
  const stopWatching = presence.watch(topic);
  let phxRef: string | undefined;
  return {
    channel: {
      kind: 'family',
      resourceId: familyId,
      handleIn: handleWith({}),
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

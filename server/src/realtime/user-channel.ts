/**
 * The `user:<user_id>` channel: the caller's own events (conversation list updates, branding). Only its owner
 * joins it; it takes no client events.
 * @module
 */
import { BRANDING_TOPIC } from '../branding/branding.js';
import { viewFor } from '../chat/conversation-updates.js';
import type { ChannelDeps, JoinResult, SocketContext } from './channel.js';
import { handleWith, NOT_FOUND } from './channel.js';

/** Joins the caller's own user channel. */
export function join({ hub }: ChannelDeps, socket: SocketContext, topic: string, joinRef: string | number | null, userId: string): JoinResult {
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
      handleIn: handleWith({}),
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

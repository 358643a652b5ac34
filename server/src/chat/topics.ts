/**
 * Chat's bus topics, built in one place, each with the payload type of every event it carries: the Phoenix
 * topics clients join (message, user, family) and the node-wide ones.
 * @module
 */
import type { Topic } from '../bus/bus.js';
import type { ConversationType } from './access.js';
import type { ConversationUpdate } from './conversation-updates.js';
import type { MessageView, UserView } from '../contract/objects.js';

/** The events of a conversation's message topic. */
export type MessageEvents = {
  new_msg: { message: MessageView };
  message_updated: { message: MessageView };
  message_deleted: { message: MessageView };
  read: { user_id: string; seq: number };
  typing: { user_id: string };
};

/** The bus topic of a conversation's messages (the Phoenix topic clients join). */
export const messageTopic = (type: ConversationType, conversationId: string): Topic<MessageEvents> => `message:${type}:${conversationId}`;

/** The events of a user's own topic (besides the conversation updates routed to it). */
export type UserEvents = {
  conversation_removed: { conversation_id: string };
};

/** The bus topic of a user's own events. */
export const userTopic = (userId: string): Topic<UserEvents> => `user:${userId}`;

/** The events of a family's topic published on the bus (presence diffs are computed on each node). */
export type FamilyEvents = {
  member_joined: { user: UserView };
  member_left: { user: UserView };
};

/** The bus topic of a family's events (member_joined, member_left, presence). */
export const familyTopic = (familyId: string): Topic<FamilyEvents> => `family:${familyId}`;

/** The events of {@link CONVERSATION_UPDATES_TOPIC}. */
export type ConversationUpdateEvents = {
  conversation_created: ConversationUpdate;
  conversation_updated: ConversationUpdate;
};

/** The bus topic carrying every conversation_created / conversation_updated, once per change (not per user). */
export const CONVERSATION_UPDATES_TOPIC: Topic<ConversationUpdateEvents> = 'conversation-updates';

/** The events of {@link ACCESS_REVOKED_TOPIC}. */
export type AccessRevokedEvents = {
  conversation_access_revoked: { user_id: string; conversation_id: string };
  family_access_revoked: { user_id: string; family_id: string };
};

/**
 * The node-wide bus topic announcing that a user lost access to a conversation or a family:
 * `{user_id, conversation_id}` or `{user_id, family_id}`. Their open channels for it close at once.
 */
export const ACCESS_REVOKED_TOPIC: Topic<AccessRevokedEvents> = 'access-revocations';

/** The events of {@link SHAPES_TOPIC}: `{conversation_id}`, or `{}` for all. */
export type ShapeEvents = {
  forget: { conversation_id?: string };
};

/** The bus topic on which nodes are told to drop cached shapes. */
export const SHAPES_TOPIC: Topic<ShapeEvents> = 'conversation-shapes';

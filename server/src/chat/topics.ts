/**
 * The names of chat's bus topics, built in one place (the Phoenix topics clients join, and the node-wide ones).
 * @module
 */
import type { ConversationType } from './access.js';

/** The bus topic of a conversation's messages (the Phoenix topic clients join). */
export const messageTopic = (type: ConversationType, conversationId: string) => `message:${type}:${conversationId}`;

/** The bus topic of a user's own events. */
export const userTopic = (userId: string) => `user:${userId}`;

/** The bus topic of a family's events (member_joined, member_left, presence). */
export const familyTopic = (familyId: string) => `family:${familyId}`;

/** The bus topic carrying every conversation_created / conversation_updated, once per change (not per user). */
export const CONVERSATION_UPDATES_TOPIC = 'conversation-updates';

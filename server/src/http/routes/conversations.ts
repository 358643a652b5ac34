/**
 * Routes: conversations, their participants, messages and read cursors.
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Created } from '../../chat/conversation-creation.js';
import { createDirectConversation, createGroupConversation, getOrCreateSelfConversation } from '../../chat/conversation-creation.js';
import { addGroupParticipant, removeGroupParticipant, updateConversation } from '../../chat/conversation-membership.js';
import { getConversation, listConversations } from '../../chat/conversation-views.js';
import { deleteMessage, editMessage, listMessages, markRead, sendMessage } from '../../chat/messages.js';
import type { Deps } from '../../deps.js';
import { validationFailed } from '../../errors.js';
import { requireAuth } from '../auth.js';
import { requireIds } from '../ids.js';
import { noContent, ok } from '../envelope.js';
import { doc, IdParams, ref, responses } from '../schemas.js';

const Uuid = Type.String({ format: 'uuid' });
const Caption = Type.String({
  description: 'Trimmed, at most 8192 bytes of UTF-8 (else 413); may be empty or absent when the message has attachments (then stored as "")',
});
const EditedBody = Type.String({
  description: 'Trimmed, at most 8192 bytes of UTF-8 (else 413); non-empty unless the message has attachments (they are kept)',
});
const AttachmentIds = Type.Array(Uuid, {
  maxItems: 10,
  description:
    "Up to 10 of the sender's own uploads (POST /uploads) that no message carries yet, in the order the message shows them; " +
    'an unknown, someone else\'s, already attached or repeated id: 422 with details.fields.attachment_ids',
});

/** Conversation and message routes under `/api/v1`. */
export function conversationRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.addHook('preHandler', requireAuth(deps));
    app.addHook('preHandler', requireIds({ id: 'conversation', user_id: 'participant', message_id: 'message' }));

    app.post('/conversations', {
      schema: doc('conversations', 'Create (201) or return the existing (200) conversation', {
        description:
          'direct: {participant_id}, one per pair, both must share a family (else 403 no_shared_family). ' +
          'self: the caller\'s notes. group: {family_id, title, participant_ids}, all in the family. ' +
          'Family conversations are created with their family.',
        body: Type.Object({
          type: Type.Enum(['direct', 'self', 'group']),
          participant_id: Type.Optional(Uuid),
          family_id: Type.Optional(Uuid),
          title: Type.Optional(Type.String({ maxLength: 1024 })),
          participant_ids: Type.Optional(Type.Array(Uuid, { maxItems: 500 })),
        }),
        response: responses({ 200: ref('Conversation'), 201: ref('Conversation') }, [403, 404]),
      }),
    }, async (request, reply) => {
      const body = request.body;
      const userId = request.caller.userId;
      let result: Created;
      if (body.type === 'direct') {
        if (!body.participant_id) throw validationFailed({ participant_id: 'is required for a direct conversation' });
        result = await createDirectConversation(deps, userId, body.participant_id);
      } else if (body.type === 'self') {
        result = await getOrCreateSelfConversation(deps, userId);
      } else {
        const fields: Record<string, string> = {};
        if (!body.family_id) fields.family_id = 'is required for a group';
        if (body.title === undefined) fields.title = 'is required for a group';
        if (!body.family_id || body.title === undefined) throw validationFailed(fields);
        result = await createGroupConversation(deps, userId, {
          family_id: body.family_id,
          title: body.title,
          participant_ids: body.participant_ids ?? [],
        });
      }
      reply.code(result.created ? 201 : 200);
      return ok(result.conversation);
    });

    app.get('/conversations', {
      schema: doc('conversations', "The caller's conversations, most recent activity first", {
        querystring: Type.Object({ include_hidden: Type.Optional(Type.Boolean({ default: false })) }),
        response: responses({ 200: Type.Array(ref('Conversation')) }),
      }),
    }, async (request) => ok(await listConversations(deps, request.caller.userId, request.query.include_hidden ?? false)));

    app.get('/conversations/:id', {
      schema: doc('conversations', 'One conversation (participants only)', {
        params: IdParams,
        response: responses({ 200: ref('Conversation') }, [404]),
      }),
    }, async (request) => ok(await getConversation(deps.db, request.caller.userId, request.params.id)));

    app.patch('/conversations/:id', {
      schema: doc('conversations', 'Hide/unhide (per caller) or rename a group (group admins)', {
        params: IdParams,
        body: Type.Object({ hidden: Type.Optional(Type.Boolean()), title: Type.Optional(Type.String({ maxLength: 1024 })) }),
        response: responses({ 200: ref('Conversation') }, [403, 404]),
      }),
    }, async (request) => ok(await updateConversation(deps, request.caller.userId, request.params.id, request.body)));

    app.post('/conversations/:id/participants', {
      schema: doc('conversations', 'Add a family member to a group (group admins)', {
        params: IdParams,
        body: Type.Object({ user_id: Uuid }),
        response: responses({ 200: ref('Conversation') }, [403, 404]),
      }),
    }, async (request) =>
      ok(await addGroupParticipant(deps, request.caller.userId, request.params.id, request.body.user_id)),
    );

    app.delete('/conversations/:id/participants/:user_id', {
      schema: doc('conversations', 'Remove someone from a group (group admins), or leave it', {
        params: Type.Object({ id: Type.String(), user_id: Type.String() }),
        response: responses({ 204: null }, [403, 404]),
      }),
    }, (request, reply) => noContent(reply, removeGroupParticipant(deps, request.caller.userId, request.params.id, request.params.user_id)));

    app.get('/conversations/:id/messages', {
      schema: doc('messages', 'A page of messages, ascending by seq (keyset paging)', {
        description: 'No cursor: the latest `limit`. after=N: the first `limit` with seq > N. before=N: the last `limit` with seq < N.',
        params: IdParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
          after: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
        }),
        response: responses({ 200: Type.Array(ref('Message')) }, [404]),
      }),
    }, async (request) => {
      const { limit = 50, before, after } = request.query;
      const result = await listMessages(deps, request.caller.userId, request.params.id, { limit, before, after });
      return ok(result.messages, result.page);
    });

    app.post('/conversations/:id/messages', {
      schema: doc('messages', 'Send a message (201), or get the original back for a known client_id (200)', {
        description:
          'A text, attachments, or both: `body` may be empty or absent when `attachment_ids` lists at least one upload. ' +
          'The uploads are attached atomically with the insert: of two sends of the same upload, one stores it and the other gets 422. ' +
          'A retry with a known client_id returns the original message (200), even though its uploads are attached by now.',
        params: IdParams,
        body: Type.Object({
          body: Type.Optional(Caption),
          attachment_ids: Type.Optional(AttachmentIds),
          client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: responses({ 200: ref('Message'), 201: ref('Message') }, [403, 404, 413, 429]),
      }),
    }, async (request, reply) => {
      const sent = await sendMessage(deps, request.caller.userId, request.params.id, request.body);
      reply.code(sent.created ? 201 : 200);
      return ok(sent.message);
    });

    app.patch('/conversations/:id/messages/:message_id', {
      schema: doc('messages', 'Edit your own message (its text; attachments stay)', {
        params: Type.Object({ id: Type.String(), message_id: Type.String() }),
        body: Type.Object({ body: EditedBody }),
        response: responses({ 200: ref('Message') }, [403, 404, 409, 413]),
      }),
    }, async (request) =>
      ok(await editMessage(deps, request.caller.userId, request.params.id, request.params.message_id, request.body.body)),
    );

    app.delete('/conversations/:id/messages/:message_id', {
      schema: doc('messages', 'Delete a message (sender, or a group/family admin); it stays as a tombstone', {
        description: 'The tombstone has body "" and no attachments; the attached files are deleted from storage, and their URLs answer 404.',
        params: Type.Object({ id: Type.String(), message_id: Type.String() }),
        response: responses({ 204: null }, [403, 404]),
      }),
    }, (request, reply) => noContent(reply, deleteMessage(deps, request.caller.userId, request.params.id, request.params.message_id)));

    app.post('/conversations/:id/read', {
      schema: doc('messages', 'Move the read cursor forward (never backwards; clamped to the latest seq)', {
        params: IdParams,
        body: Type.Object({ seq: Type.Integer({ minimum: 0, maximum: 2147483647 }) }),
        response: responses({ 200: Type.Object({ seq: Type.Integer() }) }, [404]),
      }),
    }, async (request) => ok({ seq: await markRead(deps, request.caller.userId, request.params.id, request.body.seq) }));
    done();
  };
}

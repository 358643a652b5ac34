/**
 * Routes: setup, login, register, logout, /me, sessions, and invites (creating, listing, withdrawing, previewing).
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { createInvite, listInvites, previewInvite, register, revokeInvite } from '../../accounts/invites.js';
import { listSessions, login, revokeOtherSessions, revokeSession } from '../../accounts/sessions.js';
import { isSetUp, setup } from '../../accounts/setup.js';
import { getMe, updateMe } from '../../accounts/users.js';
import type { Deps } from '../../deps.js';
import { requireAuth } from '../auth.js';
import { requireIds } from '../ids.js';
import { noContent, ok } from '../envelope.js';
import { AuthResult, doc, IdParams, ref, responses } from '../schemas.js';

const Username = Type.String({ minLength: 1, maxLength: 64, description: '3-32 of a-z 0-9 _ . - (case-insensitive)' });
const Password = Type.String({ minLength: 1, maxLength: 1024, description: '8-256 characters' });
const DisplayName = Type.String({ maxLength: 1024, description: '1-64 characters after trimming' });
const Role = Type.Enum(['admin', 'member']);
const AuthWithFamily = Type.Object({
  user: ref('Me'),
  family: ref('Family'),
  token: Type.String(),
  session_id: Type.String({ format: 'uuid' }),
});

/**
 * Makes the new session's user the caller of a request that just logged in, so the reply's media URLs (the
 * profile picture) are signed for them like any authenticated reply's.
 */
export function actingAs<T extends { user: { id: string }; session_id: string }>(request: FastifyRequest, auth: T): T {
  request.caller = { userId: auth.user.id, sessionId: auth.session_id };
  return auth;
}

/** Account routes under `/api/v1`. */
export function accountRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    const auth = requireAuth(deps);
    const familyIds = requireIds({ id: 'family', invite_id: 'invite' });

    app.get('/setup', {
      schema: doc('accounts', 'Whether first-run setup is still needed', {
        response: responses({ 200: Type.Object({ needs_setup: Type.Boolean() }) }, [], false),
      }),
    }, async () => ok({ needs_setup: !(await isSetUp(deps)) }));

    app.post('/setup', {
      schema: doc('accounts', 'First-run setup: the first user (instance admin) and their family', {
        body: Type.Object({ username: Username, password: Password, display_name: DisplayName, family_name: Type.String({ maxLength: 1024 }) }),
        response: responses({ 201: AuthWithFamily }, [409], false),
      }),
    }, async (request, reply) => {
      reply.code(201);
      return ok(await setup(deps, request.body));
    });

    app.post('/auth/login', {
      schema: doc('accounts', 'Log in; wrong username and wrong password give the same 401', {
        body: Type.Object({ username: Type.String({ maxLength: 1024 }), password: Type.String({ maxLength: 1024 }), device_name: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: responses({ 200: AuthResult }, [401, 429], false),
      }),
    }, async (request) => ok(actingAs(request, await login(deps, request.body, request.ip))));

    app.post('/auth/register', {
      schema: doc('accounts', "Create an account with an invite; joins the invite's family", {
        body: Type.Object({ invite_token: Type.String({ maxLength: 200 }), username: Username, password: Password, display_name: DisplayName }),
        response: responses({ 201: AuthWithFamily }, [409, 410, 429], false),
      }),
    }, async (request, reply) => {
      reply.code(201);
      return ok(await register(deps, request.body, request.ip));
    });

    app.get('/invites/:token', {
      schema: doc('families', 'What an invite link leads to: the family, the role and who invites (public)', {
        description: "A dead invite's 410 carries details.invited_by (its creator's display name), so the page can say whom to ask.",
        params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
        response: responses({ 200: ref('InvitePreview') }, [404, 410], false),
      }),
    }, async (request) => ok(await previewInvite(deps, request.params.token)));

    app.delete('/auth/session', {
      preHandler: auth,
      schema: { tags: ['accounts'], summary: 'Log out (revokes the calling token)', response: responses({ 204: null }) },
    }, (request, reply) => noContent(reply, revokeSession(deps, request.caller, request.caller.sessionId)));

    app.get('/me', {
      preHandler: auth,
      schema: { tags: ['accounts'], summary: 'The caller', response: responses({ 200: ref('Me') }) },
    }, async (request) => ok(await getMe(deps, request.caller.userId)));

    app.patch('/me', {
      preHandler: auth,
      schema: doc('accounts', 'Change display name, theme preference or profile picture', {
        description:
          'avatar_upload_id: one of your image uploads (POST /uploads) becomes your profile picture (User.avatar_url), null removes it; ' +
          'an unknown, someone else\'s or non-image upload: 422 with details.fields.avatar_upload_id. The previous picture is deleted ' +
          'unless a message carries it. The members of your families get a conversation_updated of each family conversation.',
        body: Type.Object({
          display_name: Type.Optional(DisplayName),
          preferences: Type.Optional(Type.Object({ theme: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])) })),
          avatar_upload_id: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'An image upload of yours, or null for none' })),
        }),
        response: responses({ 200: ref('Me') }),
      }),
    }, async (request) => ok(await updateMe(deps, request.caller.userId, request.body)));

    app.get('/me/sessions', {
      preHandler: auth,
      schema: { tags: ['accounts'], summary: "The caller's active sessions", response: responses({ 200: Type.Array(ref('Session')) }) },
    }, async (request) => ok(await listSessions(deps, request.caller)));

    app.delete('/me/sessions', {
      preHandler: auth,
      schema: doc('accounts', 'Log out other devices: revokes every session of the caller but the calling one (their sockets close)', {
        response: responses({ 204: null }),
      }),
    }, (request, reply) => noContent(reply, revokeOtherSessions(deps, request.caller)));

    app.delete('/me/sessions/:id', {
      preHandler: [auth, requireIds({ id: 'session' })],
      schema: doc('accounts', 'Revoke a session: its token stops working and its sockets close', {
        params: IdParams,
        response: responses({ 204: null }, [404]),
      }),
    }, (request, reply) => noContent(reply, revokeSession(deps, request.caller, request.params.id)));

    app.post('/families/:id/invites', {
      preHandler: [auth, familyIds],
      schema: doc('families', 'Create a single-use invite (family admins)', {
        params: IdParams,
        body: Type.Object({ role: Type.Optional(Role) }),
        response: responses({ 201: ref('Invite') }, [403, 404]),
      }),
    }, async (request, reply) => {
      const invite = await createInvite(deps, request.caller.userId, request.params.id, request.body.role ?? 'member');
      reply.code(201);
      return ok(invite);
    });

    app.get('/families/:id/invites', {
      preHandler: [auth, familyIds],
      schema: doc('families', "The family's open invites, newest first, without their tokens (family admins)", {
        params: IdParams,
        response: responses({ 200: Type.Array(ref('OpenInvite')) }, [403, 404]),
      }),
    }, async (request) => ok(await listInvites(deps, request.caller.userId, request.params.id)));

    app.delete('/families/:id/invites/:invite_id', {
      preHandler: [auth, familyIds],
      schema: doc('families', 'Withdraw an invite: it can no longer be used (family admins)', {
        params: Type.Object({ id: Type.String(), invite_id: Type.String() }),
        response: responses({ 204: null }, [403, 404]),
      }),
    }, (request, reply) => noContent(reply, revokeInvite(deps, request.caller.userId, request.params.id, request.params.invite_id)));
    done();
  };
}

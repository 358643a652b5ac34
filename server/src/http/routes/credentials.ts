/**
 * Routes: changing one's password, and password-reset links (a family admin creates one; its page previews it;
 * using it sets a new password and logs in).
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { changePassword, createPasswordReset, previewPasswordReset, resetPassword } from '../../accounts/credentials.js';
import type { Deps } from '../../deps.js';
import { requireAuth } from '../auth.js';
import { actingAs } from './accounts.js';
import { ok } from '../envelope.js';
import { requireIds } from '../ids.js';
import { AuthResult, ref, responses } from '../schemas.js';

const NewPassword = Type.String({ maxLength: 1024, description: '8-256 characters' });
const Token = Type.String({ maxLength: 200 });

/** Password routes under `/api/v1`. */
export function credentialRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    const auth = requireAuth(deps);

    app.post('/me/password', {
      preHandler: auth,
      schema: {
        tags: ['accounts'],
        summary: "Change the caller's password; every other session of theirs ends",
        description:
          'A wrong current password is a 422 with details.fields.current_password (not a 401, which would log the client out). ' +
          'Attempts count against the login rate limits of the account.',
        body: Type.Object({ current_password: Type.String({ maxLength: 1024 }), new_password: NewPassword }),
        response: responses({ 204: null }, [429]),
      },
    }, async (request, reply) => {
      await changePassword(deps, request.caller, request.body, request.ip);
      return reply.code(204).send();
    });

    app.post('/families/:id/members/:user_id/password-reset', {
      preHandler: [auth, requireIds({ id: 'family', user_id: 'member' })],
      schema: {
        tags: ['families'],
        summary: 'Create a single-use password-reset link for a member (family admins); it voids their older ones',
        description: "Valid 24 h. Only the instance admin may create one for the instance admin's account (else 403).",
        params: Type.Object({ id: Type.String(), user_id: Type.String() }),
        response: responses({ 201: ref('PasswordReset') }, [403, 404]),
      },
    }, async (request, reply) => {
      const reset = await createPasswordReset(deps, request.caller.userId, request.params.id, request.params.user_id);
      reply.code(201);
      return ok(reset);
    });

    app.get('/password-resets/:token', {
      schema: {
        tags: ['accounts'],
        summary: 'Whose password a reset link resets (public)',
        params: Type.Object({ token: Token }),
        response: responses({ 200: ref('PasswordResetPreview') }, [404, 410], false),
      },
    }, async (request) => ok(await previewPasswordReset(deps, request.params.token)));

    app.post('/auth/password-reset', {
      schema: {
        tags: ['accounts'],
        summary: 'Set a new password with a reset link and log in; every older session of that person ends',
        description: 'Failed attempts are rate limited per address, like registrations.',
        body: Type.Object({ token: Token, password: NewPassword }),
        response: responses({ 200: AuthResult }, [404, 410, 429], false),
      },
    }, async (request) => ok(actingAs(request, await resetPassword(deps, request.body, request.ip))));
    done();
  };
}

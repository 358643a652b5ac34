/**
 * Routes: families and their members.
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createFamily, getFamily, listFamilies, removeMember, setMemberRole } from '../../chat/families.js';
import type { Deps } from '../../deps.js';
import { requireAuth } from '../auth.js';
import { requireIds } from '../ids.js';
import { noContent, ok } from '../envelope.js';
import { doc, IdParams, ref, responses } from '../schemas.js';

const MemberParams = Type.Object({ id: Type.String(), user_id: Type.String() });

/** Family routes under `/api/v1`. */
export function familyRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.addHook('preHandler', requireAuth(deps));
    app.addHook('preHandler', requireIds({ id: 'family', user_id: 'member' }));

    app.post('/families', {
      schema: doc('families', 'Create a family (the caller becomes its admin; its family conversation is created)', {
        body: Type.Object({ name: Type.String({ maxLength: 1024 }) }),
        response: responses({ 201: ref('Family') }),
      }),
    }, async (request, reply) => {
      reply.code(201);
      return ok(await createFamily(deps, request.caller.userId, request.body.name));
    });

    app.get('/families', {
      schema: { tags: ['families'], summary: "The caller's families", response: responses({ 200: Type.Array(ref('Family')) }) },
    }, async (request) => ok(await listFamilies(deps, request.caller.userId)));

    app.get('/families/:id', {
      schema: doc('families', 'A family with its members (members only)', {
        params: IdParams,
        response: responses({ 200: ref('FamilyDetail') }, [404]),
      }),
    }, async (request) => ok(await getFamily(deps, request.caller.userId, request.params.id)));

    app.patch('/families/:id/members/:user_id', {
      schema: doc('families', "Change a member's role (family admins)", {
        params: MemberParams,
        body: Type.Object({ role: Type.Enum(['admin', 'member']) }),
        response: responses({ 200: ref('Member') }, [403, 404, 409]),
      }),
    }, async (request) =>
      ok(await setMemberRole(deps, request.caller.userId, request.params.id, request.params.user_id, request.body.role)),
    );

    app.delete('/families/:id/members/:user_id', {
      schema: doc('families', 'Remove a member (family admins) or leave (yourself)', {
        params: MemberParams,
        response: responses({ 204: null }, [403, 404, 409]),
      }),
    }, (request, reply) => noContent(reply, removeMember(deps, request.caller.userId, request.params.id, request.params.user_id)));
    done();
  };
}

/**
 * Routes: branding and themes (public), and the instance admin's branding update.
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireInstanceAdmin } from '../../chat/access.js';
import { getBranding, getTheme, themeCss, updateBranding } from '../../branding/branding.js';
import type { Deps } from '../../deps.js';
import { requireAuth } from '../auth.js';
import { ok } from '../envelope.js';
import { doc, IdParams, ref, responses } from '../schemas.js';

/** Branding routes under `/api/v1`. */
export function brandingRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get('/branding', {
      schema: doc('branding', "The deployment's name, tagline, logo, default theme and themes (public)", {
        security: [],
        response: responses({ 200: ref('Branding') }, [], false),
      }),
    }, async () => ok(await getBranding(deps)));

    app.get('/themes/:id.css', {
      schema: doc('branding', 'A theme as CSS custom properties (public)', {
        security: [],
        params: IdParams,
        produces: ['text/css'],
        response: { 200: { type: 'string', description: 'CSS: :root { --color-background: ...; }' }, ...responses({}, [404], false) },
      }),
    }, async (request, reply) => {
      const theme = await getTheme(deps, request.params.id);
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300');
      return themeCss(theme);
    });

    app.get('/themes/:id', {
      schema: doc('branding', 'One theme (public)', {
        security: [],
        params: IdParams,
        response: responses({ 200: ref('Theme') }, [404], false),
      }),
    }, async (request) => ok(await getTheme(deps, request.params.id)));

    app.put('/admin/branding', {
      preHandler: requireAuth(deps),
      schema: doc('branding', 'Change the branding (instance admin); applied at once, announced as branding_updated', {
        body: Type.Object({
          app_name: Type.Optional(Type.Unknown({ description: '1-64 characters' })),
          tagline: Type.Optional(Type.Unknown({ description: 'at most 140 characters, or null' })),
          logo_url: Type.Optional(Type.Unknown({ description: 'http(s) URL or /path, or null' })),
          default_theme: Type.Optional(Type.Unknown({ description: 'id of an existing theme' })),
          themes: Type.Optional(Type.Unknown({ description: "the admin's custom themes (replaces them); Theme objects" })),
        }),
        response: responses({ 200: ref('Branding') }, [403]),
      }),
    }, async (request) => {
      await requireInstanceAdmin(deps.db, request.caller.userId);
      return ok(await updateBranding(deps, request.body));
    });
    done();
  };
}

// The OpenAPI document: valid OpenAPI 3.1 structure, every registered route documented with its error
// statuses and security, real responses matching the documented schemas, and the browsable docs page.
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { Res, TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { mediaDir } from './helpers/media.js';

let t: TestApp;
let doc: any;
const registered: Array<{ method: string; url: string }> = [];

const media = mediaDir();

beforeAll(async () => {
  t = await startTestApp({ FAMICHAT_MEDIA_DIR: media });
  const res = await t.as().get('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  // A second app on the same database, built only to see every route as it is registered.
  const { app } = await buildApp({
    config: t.config,
    database: t.db.database,
    bus: t.bus,
    onRoute: (route: RouteOptions) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    },
  });
  await app.ready();
  await app.close();
});
afterAll(() => t.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** Every (path, method, operation) of the document. */
function operations(): Array<{ path: string; method: string; op: any }> {
  const out: Array<{ path: string; method: string; op: any }> = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (METHODS.includes(method)) out.push({ path, method, op });
    }
  }
  return out;
}

/** Every `$ref` string anywhere in `node`. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refs(value, found);
    }
  }
  return found;
}

const isPublic = (op: any) => Array.isArray(op.security) && op.security.length === 0;

describe('document structure', () => {
  it('is an OpenAPI 3.1 document with info, paths and the API objects as components', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(typeof doc.info.title).toBe('string');
    expect(doc.info.title.length).toBeGreaterThan(0);
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(15);
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\/[A-Za-z0-9_\-/{}.]*$/);
    for (const name of ['Meta', 'Error', 'User', 'Me', 'Family', 'Member', 'FamilyDetail', 'Message', 'Conversation', 'Session', 'Invite']) {
      expect(doc.components.schemas[name], name).toBeTypeOf('object');
    }
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('resolves every $ref to a schema in components.schemas', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    for (const ref of all) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z0-9_.-]+$/);
      const name = ref.split('/').pop()!;
      expect(doc.components.schemas[name], ref).toBeTypeOf('object');
    }
  });

  it('gives every operation a summary, a success response, described responses and its path parameters', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      const label = `${method.toUpperCase()} ${path}`;
      expect(typeof op.summary, label).toBe('string');
      const statuses = Object.keys(op.responses ?? {});
      expect(statuses.some((s) => /^2\d\d$/.test(s)), `${label} has a 2xx`).toBe(true);
      for (const status of statuses) {
        expect(status, label).toMatch(/^[1-5]\d\d$/);
        expect(typeof op.responses[status].description, `${label} ${status}`).toBe('string');
        if (Number(status) >= 400) {
          expect(op.responses[status].content['application/json'].schema, `${label} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
      const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort();
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect(declared, label).toEqual(inPath);
      for (const p of op.parameters ?? []) if (p.in === 'path') expect(p.required, `${label} ${p.name}`).toBe(true);
      if (op.operationId) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
      }
      // JSON bodies are objects; the one raw body (an upload) is binary of any media type.
      if (op.requestBody?.content['application/json']) expect(op.requestBody.content['application/json'].schema.type, label).toBe('object');
      else if (op.requestBody) expect(op.requestBody.content['*/*'].schema, label).toMatchObject({ type: 'string', format: 'binary' });
    }
  });
});

describe('error statuses and security', () => {
  it('documents the errors every JSON operation can give: 400, 413, 422, 500, 503, and 404 with path parameters', () => {
    for (const { path, method, op } of operations()) {
      if (path === '/metrics') continue;
      const label = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      for (const s of ['400', '413', '422', '500', '503']) expect(statuses, `${label} documents ${s}`).toContain(s);
      if (path.includes('{')) expect(statuses, `${label} documents 404`).toContain('404');
    }
  });

  it('documents the route-specific errors of the contract', () => {
    const expected: Record<string, string[]> = {
      'post /api/v1/setup': ['409'],
      'post /api/v1/auth/login': ['401', '429'],
      'post /api/v1/auth/register': ['409', '410', '429'],
      'post /api/v1/families/{id}/invites': ['403', '404'],
      'get /api/v1/families/{id}/invites': ['403', '404'],
      'delete /api/v1/families/{id}/invites/{invite_id}': ['403', '404'],
      'get /api/v1/invites/{token}': ['404', '410'],
      'patch /api/v1/families/{id}/members/{user_id}': ['403', '404', '409'],
      'delete /api/v1/families/{id}/members/{user_id}': ['403', '404', '409'],
      'post /api/v1/conversations': ['403', '404'],
      'patch /api/v1/conversations/{id}': ['403', '404'],
      'post /api/v1/conversations/{id}/participants': ['403', '404'],
      'delete /api/v1/conversations/{id}/participants/{user_id}': ['403', '404'],
      'get /api/v1/conversations/{id}/messages': ['404'],
      'post /api/v1/conversations/{id}/messages': ['403', '404', '413', '429'],
      'patch /api/v1/conversations/{id}/messages/{message_id}': ['403', '404', '413'],
      'delete /api/v1/conversations/{id}/messages/{message_id}': ['403', '404'],
      'get /readyz': ['503'],
      'post /api/v1/me/password': ['401', '422', '429'],
      'post /api/v1/families/{id}/members/{user_id}/password-reset': ['403', '404'],
      'get /api/v1/password-resets/{token}': ['404', '410'],
      'post /api/v1/auth/password-reset': ['404', '410', '422', '429'],
    };
    for (const [key, statuses] of Object.entries(expected)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      expect(op, key).toBeDefined();
      for (const s of statuses) expect(Object.keys(op.responses), `${key} documents ${s}`).toContain(s);
    }
  });

  it('marks exactly the routes that need no token as public, and documents 401 on all others', () => {
    const mustBePublic = ['get /api/v1/setup', 'post /api/v1/setup', 'post /api/v1/auth/login', 'post /api/v1/auth/register', 'get /api/v1/invites/{token}', 'get /api/v1/password-resets/{token}', 'post /api/v1/auth/password-reset', 'get /healthz', 'get /readyz', 'get /metrics'];
    // The contract's other public routes: branding and themes, and media (the signed URL is the capability).
    const mayBePublic = (method: string, path: string) =>
      mustBePublic.includes(`${method} ${path}`) ||
      (method === 'get' && (path === '/api/v1/branding' || path.startsWith('/api/v1/themes/') || path === '/api/v1/media/{id}/{variant}')) ||
      !path.startsWith('/api/v1/');
    const publicOps = operations().filter(({ op }) => isPublic(op));
    for (const name of mustBePublic) expect(publicOps.map(({ method, path }) => `${method} ${path}`)).toContain(name);
    for (const { method, path } of publicOps) expect(mayBePublic(method, path), `${method} ${path} is public`).toBe(true);
    for (const { path, method, op } of operations()) {
      if (isPublic(op)) continue;
      expect(op.security, `${method} ${path} inherits the bearer requirement`).toBeUndefined();
      expect(Object.keys(op.responses), `${method} ${path} documents 401`).toContain('401');
    }
  });
});

describe('routes', () => {
  it('documents every registered API and operations route with its method, and nothing that is not a route', () => {
    const all = registered
      .filter(({ method }) => method !== 'HEAD')
      .map(({ method, url }) => ({ url, key: `${method.toLowerCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}` }));
    const served = all.filter(({ url }) => /^\/api\/v1\//.test(url) || ['/healthz', '/readyz', '/metrics'].includes(url)).map(({ key }) => key);
    expect(served.length).toBeGreaterThan(25);
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    for (const route of served) expect(documented, `${route} is documented`).toContain(route);
    for (const op of documented) expect(all.map(({ key }) => key), `${op} is served`).toContain(op);
    expect(registered.some(({ url }) => url === '/api/openapi.json')).toBe(true);
    expect(documented.some((op) => op.includes('/api/docs') || op.includes('/api/openapi.json'))).toBe(false);
  });

  it('serves a browsable documentation page at /api/docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toMatch(/swagger/i);
  });
});

describe('real responses match the document', () => {
  type AddFormats = (ajv: Ajv2020) => Ajv2020;
  const addFormats = (ajvFormats as unknown as { default?: AddFormats }).default ?? (ajvFormats as unknown as AddFormats);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const checked = new Set<string>();

  beforeAll(() => {
    ajv.addSchema({ $id: 'doc', components: doc.components });
  });

  /** Checks that `res` is a documented response of `method template` and matches its schema. */
  function conforms(method: string, template: string, res: Res): Res {
    const label = `${method} ${template} -> ${res.status}`;
    const op = doc.paths[template]?.[method.toLowerCase()];
    expect(op, `${method} ${template} is documented`).toBeDefined();
    const response = op.responses[String(res.status)];
    expect(response, `${label} is documented`).toBeDefined();
    checked.add(`${method} ${template}`);
    if (res.status === 204) return res;
    const schema = response.content[Object.keys(response.content)[0]!].schema;
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(res.body), `${label}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.body).slice(0, 300)}`).toBe(true);
    return res;
  }

  it('for a whole tour of the API, successes and errors alike', async () => {
    const anon = t.as();
    const c = (method: string, template: string, res: Res) => conforms(method, template, res);

    expect(c('GET', '/api/v1/setup', await anon.get('/api/v1/setup')).body.data.needs_setup).toBe(true);
    const setup = c('POST', '/api/v1/setup', await anon.post('/api/v1/setup', { username: 'tour_admin', password: 'correct horse', display_name: 'Tour', family_name: 'Tourists' }));
    expect(setup.status).toBe(201);
    c('POST', '/api/v1/setup', await anon.post('/api/v1/setup', { username: 'tour_two', password: 'correct horse', display_name: 'Two', family_name: 'Again' }));
    c('POST', '/api/v1/setup', await anon.post('/api/v1/setup', {}));
    const admin: Person = { id: setup.body.data.user.id, username: 'tour_admin', token: setup.body.data.token, sessionId: setup.body.data.session_id };
    const familyId: string = setup.body.data.family.id;
    const api = t.as(admin.token);

    c('POST', '/api/v1/auth/login', await anon.post('/api/v1/auth/login', { username: 'tour_admin', password: 'wrong password' }));
    const second = c('POST', '/api/v1/auth/login', await anon.post('/api/v1/auth/login', { username: 'tour_admin', password: 'correct horse', device_name: 'Phone' }));
    expect(second.status).toBe(200);
    c('GET', '/api/v1/me', await api.get('/api/v1/me'));
    c('GET', '/api/v1/me', await anon.get('/api/v1/me'));
    c('PATCH', '/api/v1/me', await api.patch('/api/v1/me', { display_name: 'Tour Guide', preferences: { theme: 'dark' } }));
    c('PATCH', '/api/v1/me', await api.patch('/api/v1/me', { preferences: { theme: 'no-such-theme' } }));
    c('GET', '/api/v1/me/sessions', await api.get('/api/v1/me/sessions'));

    const invite = c('POST', '/api/v1/families/{id}/invites', await api.post(`/api/v1/families/${familyId}/invites`, { role: 'member' }));
    const reg = c('POST', '/api/v1/auth/register', await anon.post('/api/v1/auth/register', { invite_token: invite.body.data.token, username: 'tour_bob', password: 'correct horse', display_name: 'Bob' }));
    expect(reg.status).toBe(201);
    c('POST', '/api/v1/auth/register', await anon.post('/api/v1/auth/register', { invite_token: invite.body.data.token, username: 'tour_bob2', password: 'correct horse', display_name: 'Bob' }));
    const bob = { id: reg.body.data.user.id as string, token: reg.body.data.token as string };
    const invite2 = await api.post(`/api/v1/families/${familyId}/invites`, {});
    c('POST', '/api/v1/auth/register', await anon.post('/api/v1/auth/register', { invite_token: invite2.body.data.token, username: 'TOUR_BOB', password: 'correct horse', display_name: 'Bob' }));
    c('POST', '/api/v1/families/{id}/invites', await t.as(bob.token).post(`/api/v1/families/${familyId}/invites`, {}));
    const invite3 = await api.post(`/api/v1/families/${familyId}/invites`, { role: 'admin' });
    expect(c('GET', '/api/v1/invites/{token}', await anon.get(`/api/v1/invites/${invite3.body.data.token}`)).status).toBe(200);
    c('GET', '/api/v1/invites/{token}', await anon.get(`/api/v1/invites/${invite.body.data.token}`));
    c('GET', '/api/v1/invites/{token}', await anon.get('/api/v1/invites/fci_unknown'));
    expect(c('GET', '/api/v1/families/{id}/invites', await api.get(`/api/v1/families/${familyId}/invites`)).body.data.length).toBeGreaterThan(0);
    c('GET', '/api/v1/families/{id}/invites', await t.as(bob.token).get(`/api/v1/families/${familyId}/invites`));
    c('GET', '/api/v1/families/{id}/invites', await api.get('/api/v1/families/not-a-uuid/invites'));
    expect(c('DELETE', '/api/v1/families/{id}/invites/{invite_id}', await api.delete(`/api/v1/families/${familyId}/invites/${invite3.body.data.id}`)).status).toBe(204);
    c('DELETE', '/api/v1/families/{id}/invites/{invite_id}', await t.as(bob.token).delete(`/api/v1/families/${familyId}/invites/${invite3.body.data.id}`));
    c('DELETE', '/api/v1/families/{id}/invites/{invite_id}', await api.delete(`/api/v1/families/${familyId}/invites/not-a-uuid`));

    const fam2 = c('POST', '/api/v1/families', await api.post('/api/v1/families', { name: 'Second' }));
    c('GET', '/api/v1/families', await api.get('/api/v1/families'));
    c('GET', '/api/v1/families/{id}', await api.get(`/api/v1/families/${familyId}`));
    c('GET', '/api/v1/families/{id}', await t.as(bob.token).get(`/api/v1/families/${fam2.body.data.id}`));
    c('PATCH', '/api/v1/families/{id}/members/{user_id}', await api.patch(`/api/v1/families/${familyId}/members/${bob.id}`, { role: 'admin' }));
    c('PATCH', '/api/v1/families/{id}/members/{user_id}', await api.patch(`/api/v1/families/${familyId}/members/${bob.id}`, { role: 'member' }));
    c('PATCH', '/api/v1/families/{id}/members/{user_id}', await t.as(bob.token).patch(`/api/v1/families/${familyId}/members/${admin.id}`, { role: 'member' }));
    c('DELETE', '/api/v1/families/{id}/members/{user_id}', await api.delete(`/api/v1/families/${fam2.body.data.id}/members/${admin.id}`));

    const direct = c('POST', '/api/v1/conversations', await api.post('/api/v1/conversations', { type: 'direct', participant_id: bob.id }));
    expect(direct.status).toBe(201);
    c('POST', '/api/v1/conversations', await t.as(bob.token).post('/api/v1/conversations', { type: 'direct', participant_id: admin.id }));
    c('POST', '/api/v1/conversations', await api.post('/api/v1/conversations', { type: 'direct', participant_id: admin.id }));
    c('POST', '/api/v1/conversations', await api.post('/api/v1/conversations', { type: 'self' }));
    const group = c('POST', '/api/v1/conversations', await api.post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Group', participant_ids: [] }));
    const groupId: string = group.body.data.id;
    c('GET', '/api/v1/conversations', await api.get('/api/v1/conversations?include_hidden=true'));
    c('GET', '/api/v1/conversations/{id}', await api.get(`/api/v1/conversations/${groupId}`));
    c('GET', '/api/v1/conversations/{id}', await t.as(bob.token).get(`/api/v1/conversations/${groupId}`));
    c('PATCH', '/api/v1/conversations/{id}', await api.patch(`/api/v1/conversations/${groupId}`, { title: 'Renamed', hidden: false }));
    c('PATCH', '/api/v1/conversations/{id}', await api.patch(`/api/v1/conversations/${direct.body.data.id}`, { title: 'Nope' }));
    c('POST', '/api/v1/conversations/{id}/participants', await api.post(`/api/v1/conversations/${groupId}/participants`, { user_id: bob.id }));
    c('POST', '/api/v1/conversations/{id}/participants', await t.as(bob.token).post(`/api/v1/conversations/${groupId}/participants`, { user_id: bob.id }));

    const sent = c('POST', '/api/v1/conversations/{id}/messages', await api.post(`/api/v1/conversations/${groupId}/messages`, { body: 'hello', client_id: 'tour-1' }));
    expect(sent.status).toBe(201);
    c('POST', '/api/v1/conversations/{id}/messages', await api.post(`/api/v1/conversations/${groupId}/messages`, { body: 'hello', client_id: 'tour-1' }));
    c('POST', '/api/v1/conversations/{id}/messages', await api.post(`/api/v1/conversations/${groupId}/messages`, { body: '€'.repeat(2731) }));
    c('POST', '/api/v1/conversations/{id}/messages', await api.post(`/api/v1/conversations/${groupId}/messages`, 'not json'));
    c('GET', '/api/v1/conversations/{id}/messages', await api.get(`/api/v1/conversations/${groupId}/messages?limit=10`));
    c('GET', '/api/v1/conversations/{id}/messages', await api.get(`/api/v1/conversations/${groupId}/messages?limit=0`));
    c('PATCH', '/api/v1/conversations/{id}/messages/{message_id}', await api.patch(`/api/v1/conversations/${groupId}/messages/${sent.body.data.id}`, { body: 'edited' }));
    c('PATCH', '/api/v1/conversations/{id}/messages/{message_id}', await t.as(bob.token).patch(`/api/v1/conversations/${groupId}/messages/${sent.body.data.id}`, { body: 'not mine' }));
    c('POST', '/api/v1/conversations/{id}/read', await t.as(bob.token).post(`/api/v1/conversations/${groupId}/read`, { seq: 1 }));
    c('DELETE', '/api/v1/conversations/{id}/messages/{message_id}', await api.delete(`/api/v1/conversations/${groupId}/messages/${sent.body.data.id}`));
    c('GET', '/api/v1/conversations/{id}/messages', await api.get(`/api/v1/conversations/${groupId}/messages`));
    c('DELETE', '/api/v1/conversations/{id}/participants/{user_id}', await api.delete(`/api/v1/conversations/${groupId}/participants/${bob.id}`));
    c('DELETE', '/api/v1/conversations/{id}/participants/{user_id}', await t.as(bob.token).delete(`/api/v1/conversations/${groupId}/participants/${admin.id}`));

    const upload = c('POST', '/api/v1/uploads', await api.post('/api/v1/uploads?filename=notes.txt', 'plain words', { 'content-type': 'text/plain' }));
    expect(upload.status).toBe(201);
    c('POST', '/api/v1/uploads', await anon.post('/api/v1/uploads', 'plain words', { 'content-type': 'text/plain' }));
    c('POST', '/api/v1/uploads', await api.post('/api/v1/uploads?duration_ms=soon', 'plain words', { 'content-type': 'text/plain' }));
    expect(c('GET', '/api/v1/media/{id}/{variant}', await anon.get(upload.body.data.url)).body).toBe('plain words');
    c('GET', '/api/v1/media/{id}/{variant}', await anon.get(`/api/v1/media/${upload.body.data.id}/original`));
    c('GET', '/api/v1/media/{id}/{variant}', await anon.get(upload.body.data.url, { range: 'bytes=100-' }));

    c('GET', '/healthz', await anon.get('/healthz'));
    c('GET', '/readyz', await anon.get('/readyz'));
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    c('GET', '/metrics', { status: metrics.statusCode, body: metrics.body, headers: metrics.headers });

    c('DELETE', '/api/v1/me/sessions/{id}', await api.delete(`/api/v1/me/sessions/${second.body.data.session_id}`));
    c('DELETE', '/api/v1/me/sessions/{id}', await api.delete(`/api/v1/me/sessions/${second.body.data.session_id}`));
    c('DELETE', '/api/v1/auth/session', await t.as(bob.token).delete('/api/v1/auth/session'));
    c('DELETE', '/api/v1/auth/session', await t.as(bob.token).delete('/api/v1/auth/session'));
    c('DELETE', '/api/v1/me/sessions', await api.delete('/api/v1/me/sessions'));
    c('DELETE', '/api/v1/me/sessions', await anon.delete('/api/v1/me/sessions'));
    c('POST', '/api/v1/me/password', await api.post('/api/v1/me/password', { current_password: 'wrong one', new_password: 'correct horse' }));
    c('POST', '/api/v1/me/password', await api.post('/api/v1/me/password', { current_password: 'correct horse', new_password: 'correct horse' }));
    const reset = c('POST', '/api/v1/families/{id}/members/{user_id}/password-reset', await api.post(`/api/v1/families/${familyId}/members/${bob.id}/password-reset`));
    c('POST', '/api/v1/families/{id}/members/{user_id}/password-reset', await t.as(bob.token).post(`/api/v1/families/${familyId}/members/${admin.id}/password-reset`));
    c('POST', '/api/v1/families/{id}/members/{user_id}/password-reset', await api.post(`/api/v1/families/${familyId}/members/not-a-uuid/password-reset`));
    expect(c('GET', '/api/v1/password-resets/{token}', await anon.get(`/api/v1/password-resets/${reset.body.data.token}`)).status).toBe(200);
    c('GET', '/api/v1/password-resets/{token}', await anon.get('/api/v1/password-resets/fcr_unknown'));
    c('POST', '/api/v1/auth/password-reset', await anon.post('/api/v1/auth/password-reset', { token: 'fcr_unknown', password: 'correct horse' }));
    expect(c('POST', '/api/v1/auth/password-reset', await anon.post('/api/v1/auth/password-reset', { token: reset.body.data.token, password: 'correct horse' })).status).toBe(200);
    c('POST', '/api/v1/auth/password-reset', await anon.post('/api/v1/auth/password-reset', { token: reset.body.data.token, password: 'correct horse' }));
    c('GET', '/api/v1/password-resets/{token}', await anon.get(`/api/v1/password-resets/${reset.body.data.token}`));

    // Every documented operation of the contract's REST API was exercised above.
    const core = operations().filter(
      ({ path }) =>
        (path.startsWith('/api/v1/') && !/^\/api\/v1\/(branding|themes|admin)\b/.test(path)) || ['/healthz', '/readyz', '/metrics'].includes(path),
    );
    expect(core.length).toBeGreaterThan(25);
    for (const { method, path } of core) expect(checked, `${method.toUpperCase()} ${path} was checked`).toContain(`${method.toUpperCase()} ${path}`);
  });
});

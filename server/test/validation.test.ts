// The envelope on every response, request ids, malformed / oversized / mistyped input, internal errors,
// and property-based runs of random bodies and query strings over every route that takes them.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { AppError } from '../src/errors.js';
import type { Res } from './helpers/app.js';
import { family, withInstance } from './helpers/fixtures.js';

const { t, admin, familyId, conv, members: [bob] } = await family({ members: [undefined] });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUS_OF: Record<string, number[]> = {
  bad_request: [400],
  unauthorized: [401],
  forbidden: [403],
  no_shared_family: [403],
  not_found: [404],
  conflict: [409],
  gone: [410],
  payload_too_large: [413],
  validation_failed: [422],
  rate_limited: [429],
  internal: [500],
  unavailable: [503],
};

/** Checks `meta` and that the `x-request-id` header matches it. */
function expectMeta(res: Res): void {
  const meta = res.body.meta;
  expect(typeof meta.request_id).toBe('string');
  expect(meta.request_id.length).toBeGreaterThan(0);
  expect(meta.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(meta.trace_id).not.toBe('0'.repeat(32));
  expect(typeof meta.duration_ms).toBe('number');
  expect(meta.duration_ms).toBeGreaterThanOrEqual(0);
  expect(res.headers['x-request-id']).toBe(meta.request_id);
}

/** Checks a success envelope. */
function expectSuccess(res: Res, status: number): void {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
  expect(res.body.data).toBeDefined();
  expectMeta(res);
}

/** Checks an error envelope with `code` and returns its `details`. */
function expectError(res: Res, status: number, code: string): Record<string, any> | undefined {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['error', 'meta']);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expectMeta(res);
  return res.body.error.details;
}

async function latestSeq(conversationId = conv): Promise<number> {
  const res = await t.as(admin.token).get(`/api/v1/conversations/${conversationId}`);
  expect(res.status).toBe(200);
  return res.body.data.latest_message_seq as number;
}

describe('the success envelope', () => {
  it('wraps objects, lists and created resources in {data, meta} with a request id, a trace id and a duration', async () => {
    const me = await t.as(admin.token).get('/api/v1/me');
    expectSuccess(me, 200);
    expect(me.body.data.id).toBe(admin.id);
    const list = await t.as(admin.token).get('/api/v1/conversations');
    expectSuccess(list, 200);
    expect(Array.isArray(list.body.data)).toBe(true);
    const sent = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'envelope check' });
    expectSuccess(sent, 201);
    const page = await t.as(admin.token).get(`/api/v1/conversations/${conv}/messages?limit=1`);
    expectSuccess(page, 200);
    expect(page.body.meta.page).toEqual({ has_more: expect.any(Boolean), first_seq: sent.body.data.seq, last_seq: sent.body.data.seq });
    expectSuccess(await t.as().get('/healthz'), 200);
  });

  it('gives every request its own request id and trace id', async () => {
    const a = await t.as(admin.token).get('/api/v1/me');
    const b = await t.as(admin.token).get('/api/v1/me');
    expect(a.body.meta.request_id).not.toBe(b.body.meta.request_id);
    expect(a.body.meta.trace_id).not.toBe(b.body.meta.trace_id);
    expect(a.body.meta.request_id).toMatch(UUID);
  });
});

describe('request ids', () => {
  it('echoes a safe client-supplied x-request-id in the header and in meta, on success and on error', async () => {
    const id = 'web-1.2_client:abc@42';
    const ok = await t.as(admin.token).get('/api/v1/me', { 'x-request-id': id });
    expect(ok.headers['x-request-id']).toBe(id);
    expect(ok.body.meta.request_id).toBe(id);
    const err = await t.as(admin.token).get('/api/v1/no-such-thing', { 'x-request-id': id });
    expect(err.status).toBe(404);
    expect(err.body.meta.request_id).toBe(id);
    const longest = 'a'.repeat(128);
    expect((await t.as(admin.token).get('/api/v1/me', { 'x-request-id': longest })).body.meta.request_id).toBe(longest);
  });

  it.each([
    ['with spaces', 'has a space'],
    ['over 128 characters', 'a'.repeat(129)],
    ['with markup', '<script>x</script>'],
    ['with a quote', 'abc"def'],
  ])('replaces an unsafe x-request-id (%s) with a new UUID', async (_label, id) => {
    const res = await t.as(admin.token).get('/api/v1/me', { 'x-request-id': id });
    expect(res.status).toBe(200);
    expect(res.body.meta.request_id).not.toBe(id);
    expect(res.body.meta.request_id).toMatch(UUID);
    expect(res.headers['x-request-id']).toBe(res.body.meta.request_id);
  });
});

describe('the error envelope', () => {
  it('answers an unknown route, or an unknown method on a known path, with 404 not_found', async () => {
    expectError(await t.as(admin.token).get('/api/v1/nope'), 404, 'not_found');
    expectError(await t.as().get('/nothing/here?x=1'), 404, 'not_found');
    expectError(await t.as(admin.token).put('/api/v1/me', { display_name: 'x' }), 404, 'not_found');
    const res = await t.as(admin.token).post('/api/v1/nope', { a: 1 });
    expectError(res, 404, 'not_found');
    expect(res.body.error.details).toBeUndefined();
  });

  it('answers a missing or unknown token with 401 unauthorized', async () => {
    expectError(await t.as().get('/api/v1/me'), 401, 'unauthorized');
    expectError(await t.as('not-a-token').get('/api/v1/conversations'), 401, 'unauthorized');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Basic abc' } }).then(toRes), 401, 'unauthorized');
  });
});

/** The helper's response shape for a raw inject. */
function toRes(r: { statusCode: number; body: string; headers: Res['headers'] }): Res {
  let body: unknown = r.body;
  try {
    body = r.body ? JSON.parse(r.body) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: r.statusCode, body, headers: r.headers };
}

describe('malformed requests', () => {
  it.each([
    ['an unterminated object', '{"body":'],
    ['a trailing comma', '{"body":"hi",}'],
    ['single quotes', "{'body':'hi'}"],
    ['plain words', 'hello there'],
  ])('answers malformed JSON (%s) with 400 bad_request and stores nothing', async (_label, payload) => {
    const before = await latestSeq();
    expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, payload), 400, 'bad_request');
    expect(await latestSeq()).toBe(before);
  });

  it.each([
    ['text/plain', 'hello'],
    ['text/plain', '{"body":"looks like JSON"}'],
    ['application/x-www-form-urlencoded', 'body=hi'],
    ['application/xml', '<body>hi</body>'],
  ])('answers a %s body with 400 bad_request and stores nothing', async (type, payload) => {
    const before = await latestSeq();
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, payload, { 'content-type': type });
    expectError(res, 400, 'bad_request');
    expect(await latestSeq()).toBe(before);
  });

  // 400 when the router rejects the URL itself; 404 when the web client's catch-all route matched it first.
  it('answers a malformed or over-long URL with the error envelope (400 bad_request or 404 not_found), never a raw error', async () => {
    for (const path of [`/api/v1/conversations/%E2%82/messages`, `/api/v1/conversations/${'a'.repeat(200)}`]) {
      const res = await t.as(admin.token).get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.body.error.code).toBe(res.status === 400 ? 'bad_request' : 'not_found');
      expect(res.headers['x-request-id']).toBe(res.body.meta.request_id);
      expect(res.body.meta.trace_id).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('accepts JSON with a charset parameter', async () => {
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'charset ok' }, {
      'content-type': 'application/json; charset=utf-8',
    });
    expectSuccess(res, 201);
  });

  it('answers a body over the server limit (64 KiB by default) with 413 payload_too_large', async () => {
    expect(t.config.bodyLimit).toBe(64 * 1024);
    const before = await latestSeq();
    const big = JSON.stringify({ body: 'x'.repeat(64 * 1024) });
    expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, big), 413, 'payload_too_large');
    expect(await latestSeq()).toBe(before);
    // Just under the limit is parsed (the unknown property is ignored).
    const under = await t.as(admin.token).patch('/api/v1/me', { display_name: 'Admin', filler: 'y'.repeat(60 * 1024) });
    expectSuccess(under, 200);
  });

  it('applies FAMICHAT_BODY_LIMIT', () =>
    withInstance({ FAMICHAT_BODY_LIMIT: '2048' }, async ({ t: small, admin: owner }) => {
      expectError(await small.as(owner.token).patch('/api/v1/me', { display_name: 'z'.repeat(3000) }), 413, 'payload_too_large');
      expectSuccess(await small.as(owner.token).patch('/api/v1/me', { display_name: 'Small', filler: 'z'.repeat(1500) }), 200);
    }));
});

describe('message bodies', () => {
  it('refuses a body of 8193 UTF-8 bytes (2731 three-byte characters) with 413 and stores nothing', async () => {
    const before = await latestSeq();
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: '€'.repeat(2731) });
    expectError(res, 413, 'payload_too_large');
    expect(await latestSeq()).toBe(before);
  });

  it('accepts a body of exactly 8192 bytes, counting bytes after trimming', async () => {
    const body = '€'.repeat(2730) + 'ab';
    expect(Buffer.byteLength(body)).toBe(8192);
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: `  \n${body}\n  ` });
    expectSuccess(res, 201);
    expect(res.body.data.body).toBe(body);
    const stored = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=1`);
    expect(stored.body.data[0].body).toBe(body);
  });

  it('counts four-byte characters as four bytes: 2048 emoji pass, 2049 do not', async () => {
    expectSuccess(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: '😀'.repeat(2048) }), 201);
    expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: '😀'.repeat(2049) }), 413, 'payload_too_large');
  });

  it('applies the byte limit to edits too', async () => {
    const sent = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'to be edited' });
    const edit = await t.as(admin.token).patch(`/api/v1/conversations/${conv}/messages/${sent.body.data.id}`, { body: '€'.repeat(2731) });
    expectError(edit, 413, 'payload_too_large');
    const page = await t.as(admin.token).get(`/api/v1/conversations/${conv}/messages?limit=1`);
    expect(page.body.data[0]).toMatchObject({ id: sent.body.data.id, body: 'to be edited', edited_at: null });
  });

  it.each([
    ['whitespace only', ' \n\t  '],
    ['empty', ''],
  ])('refuses a %s body with 422 naming the field', async (_label, body) => {
    const before = await latestSeq();
    const details = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body }), 422, 'validation_failed');
    expect(Object.keys(details?.fields ?? {})).toEqual(['body']);
    expect(await latestSeq()).toBe(before);
  });

  it('refuses a NUL character with 422 naming the field, and stores nothing', async () => {
    const before = await latestSeq();
    const details = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'a\u0000b' }), 422, 'validation_failed');
    expect(Object.keys(details?.fields ?? {})).toEqual(['body']);
    const other = expectError(await t.as(admin.token).post('/api/v1/families', { name: 'Nul\u0000family' }), 422, 'validation_failed');
    expect(Object.keys(other?.fields ?? {})).toEqual(['name']);
    const nested = expectError(await t.as(admin.token).patch('/api/v1/me', { preferences: { theme: 'dark\u0000' } }), 422, 'validation_failed');
    expect(Object.keys(nested?.fields ?? {})).toEqual(['preferences.theme']);
    expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, '"\\u0000"'), 422, 'validation_failed');
    expect((await t.as(admin.token).get('/api/v1/me')).body.data.preferences.theme).not.toBe('dark\u0000');
    expect(await latestSeq()).toBe(before);
  });

  it('stores any other Unicode unchanged', async () => {
    const body = 'héllo 👋🏽 مرحبا 你好 \u200b\u{1F468}\u200D\u{1F469}\u200D\u{1F467} <b>&amp;</b> \'; DROP TABLE messages; --';
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body });
    expectSuccess(res, 201);
    const page = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=1`);
    expect(page.body.data[0].body).toBe(body);
  });
});

describe('wrong types', () => {
  it('answers a number for body with 422 and details.fields.body', async () => {
    const details = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 42 }), 422, 'validation_failed');
    expect(details?.fields).toEqual({ body: expect.any(String) });
  });

  it('answers a string for seq with 422 and details.fields.seq', async () => {
    const details = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/read`, { seq: '3' }), 422, 'validation_failed');
    expect(details?.fields).toEqual({ seq: expect.any(String) });
  });

  it('reports a missing field by name, and every bad field at once', async () => {
    const missing = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, {}), 422, 'validation_failed');
    expect(missing?.fields).toEqual({ body: expect.any(String) });
    const noBody = expectError(await t.as(admin.token).post(`/api/v1/conversations/${conv}/read`), 422, 'validation_failed');
    expect(noBody?.fields).toEqual({ seq: expect.any(String) });
    const setup = expectError(await t.as().post('/api/v1/setup', { username: 5, password: [], display_name: {}, family_name: null }), 422, 'validation_failed');
    expect(Object.keys(setup?.fields ?? {}).sort()).toEqual(['display_name', 'family_name', 'password', 'username']);
  });

  it.each([
    ['an array', [1, 2]],
    ['null', 'null'],
    ['a string', '"body"'],
    ['a number', '7'],
  ])('answers a JSON body that is %s with 422', async (_label, payload) => {
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, payload);
    expectError(res, 422, 'validation_failed');
  });

  it('answers bad query parameters with 422 naming them', async () => {
    const res = await t.as(admin.token).get(`/api/v1/conversations/${conv}/messages?limit=abc&before=-1`);
    const details = expectError(res, 422, 'validation_failed');
    expect(Object.keys(details?.fields ?? {}).sort()).toEqual(['before', 'limit']);
    const hidden = expectError(await t.as(admin.token).get('/api/v1/conversations?include_hidden=perhaps'), 422, 'validation_failed');
    expect(Object.keys(hidden?.fields ?? {})).toEqual(['include_hidden']);
  });
});

describe('unexpected failures', () => {
  it('answers an unexpected error with 500 internal and no stack or SQL, and an unreachable database with 503', async () => {
    const { app } = await buildApp({ config: t.config, database: t.db.database, bus: t.bus });
    const secret = 'SELECT password_hash FROM users WHERE id = $1 -- params: hunter2';
    app.get('/boom', () => {
      throw new Error(`Failed query: ${secret}`, { cause: Object.assign(new Error('relation "users" does not exist'), { code: '42P01' }) });
    });
    app.get('/db-down', () => {
      throw new Error(`Failed query: ${secret}`, { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) });
    });
    app.get('/throw-string', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw secret;
    });
    app.get('/odd', () => {
      throw Object.assign(new Error(`odd ${secret}`), { code: 42, stack: undefined });
    });
    app.get('/busy', () => {
      throw new AppError('unavailable', 'Try again.');
    });
    await app.ready();
    try {
      const thrown = toRes(await app.inject({ method: 'GET', url: '/throw-string' }));
      expectError(thrown, 500, 'internal');
      expect(JSON.stringify(thrown.body)).not.toContain('SELECT');
      const odd = toRes(await app.inject({ method: 'GET', url: '/odd' }));
      expectError(odd, 500, 'internal');
      expect(JSON.stringify(odd.body)).not.toContain('SELECT');
      const busy = toRes(await app.inject({ method: 'GET', url: '/busy' }));
      expectError(busy, 503, 'unavailable');
      expect(busy.headers['retry-after']).toBe('1');
      const boom = toRes(await app.inject({ method: 'GET', url: '/boom' }));
      expectError(boom, 500, 'internal');
      const text = JSON.stringify(boom.body);
      for (const leak of ['SELECT', 'users', 'hunter2', 'stack', '.ts:', 'Error:', '    at ']) expect(text).not.toContain(leak);
      const down = toRes(await app.inject({ method: 'GET', url: '/db-down' }));
      expectError(down, 503, 'unavailable');
      expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.stringify(down.body)).not.toContain('SELECT');
    } finally {
      await app.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based: random input never gives a 5xx, always gives the envelope, and never corrupts data.

/** The checks every fuzzed response must pass; returns the parsed body. */
function checkEnvelope(res: Res, label: string): any {
  if (res.status >= 500) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
  if (res.status === 204) {
    expect(res.body).toBeUndefined();
    return undefined;
  }
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expectMeta(res);
  if (res.status < 300) {
    expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
  } else {
    expect(Object.keys(res.body).sort()).toEqual(['error', 'meta']);
    expect(res.body.error.code).toMatch(/^[a-z_]+$/);
    expect(STATUS_OF[res.body.error.code]).toContain(res.status);
    expect(typeof res.body.error.message).toBe('string');
    if (res.body.error.code === 'validation_failed') {
      expect(Object.keys(res.body.error.details.fields).length).toBeGreaterThan(0);
    }
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/\bSELECT\b|\bINSERT INTO\b| {4}at /);
  }
  return res.body;
}

/** How a server would see a stored body: trimmed, then through UTF-8 (lone surrogates become U+FFFD). */
const asStored = (body: string) => Buffer.from(body.trim(), 'utf8').toString('utf8');

describe('property-based robustness', () => {
  const PRESENT = 5;
  let fuzzConv: string;
  const presentIds: string[] = [];
  const sent = new Map<string, string>(); // message id -> expected stored body

  beforeAll(async () => {
    const group = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Fuzz', participant_ids: [bob.id] });
    expect(group.status).toBe(201);
    fuzzConv = group.body.data.id;
    for (let i = 1; i <= PRESENT; i++) {
      const res = await t.as(i % 2 ? admin.token : bob.token).post(`/api/v1/conversations/${fuzzConv}/messages`, { body: `before ${i}` });
      expect(res.body.data.seq).toBe(i);
      presentIds.push(res.body.data.id);
      sent.set(res.body.data.id, `before ${i}`);
    }
  });

  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ maxLength: 10 }).map((s) => `  ${s}  `),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.uuid(),
    fc.constantFrom('', ' ', 'admin', 'member', 'direct', 'self', 'group', 'dark', '\u0000', '€'.repeat(2731), 'x'.repeat(9000)),
    fc.array(fc.oneof(fc.uuid(), fc.string()), { maxLength: 3 }),
    fc.anything({ maxDepth: 2 }),
  );

  /** Random payloads for a route whose body schema has `fields`: valid-ish records, random JSON, random text. */
  const payloadFor = (fields: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
      { weight: 1, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? '') },
      { weight: 1, arbitrary: fc.object().map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.json() },
      // A plain text body alone, so the send route stores some messages whatever else the records carry
      // (a random attachment_ids in half of them is refused).
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((body) => JSON.stringify({ body: `m ${body}` })) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
      { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,', 'nul', '{"body":"x"}}', '\u0000', '{"__proto__":{"admin":true}}') },
    );

  const contentType = fc.constantFrom<string | undefined>(
    'application/json',
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    undefined,
  );

  it('never answers random bodies on any body-taking route with a 5xx or without the envelope', async () => {
    const doc = (await t.as().get('/api/openapi.json')).body;
    const routes: Array<{ method: string; template: string; fields: string[] }> = [];
    for (const [template, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (schema) routes.push({ method: method.toUpperCase(), template, fields: Object.keys(schema.properties ?? {}) });
      }
    }
    // Every body-taking route of the contract is among them, so the run cannot pass by fuzzing nothing.
    const names = routes.map((r) => `${r.method} ${r.template}`);
    for (const expected of [
      'POST /api/v1/setup',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/register',
      'PATCH /api/v1/me',
      'POST /api/v1/families',
      'POST /api/v1/families/{id}/invites',
      'PATCH /api/v1/families/{id}/members/{user_id}',
      'POST /api/v1/conversations',
      'PATCH /api/v1/conversations/{id}',
      'POST /api/v1/conversations/{id}/participants',
      'POST /api/v1/conversations/{id}/messages',
      'PATCH /api/v1/conversations/{id}/messages/{message_id}',
      'POST /api/v1/conversations/{id}/read',
    ]) {
      expect(names).toContain(expected);
    }

    const fill = (template: string) =>
      template
        .replace(/^\/api\/v1\/families\/\{id\}/, `/api/v1/families/${familyId}`)
        .replace(/^\/api\/v1\/conversations\/\{id\}/, `/api/v1/conversations/${fuzzConv}`)
        .replace('{user_id}', bob.id)
        .replace('{message_id}', presentIds[0]!)
        .replace(/\{[a-z_]+\}/g, '00000000-0000-4000-8000-000000000000');

    for (const route of routes) {
      const url = fill(route.template);
      const label = `${route.method} ${route.template}`;
      await fc.assert(
        fc.asyncProperty(payloadFor(route.fields), contentType, async (payload, type) => {
          const res = toRes(
            await t.app.inject({
              method: route.method as 'POST',
              url,
              headers: { authorization: `Bearer ${admin.token}`, ...(type ? { 'content-type': type } : {}) },
              payload,
            }),
          );
          checkEnvelope(res, `${label} ${JSON.stringify(payload).slice(0, 200)}`);
          if (label === 'POST /api/v1/conversations/{id}/messages' && res.status === 201) {
            sent.set(res.body.data.id, res.body.data.body);
            expect(res.body.data.body).toBe(asStored(JSON.parse(payload).body));
          }
          if (label === 'PATCH /api/v1/conversations/{id}/messages/{message_id}' && res.status === 200) {
            sent.set(res.body.data.id, res.body.data.body);
            expect(res.body.data.body).toBe(asStored(JSON.parse(payload).body));
          }
        }),
        { numRuns: route.template.endsWith('/messages') ? 200 : 100 },
      );
    }
  });

  it('never answers random query strings on the list routes with a 5xx, and pages exactly when the query is valid', async () => {
    const latest = await latestSeq(fuzzConv);
    const param = fc.oneof(
      fc.integer({ min: -3, max: latest + 5 }).map(String),
      fc.constantFrom('', '0', '1', '200', '201', '2147483647', '2147483648', '1e2', '0x10', ' 5', '5 ', '1.5', '-0', 'null', 'true', '[]', '%00', '%zz'),
      fc.string({ maxLength: 8 }),
    );
    const query = fc.record({ limit: param, before: param, after: param, extra: param }, { requiredKeys: [] });
    const canonical = (v: string | undefined, min: number, max: number) => v === undefined || (/^(0|[1-9]\d*)$/.test(v) && Number(v) >= min && Number(v) <= max);

    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (q, raw) => {
        const entries: Array<[string, string]> = Object.entries(q);
        const qs = raw ? entries.map(([k, v]) => `${k}=${v.replace(/[#&\s]/g, '')}`).join('&') : new URLSearchParams(entries).toString();
        const res = toRes(
          await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${fuzzConv}/messages?${qs}`, headers: { authorization: `Bearer ${admin.token}` } }),
        );
        checkEnvelope(res, `GET messages?${qs}`);
        const sentValue = (k: 'limit' | 'before' | 'after') => (raw ? q[k]?.replace(/[#&\s]/g, '') : q[k]);
        const [limit, before, after] = [sentValue('limit'), sentValue('before'), sentValue('after')];
        const valid =
          canonical(limit, 1, 200) && canonical(before, 0, 2147483647) && canonical(after, 0, 2147483647) && !(before !== undefined && after !== undefined);
        if (!valid) return;
        expect(res.status).toBe(200);
        const n = limit === undefined ? 50 : Number(limit);
        let expected: number[];
        if (after !== undefined) {
          expected = range(Number(after) + 1, Math.min(Number(after) + n, latest));
        } else {
          const top = before === undefined ? latest : Math.min(Number(before) - 1, latest);
          expected = range(Math.max(1, top - n + 1), top);
        }
        expect(res.body.data.map((m: { seq: number }) => m.seq)).toEqual(expected);
      }),
      { numRuns: 200 },
    );

    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom('true', 'false', '1', '0', '', 'TRUE', 'yes'), fc.string({ maxLength: 6 })), async (v) => {
        const res = toRes(
          await t.app.inject({
            method: 'GET',
            url: `/api/v1/conversations?include_hidden=${encodeURIComponent(v)}`,
            headers: { authorization: `Bearer ${admin.token}` },
          }),
        );
        checkEnvelope(res, `GET conversations?include_hidden=${v}`);
        if (v === 'true' || v === 'false') {
          expect(res.status).toBe(200);
          expect(Array.isArray(res.body.data)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('leaves the stored history intact: earlier messages in order, every accepted send stored once, no seq gap', async () => {
    const all: any[] = [];
    let after = 0;
    for (;;) {
      const page = await t.as(bob.token).get(`/api/v1/conversations/${fuzzConv}/messages?after=${after}&limit=200`);
      expect(page.status).toBe(200);
      all.push(...page.body.data);
      if (!page.body.meta.page.has_more) break;
      after = page.body.meta.page.last_seq;
    }
    expect(all.map((m) => m.seq)).toEqual(range(1, all.length));
    expect(all.slice(0, PRESENT).map((m) => m.id)).toEqual(presentIds);
    // The first message was the edit target: its body may have changed, the others may not.
    expect(all.slice(1, PRESENT).map((m) => m.body)).toEqual(range(2, PRESENT).map((i) => `before ${i}`));
    const stored = new Map(all.map((m) => [m.id as string, m.body as string]));
    for (const [id, body] of sent) expect(stored.get(id)).toBe(body);
    expect(all.length).toBeGreaterThan(PRESENT);
    // The family conversation, untouched by the run, still reads as before.
    const family = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?after=0&limit=1`);
    expect(family.body.data[0].body).toBe('envelope check');
  });
});

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

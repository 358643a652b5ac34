// Tracing and logging: one server span per request whose trace id is meta.trace_id, domain spans as its
// children with ids and outcomes, and neither spans nor log lines ever carrying a message body, a
// password or a token.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import pino from 'pino';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { addSpanExporter, flushTracing } from '../src/telemetry/tracing.js';
import type { Res } from './helpers/app.js';
import { family, outsider } from './helpers/fixtures.js';

const exporter = new InMemorySpanExporter();
const lines: string[] = [];
addSpanExporter(exporter);
const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
const { t, admin, familyId, conv, members: [bob] } = await family({ members: [undefined], app: { logger } });

const BODY = 'telemetry-secret-body-7f3a9c';
const PASSWORD = 'correct horse';

/** The finished spans of the trace of response `res`, once its server span has ended. */
async function traceOf(res: Res): Promise<{ server: ReadableSpan; spans: ReadableSpan[] }> {
  const traceId: string = res.body.meta.trace_id;
  const spans = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const server = await vi.waitFor(() => {
    const found = spans().find((s) => s.kind === SpanKind.SERVER);
    expect(found).toBeDefined();
    return found!;
  });
  return { server, spans: spans() };
}

/** The one span named `name` in `spans`. */
function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

const isChildOf = (child: ReadableSpan, parent: ReadableSpan) =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId && child.spanContext().traceId === parent.spanContext().traceId;

describe('spans', () => {
  it('traces a send as an HTTP server span with a chat.send_message child carrying ids and the outcome', async () => {
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: BODY, client_id: 'tele-client-1' });
    expect(res.status).toBe(201);
    const { server, spans } = await traceOf(res);
    expect(server.name).toBe('POST /api/v1/conversations/:id/messages');
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.attributes).toMatchObject({
      'http.route': '/api/v1/conversations/:id/messages',
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'famichat.request_id': res.body.meta.request_id,
      'famichat.user_id': admin.id,
    });
    expect(server.status.code).not.toBe(SpanStatusCode.ERROR);
    const send = one(spans, 'chat.send_message');
    expect(isChildOf(send, server)).toBe(true);
    expect(send.attributes).toMatchObject({
      'famichat.conversation_id': conv,
      'famichat.user_id': admin.id,
      'famichat.message_id': res.body.data.id,
      'famichat.outcome': 'ok',
    });
  });

  it('traces a page read, whose statement checks access too, as chat.get_messages inside the server span', async () => {
    const res = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=5`);
    expect(res.status).toBe(200);
    const { server, spans } = await traceOf(res);
    expect(server.name).toBe('GET /api/v1/conversations/:id/messages');
    expect(server.attributes['http.response.status_code']).toBe(200);
    const page = one(spans, 'chat.get_messages');
    expect(isChildOf(page, server)).toBe(true);
    expect(page.attributes).toMatchObject({ 'famichat.conversation_id': conv, 'famichat.user_id': bob.id, 'famichat.outcome': 'ok' });
  });

  it('nests chat.check_access inside the server span of an edit', async () => {
    const edit = await t.as(bob.token).patch(`/api/v1/conversations/${conv}/messages/00000000-0000-4000-8000-000000000000`, { body: 'x' });
    expect(edit.status).toBe(404);
    const { server, spans } = await traceOf(edit);
    const access = one(spans, 'chat.check_access');
    expect(isChildOf(access, server)).toBe(true);
    expect(access.attributes).toMatchObject({ 'famichat.conversation_id': conv, 'famichat.user_id': bob.id, 'famichat.outcome': 'ok' });
  });

  it('traces listing conversations and creating a direct conversation', async () => {
    const list = await t.as(bob.token).get('/api/v1/conversations');
    const listed = await traceOf(list);
    expect(listed.server.name).toBe('GET /api/v1/conversations');
    const listSpan = one(listed.spans, 'chat.list_conversations');
    expect(isChildOf(listSpan, listed.server)).toBe(true);
    expect(listSpan.attributes).toMatchObject({ 'famichat.user_id': bob.id, 'famichat.outcome': 'ok' });

    const direct = await t.as(bob.token).post('/api/v1/conversations', { type: 'direct', participant_id: admin.id });
    expect(direct.status).toBe(201);
    const created = await traceOf(direct);
    expect(created.server.name).toBe('POST /api/v1/conversations');
    expect(created.server.attributes['http.response.status_code']).toBe(201);
    const createSpan = one(created.spans, 'chat.create_direct_conversation');
    expect(isChildOf(createSpan, created.server)).toBe(true);
    expect(createSpan.attributes).toMatchObject({
      'famichat.user_id': bob.id,
      'famichat.conversation_id': direct.body.data.id,
      'famichat.outcome': 'ok',
    });
  });

  it('records the error code as the outcome of a failing request, on the server span and the domain spans', async () => {
    const missing = '3f1c0c2e-8a51-4c1e-9d53-5d2b7c1a0e99';
    const res = await t.as(admin.token).post(`/api/v1/conversations/${missing}/messages`, { body: BODY });
    expect(res.status).toBe(404);
    const { server, spans } = await traceOf(res);
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 404, 'famichat.outcome': 'not_found' });
    const send = one(spans, 'chat.send_message');
    expect(send.attributes['famichat.outcome']).toBe('not_found');
    expect(send.attributes['famichat.message_id']).toBeUndefined();
    expect(one(spans, 'chat.check_access').attributes['famichat.outcome']).toBe('not_found');

    const empty = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: '   ' });
    expect(empty.status).toBe(422);
    const emptyTrace = await traceOf(empty);
    expect(emptyTrace.server.attributes['famichat.outcome']).toBe('validation_failed');
    expect(one(emptyTrace.spans, 'chat.send_message').attributes['famichat.outcome']).toBe('validation_failed');

    const stranger = await outsider(t, admin);
    const refused = await t.as(stranger.token).post('/api/v1/conversations', { type: 'direct', participant_id: bob.id });
    expect(refused.status).toBe(403);
    const refusedTrace = await traceOf(refused);
    expect(refusedTrace.server.attributes['famichat.outcome']).toBe('no_shared_family');
    expect(one(refusedTrace.spans, 'chat.create_direct_conversation').attributes['famichat.outcome']).toBe('no_shared_family');
  });

  it('names a request that matched no route as unmatched', async () => {
    const res = await t.as(admin.token).get('/api/v1/no/such/route');
    expect(res.status).toBe(404);
    const { server } = await traceOf(res);
    expect(server.attributes).toMatchObject({ 'http.route': 'unmatched', 'http.response.status_code': 404, 'famichat.outcome': 'not_found' });
  });
});

describe('exporters', () => {
  it('flushes every added exporter on flushTracing (as on shutdown)', async () => {
    const exported: string[] = [];
    let flushed = 0;
    const exporter2: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans.map((s) => s.name));
        done({ code: 0 }); // ExportResultCode.SUCCESS
      },
      shutdown: () => Promise.resolve(),
      forceFlush: () => {
        flushed++;
        return Promise.resolve();
      },
    };
    addSpanExporter(exporter2);
    const res = await t.as(admin.token).get('/api/v1/conversations');
    await traceOf(res);
    await flushTracing();
    expect(flushed).toBe(1);
    expect(exported).toContain('GET /api/v1/conversations');
    expect(exported).toContain('chat.list_conversations');
  });
});

describe('secrets stay out of telemetry', () => {
  let inviteToken: string;
  let carolToken: string;
  let loginToken: string;

  beforeAll(async () => {
    const invite = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, {});
    inviteToken = invite.body.data.token;
    const reg = await t.as().post('/api/v1/auth/register', { invite_token: inviteToken, username: 'carol_tele', password: PASSWORD, display_name: 'Carol' }, { 'x-request-id': 'tele-register' });
    expect(reg.status).toBe(201);
    carolToken = reg.body.data.token;
    const login = await t.as().post('/api/v1/auth/login', { username: 'carol_tele', password: PASSWORD }, { 'x-request-id': 'tele-login' });
    expect(login.status).toBe(200);
    loginToken = login.body.data.token;
    const bad = await t.as().post('/api/v1/auth/login', { username: 'carol_tele', password: `${PASSWORD} wrong` }, { 'x-request-id': 'tele-bad-login' });
    expect(bad.status).toBe(401);
    const sent = await t.as(carolToken).post(`/api/v1/conversations/${conv}/messages`, { body: `${BODY} from carol` }, { 'x-request-id': 'tele-send' });
    expect(sent.status).toBe(201);
    const edited = await t.as(carolToken).patch(`/api/v1/conversations/${conv}/messages/${sent.body.data.id}`, { body: `${BODY} edited` });
    expect(edited.status).toBe(200);
    const tooBig = await t.as(carolToken).post(`/api/v1/conversations/${conv}/messages`, { body: `${BODY}${'€'.repeat(2731)}` });
    expect(tooBig.status).toBe(413);
    const query = await t.as(loginToken).get(`/api/v1/me?token=${loginToken}&invite=${inviteToken}`, { 'x-request-id': 'tele-query-token' });
    expect(query.status).toBe(200);
    const unknown = await t.as(loginToken).get(`/api/v1/nothing?token=${loginToken}`, { 'x-request-id': 'tele-404-token' });
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).not.toContain(loginToken);
    await vi.waitFor(() => expect(lines.some((l) => l.includes('tele-404-token') && l.includes('request completed'))).toBe(true));
  });

  const secrets = () => [BODY, PASSWORD, admin.token, bob.token, carolToken, loginToken, inviteToken];

  it('never puts a message body, a password or a token in a span name or attribute', () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(20);
    expect(spans.some((s) => s.name === 'accounts.login')).toBe(true);
    for (const span of spans) {
      const text = JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links });
      for (const secret of secrets()) expect(text, span.name).not.toContain(secret);
    }
  });

  it('logs every request with its request id, and without its query string', () => {
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const of = (id: string) => parsed.filter((l) => l.reqId === id);
    for (const id of ['tele-register', 'tele-login', 'tele-bad-login', 'tele-send', 'tele-query-token', 'tele-404-token']) {
      const msgs = of(id).map((l) => l.msg);
      expect(msgs, id).toContain('incoming request');
      expect(msgs, id).toContain('request completed');
    }
    const incoming = of('tele-query-token').find((l) => l.msg === 'incoming request')!;
    expect(incoming.req.url).toBe('/api/v1/me');
    expect(of('tele-send').find((l) => l.msg === 'request completed')!.res.statusCode).toBe(201);
  });

  it('never logs a message body, a password, a token or an Authorization header', () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      for (const secret of secrets()) expect(line).not.toContain(secret);
      expect(line.toLowerCase()).not.toContain('bearer');
      expect(line.toLowerCase()).not.toContain('authorization');
    }
  });
});

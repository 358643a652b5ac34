// Real-time over Phoenix Channels v2: the socket and its frames, channel authorization, sending,
// catch-up, typing and read, the user topic, edits, and stopping delivery on revocation or removal.
// Uses the official `phoenix` client, and a raw `ws` socket where exact frames matter.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'phoenix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, createFamily, family, familyConversation, setupInstance } from './helpers/fixtures.js';
import type { Raw } from './helpers/frames.js';
import { raw as openRaw, socketUrl, upgradeOutcome } from './helpers/frames.js';
import { connect, joinChannel, push } from './helpers/phoenix.js';
import type { Queue } from './helpers/wait.js';

const { t, url, admin, familyId, conv: famConv, members: [bob, carol] } = await family({ members: ['Bob', 'Carol'] });
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

/** Opens a raw socket (closed after the test). */
async function raw(token: string, base = url): Promise<Raw> {
  const socket = await openRaw(base, token);
  opened.push({ close: () => socket.ws.close() });
  return socket;
}

/** The HTTP status with which the upgrade is refused ('open' if it is not). */
const upgradeStatus = async (token: string | undefined) => (await upgradeOutcome(socketUrl(url, token))).status;

/** A connected phoenix client (disconnected after the test). */
async function client(token: string, options: Record<string, unknown> = {}): Promise<Socket> {
  const socket = await connect(url, token, options);
  opened.push({ close: () => socket.disconnect() });
  return socket;
}

/** A joined phoenix channel with queues for `events`, registered before the join so nothing is missed. */
const open = (socket: Socket, topic: string, params: object = {}, events: string[] = []) => joinChannel(socket, topic, params, events);

const api = (person: Person) => t.as(person.token);

async function send(person: Person, conversationId: string, body: string, clientId?: string) {
  const res = await api(person).post(`/api/v1/conversations/${conversationId}/messages`, { body, ...(clientId ? { client_id: clientId } : {}) });
  expect(res.status).toBe(201);
  return res.body.data;
}

async function history(person: Person, conversationId: string, query = 'limit=200') {
  const res = await api(person).get(`/api/v1/conversations/${conversationId}/messages?${query}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function group(owner: Person, members: Person[], title = 'Group') {
  const res = await api(owner).post('/api/v1/conversations', {
    type: 'group',
    family_id: familyId,
    title,
    participant_ids: members.map((m) => m.id),
  });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}

async function login(person: Person) {
  const res = await t.as().post('/api/v1/auth/login', { username: person.username, password: 'correct horse', device_name: 'second' });
  expect(res.status).toBe(200);
  return { token: res.body.data.token as string, sessionId: res.body.data.session_id as string };
}

const seqsOf = (messages: { seq: number }[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the socket', () => {
  it('accepts a good token and refuses a missing, unknown or revoked one with HTTP 403', async () => {
    expect(await upgradeStatus(admin.token)).toBe('open');
    expect(await upgradeStatus(undefined)).toBe(403);
    expect(await upgradeStatus('')).toBe(403);
    expect(await upgradeStatus('not-a-token')).toBe(403);
    const second = await login(bob);
    expect(await upgradeStatus(second.token)).toBe('open');
    expect((await t.as(second.token).delete('/api/v1/auth/session')).status).toBe(204);
    expect(await upgradeStatus(second.token)).toBe(403);
    // The official client connects with a good token.
    const socket = await client(bob.token);
    expect(socket.isConnected()).toBe(true);
  });

  it('answers a heartbeat with the exact ok reply', async () => {
    const socket = await raw(admin.token);
    const texts: string[] = [];
    socket.ws.on('message', (data) => texts.push((data as Buffer).toString()));
    socket.send('[null,"1","phoenix","heartbeat",{}]');
    await socket.frames.next((f) => f[2] === 'phoenix');
    expect(texts).toEqual(['[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]']);
  });

  it('echoes join_ref and ref in the join reply; a leave replies ok, then phx_close with the join_ref, then nothing more', async () => {
    const socket = await raw(admin.token);
    const topic = `message:family:${famConv}`;
    const latest = (await api(admin).get(`/api/v1/conversations/${famConv}`)).body.data.latest_message_seq;
    socket.send(['j7', 'r8', topic, 'phx_join', {}]);
    expect(await socket.frames.next((f) => f[1] === 'r8')).toEqual([
      'j7',
      'r8',
      topic,
      'phx_reply',
      { status: 'ok', response: { latest_seq: latest, messages: [], has_more: false } },
    ]);
    socket.send(['j7', 'r9', topic, 'phx_leave', {}]);
    const replyFrame = await socket.frames.next((f) => f[1] === 'r9');
    expect(replyFrame).toEqual(['j7', 'r9', topic, 'phx_reply', { status: 'ok', response: {} }]);
    const close = await socket.frames.next((f) => f[3] === 'phx_close');
    expect(close[0]).toBe('j7');
    expect(close[2]).toBe(topic);
    expect(close[4]).toEqual({});
    expect(socket.frames.all.indexOf(close)).toBeGreaterThan(socket.frames.all.indexOf(replyFrame));
    await send(bob, famConv, 'after the leave');
    await socket.flush();
    expect(socket.frames.all.filter((f) => f[3] === 'new_msg')).toEqual([]);
  });

  it('echoes the join_ref on pushes to one channel and uses null on broadcasts', async () => {
    const socket = await raw(admin.token);
    const family = await socket.join(`family:${familyId}`);
    const user = await socket.join(`user:${admin.id}`);
    const messages = await socket.join(`message:family:${famConv}`);
    expect([family.status, user.status, messages.status]).toEqual(['ok', 'ok', 'ok']);
    const presence = await socket.frames.next((f) => f[3] === 'presence_state');
    expect(presence.slice(0, 3)).toEqual([family.joinRef, null, `family:${familyId}`]);
    expect(presence[4][admin.id].metas[0]).toEqual({ phx_ref: expect.any(String), online_at: expect.any(String) });
    const message = await send(bob, famConv, 'framed');
    expect(await socket.frames.next((f) => f[3] === 'new_msg')).toEqual([null, null, `message:family:${famConv}`, 'new_msg', { message }]);
    const updated = await socket.frames.next((f) => f[3] === 'conversation_updated');
    expect(updated.slice(0, 3)).toEqual([user.joinRef, null, `user:${admin.id}`]);
    expect(updated[4].conversation).toMatchObject({ id: famConv, latest_message_seq: message.seq });
  });

  it('refuses an unknown topic prefix with "unmatched topic" and a push to a topic not joined with an error', async () => {
    const socket = await raw(admin.token);
    const join = await socket.join('room:lobby');
    expect(join).toMatchObject({ status: 'error', response: { reason: 'unmatched topic' } });
    const before = await history(admin, famConv, 'limit=1');
    const reply = await socket.call('x1', `message:family:${famConv}`, 'new_msg', { body: 'not joined' });
    expect(reply.slice(0, 4)).toEqual(['x1', expect.any(String), `message:family:${famConv}`, 'phx_reply']);
    expect(reply[4].status).toBe('error');
    expect(reply[4].response.reason).toEqual(expect.any(String));
    expect((await history(admin, famConv, 'limit=1')).data).toEqual(before.data);
  });
});

describe('authorization', () => {
  it('refuses every topic the caller may not see with the identical {reason: "not_found"}', async () => {
    const otherFamily = await createFamily(t, carol, 'Carol only');
    const otherFamilyConv = await familyConversation(t, carol, otherFamily);
    const bobAndCarol = await group(bob, [carol], 'Not for admin');
    const self = await api(bob).post('/api/v1/conversations', { type: 'self' });
    const topics = [
      `message:family:${randomUUID()}`, // unknown id
      `message:group:${famConv}`, // wrong type
      `message:direct:${famConv}`, // wrong type
      `message:family:${otherFamilyConv}`, // not a participant
      `message:group:${bobAndCarol}`, // not a participant
      `message:self:${self.body.data.id}`, // someone else's notes
      `message:family:not-a-uuid`, // malformed
      `message:family:${famConv.toUpperCase()}x`,
      `message:family:${famConv}:extra`,
      `message:family:`,
      `message:bogus:${famConv}`,
      `user:${bob.id}`, // someone else
      `user:${randomUUID()}`,
      `user:not-a-uuid`,
      `family:${otherFamily}`, // not mine
      `family:${randomUUID()}`,
      `family:xyz`,
    ];
    const socket = await raw(admin.token);
    for (const topic of topics) {
      const reply = await socket.call(socket.ref(), topic, 'phx_join', {});
      expect(reply[4], topic).toEqual({ status: 'error', response: { reason: 'not_found' } });
    }
    // The official client sees the same refusal, and the same topics work for those who may see them.
    const phx = await client(admin.token);
    await expect(open(phx, `message:family:${otherFamilyConv}`)).rejects.toMatchObject({ response: { reason: 'not_found' } });
    const carolSocket = await client(carol.token);
    await expect(open(carolSocket, `message:family:${otherFamilyConv}`)).resolves.toMatchObject({ response: { latest_seq: 0 } });
    await expect(open(carolSocket, `family:${otherFamily}`)).resolves.toBeDefined();
    await expect(open(carolSocket, `message:group:${bobAndCarol}`)).resolves.toBeDefined();
    await expect(open(phx, `message:family:${famConv}`)).resolves.toBeDefined();
  });
});

describe('sending', () => {
  it('delivers new_msg to every subscriber, sender included, and HTTP sends too', async () => {
    const [a, b, c] = await Promise.all([client(admin.token), client(bob.token), client(carol.token)]);
    const topic = `message:family:${famConv}`;
    const [ca, cb, cc] = await Promise.all([a, b, c].map((s) => open(s, topic, {}, ['new_msg'])));
    const sent = await push(ca!.channel, 'new_msg', { body: '  hello everyone  ', client_id: 'hello-1' });
    expect(sent.status).toBe('ok');
    expect(sent.response.message).toMatchObject({ conversation_id: famConv, sender_id: admin.id, body: 'hello everyone', client_id: 'hello-1' });
    for (const joined of [ca!, cb!, cc!]) expect(await joined.on('new_msg').next()).toEqual({ message: sent.response.message });
    const http = await send(carol, famConv, 'over http');
    expect(http.seq).toBe(sent.response.message.seq + 1);
    for (const joined of [ca!, cb!, cc!]) expect(await joined.on('new_msg').next()).toEqual({ message: http });
  });

  it('replies to a retry with a known client_id with the original message, and stores and broadcasts nothing', async () => {
    const conv = await group(admin, [bob], 'Retries');
    const [a, b] = await Promise.all([client(admin.token), client(bob.token)]);
    const ca = await open(a, `message:group:${conv}`, {}, ['new_msg']);
    const cb = await open(b, `message:group:${conv}`, {}, ['new_msg']);
    const first = await push(ca.channel, 'new_msg', { body: 'only once', client_id: 'retry-1' });
    const again = await push(ca.channel, 'new_msg', { body: 'only once', client_id: 'retry-1' });
    expect(first.status).toBe('ok');
    expect(again).toEqual(first);
    // The HTTP retry of the same send is the same message too.
    const http = await api(admin).post(`/api/v1/conversations/${conv}/messages`, { body: 'only once', client_id: 'retry-1' });
    expect(http.status).toBe(200);
    expect(http.body.data).toEqual(first.response.message);
    // Another sender may use the same client_id for a message of their own.
    const bobs = await push(cb.channel, 'new_msg', { body: 'mine', client_id: 'retry-1' });
    expect(bobs.response.message).toMatchObject({ seq: 2, sender_id: bob.id });
    const marker = await push(ca.channel, 'new_msg', { body: 'marker' });
    for (const joined of [ca, cb]) {
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) bodies.push((await joined.on('new_msg').next()).message.body);
      expect(bodies).toEqual(['only once', 'mine', 'marker']);
    }
    expect(marker.response.message.seq).toBe(3);
    expect(ca.on('new_msg').all).toHaveLength(3);
    expect(cb.on('new_msg').all).toHaveLength(3);
    expect(seqsOf((await history(bob, conv)).data)).toEqual([1, 2, 3]);
  });

  it('refuses invalid sends with the API reasons and stores nothing', async () => {
    const conv = await group(admin, [bob], 'Validation');
    const a = await client(admin.token);
    const ca = await open(a, `message:group:${conv}`, {}, ['new_msg']);
    const cases: [object, string][] = [
      [{ body: '' }, 'validation_failed'],
      [{ body: ' \n\t ' }, 'validation_failed'],
      [{}, 'validation_failed'],
      [{ body: 42 }, 'validation_failed'],
      [{ body: 'ok', client_id: 'c'.repeat(65) }, 'validation_failed'],
      [{ body: 'ok', client_id: '' }, 'validation_failed'],
      [{ body: 'ok', client_id: 7 }, 'validation_failed'],
      [{ body: 'nul \u0000 inside' }, 'validation_failed'], // cannot be stored; the same 422 over HTTP
      [{ body: 'ok', client_id: 'nul\u0000' }, 'validation_failed'],
      [{ body: 'é'.repeat(4097) }, 'payload_too_large'], // 4097 characters, 8194 bytes
      [{ body: 'x'.repeat(8193) }, 'payload_too_large'],
    ];
    for (const [payload, reason] of cases) {
      const reply = await push(ca.channel, 'new_msg', payload);
      expect(reply, JSON.stringify(payload).slice(0, 60)).toEqual({ status: 'error', response: { reason } });
    }
    expect((await history(admin, conv)).data).toEqual([]);
    const limit = await push(ca.channel, 'new_msg', { body: 'é'.repeat(4096) }); // exactly 8192 bytes
    expect(limit.status).toBe('ok');
    expect(limit.response.message.seq).toBe(1);
    expect(await ca.on('new_msg').next()).toEqual({ message: limit.response.message });
    expect(ca.on('new_msg').all).toHaveLength(1);
  });

  it('refuses a direct send once the two share no family any more with no_shared_family', async () => {
    const transit = await createFamily(t, admin, 'Transit');
    const dana = await addMember(t, admin, transit, 'member', 'Dana');
    const direct = await api(admin).post('/api/v1/conversations', { type: 'direct', participant_id: dana.id });
    expect(direct.status).toBe(201);
    const conv = direct.body.data.id as string;
    const a = await client(admin.token);
    const ca = await open(a, `message:direct:${conv}`, {}, ['new_msg']);
    expect((await push(ca.channel, 'new_msg', { body: 'while we share a family' })).status).toBe('ok');
    expect((await api(admin).delete(`/api/v1/families/${transit}/members/${dana.id}`)).status).toBe(204);
    const refused = await push(ca.channel, 'new_msg', { body: 'after' });
    expect(refused).toEqual({ status: 'error', response: { reason: 'no_shared_family' } });
    expect(seqsOf((await history(admin, conv)).data)).toEqual([1]);
  });
});

describe('rate limits', () => {
  let limited: TestApp;
  let limitedUrl: string;
  let person: Person;
  let conv: string;

  beforeAll(async () => {
    limited = await startTestApp({ FAMICHAT_SEND_BURST: '3' });
    limitedUrl = await limited.listen();
    const setup = await setupInstance(limited);
    person = setup.admin;
    conv = await familyConversation(limited, person, setup.familyId);
  });
  afterAll(() => limited.close());

  it('refuses the send over the burst with rate_limited and retry_in_ms, shared with HTTP sends', async () => {
    const socket = await connect(limitedUrl, person.token);
    opened.push({ close: () => socket.disconnect() });
    const { channel } = await open(socket, `message:family:${conv}`);
    for (let i = 1; i <= 3; i++) {
      const sent = await push(channel, 'new_msg', { body: `burst ${i}` });
      expect(sent.status).toBe('ok');
      expect(sent.response.message.seq).toBe(i);
    }
    const refused = await push(channel, 'new_msg', { body: 'one too many' });
    expect(refused.status).toBe('error');
    expect(refused.response.reason).toBe('rate_limited');
    expect(refused.response.retry_in_ms).toBeGreaterThan(0);
    expect(refused.response.retry_in_ms).toBeLessThanOrEqual(10_000);
    const http = await limited.as(person.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'over http' });
    expect(http.status).toBe(429);
    expect(http.body.error.code).toBe('rate_limited');
    expect(http.headers['retry-after']).toBeDefined();
    const stored = await limited.as(person.token).get(`/api/v1/conversations/${conv}/messages`);
    expect(seqsOf(stored.body.data)).toEqual([1, 2, 3]);
  });
});

describe('catch-up', () => {
  it('gives a rejoining client exactly the messages it missed, in order, none twice', async () => {
    const conv = await group(bob, [admin], 'Catch-up');
    await send(bob, conv, 'seen 1');
    await send(bob, conv, 'seen 2');
    const topic = `message:group:${conv}`;
    const first = await client(admin.token);
    const joined = await open(first, topic, { after_seq: 0 });
    expect(joined.response).toMatchObject({ latest_seq: 2, has_more: false });
    expect(joined.response.messages.map((m: { body: string }) => m.body)).toEqual(['seen 1', 'seen 2']);
    const lastSeen = joined.response.messages.at(-1).seq as number;
    first.disconnect();
    const missed = [await send(bob, conv, 'missed 3'), await send(bob, conv, 'missed 4'), await send(bob, conv, 'missed 5')];
    const second = await client(admin.token);
    const rejoined = await open(second, topic, { after_seq: lastSeen }, ['new_msg']);
    expect(rejoined.response).toEqual({ latest_seq: 5, messages: missed, has_more: false });
    const marker = await send(bob, conv, 'live 6');
    expect(await rejoined.on('new_msg').next()).toEqual({ message: marker });
    expect(rejoined.on('new_msg').all).toHaveLength(1);
    // Without after_seq the join carries no messages.
    const plain = await open(await client(admin.token), topic);
    expect(plain.response).toEqual({ latest_seq: 6, messages: [], has_more: false });
    // An after_seq beyond the latest seq carries none either, and does not swallow the messages to come.
    const ahead = await open(await client(admin.token), topic, { after_seq: 1000 }, ['new_msg']);
    expect(ahead.response).toEqual({ latest_seq: 6, messages: [], has_more: false });
    const next = await send(bob, conv, 'live 7');
    expect(await ahead.on('new_msg').next()).toEqual({ message: next });
  });

  it('caps the catch-up at 200 messages with has_more when more were missed', async () => {
    const conv = await group(bob, [admin], 'Long absence');
    await send(bob, conv, 'seen');
    for (let i = 0; i < 250; i++) await send(bob, conv, `missed ${i}`);
    const socket = await client(admin.token);
    const joined = await open(socket, `message:group:${conv}`, { after_seq: 1 });
    expect(joined.response.latest_seq).toBe(251);
    expect(joined.response.has_more).toBe(true);
    expect(seqsOf(joined.response.messages)).toEqual(range(2, 201));
    expect(joined.response.messages[0].body).toBe('missed 0');
    const rest = await open(await client(admin.token), `message:group:${conv}`, { after_seq: 201 });
    expect(rest.response).toMatchObject({ latest_seq: 251, has_more: false });
    expect(seqsOf(rest.response.messages)).toEqual(range(202, 251));
  });

  it('does not duplicate messages broadcast while the join is in progress', async () => {
    const conv = await group(bob, [admin], 'Race');
    const topic = `message:group:${conv}`;
    let total = 0;
    for (let round = 0; round < 6; round++) {
      const socket = await raw(admin.token);
      const afterSeq = total;
      const joinRef = socket.ref();
      const burst = Promise.all(Array.from({ length: 15 }, (_, i) => send(bob, conv, `round ${round} #${i}`)));
      socket.send([joinRef, joinRef, topic, 'phx_join', { after_seq: afterSeq }]);
      await burst;
      total += 15;
      const reply = await socket.frames.next((f) => f[1] === joinRef);
      expect(reply[4].status).toBe('ok');
      const seen = (): number[] => [
        ...seqsOf(reply[4].response.messages),
        ...socket.frames.all.filter((f) => f[3] === 'new_msg').map((f) => f[4].message.seq as number),
      ];
      // Wait until every message of the burst has come one way or the other, then a marker after them.
      while (new Set(seen()).size < 15) await socket.frames.next((f) => f[3] === 'new_msg');
      const marker = await send(bob, conv, `marker ${round}`);
      total += 1;
      await socket.frames.next((f) => f[3] === 'new_msg' && f[4].message.seq === marker.seq);
      const all = seen();
      expect([...all].sort((x, y) => x - y), `round ${round}`).toEqual(range(afterSeq + 1, total));
      socket.ws.close();
    }
  });

  it('refuses an after_seq that is not a non-negative 32-bit integer with validation_failed', async () => {
    const socket = await raw(admin.token);
    for (const after_seq of [-1, 1.5, '3', null, 2 ** 31, 1e300]) {
      const join = await socket.join(`message:family:${famConv}`, { after_seq });
      expect(join, JSON.stringify(after_seq)).toMatchObject({ status: 'error', response: { reason: 'validation_failed' } });
    }
    expect(await socket.join(`message:family:${famConv}`, { after_seq: 2 ** 31 - 1 })).toMatchObject({
      status: 'ok',
      response: { messages: [], has_more: false },
    });
  });
});

describe('typing and read', () => {
  it('tells the others, not the sender, that someone is typing', async () => {
    const conv = await group(admin, [bob, carol], 'Typing');
    const topic = `message:group:${conv}`;
    const [a, b, c] = await Promise.all([client(admin.token), client(bob.token), client(carol.token)]);
    const [ca, cb, cc] = await Promise.all([a, b, c].map((s) => open(s, topic, {}, ['typing', 'new_msg'])));
    expect(await push(ca!.channel, 'typing', {})).toEqual({ status: 'ok', response: {} });
    expect(await cb!.on('typing').next()).toEqual({ user_id: admin.id });
    expect(await cc!.on('typing').next()).toEqual({ user_id: admin.id });
    const marker = await push(ca!.channel, 'new_msg', { body: 'marker' });
    expect(await ca!.on('new_msg').next()).toEqual({ message: marker.response.message });
    expect(ca!.on('typing').all).toEqual([]);
  });

  it('moves the read cursor over the socket, tells the others, and REST reads reach the socket too', async () => {
    const conv = await group(admin, [bob], 'Reading');
    for (let i = 1; i <= 3; i++) await send(bob, conv, `m${i}`);
    const topic = `message:group:${conv}`;
    const [a, b] = await Promise.all([client(admin.token), client(bob.token)]);
    const ca = await open(a, topic, {}, ['read', 'new_msg']);
    const cb = await open(b, topic, {}, ['read']);
    const user = await open(a, `user:${admin.id}`, {}, ['conversation_updated']);
    expect(await push(ca.channel, 'read', { seq: 2 })).toEqual({ status: 'ok', response: { seq: 2 } });
    expect(await cb.on('read').next()).toEqual({ user_id: admin.id, seq: 2 });
    expect(await user.on('conversation_updated').next()).toMatchObject({ conversation: { id: conv, unread_count: 1 } });
    // Never backwards, clamped to the latest seq.
    expect(await push(ca.channel, 'read', { seq: 1 })).toEqual({ status: 'ok', response: { seq: 2 } });
    expect(await push(ca.channel, 'read', { seq: 99 })).toEqual({ status: 'ok', response: { seq: 3 } });
    expect(await cb.on('read').next()).toEqual({ user_id: admin.id, seq: 2 });
    expect(await cb.on('read').next()).toEqual({ user_id: admin.id, seq: 3 });
    expect(await user.on('conversation_updated').next((p) => p.conversation.unread_count === 0)).toMatchObject({
      conversation: { id: conv, latest_message_seq: 3 },
    });
    for (const seq of [-1, 1.5, '2', 2 ** 31]) {
      expect(await push(ca.channel, 'read', { seq }), JSON.stringify(seq)).toEqual({
        status: 'error',
        response: { reason: 'validation_failed' },
      });
    }
    // A read over REST reaches the subscribers.
    const rest = await api(bob).post(`/api/v1/conversations/${conv}/read`, { seq: 3 });
    expect(rest.status).toBe(200);
    expect(await ca.on('read').next()).toEqual({ user_id: bob.id, seq: 3 });
    const marker = await push(ca.channel, 'new_msg', { body: 'marker' });
    expect(await ca.on('new_msg').next()).toEqual({ message: marker.response.message });
    // The reader's own socket never got its own socket read events.
    expect(ca.on('read').all).toEqual([{ user_id: bob.id, seq: 3 }]);
    const stored = await api(admin).get(`/api/v1/conversations/${conv}`);
    expect(stored.body.data.unread_count).toBe(0);
  });
});

describe('the user topic', () => {
  it('announces conversation_created for a new direct conversation and a group one is added to', async () => {
    const [b, c] = await Promise.all([client(bob.token), client(carol.token)]);
    const ub = await open(b, `user:${bob.id}`, {}, ['conversation_created', 'conversation_updated']);
    const uc = await open(c, `user:${carol.id}`, {}, ['conversation_created', 'conversation_updated']);
    const direct = await api(carol).post('/api/v1/conversations', { type: 'direct', participant_id: bob.id });
    expect(direct.status).toBe(201);
    const created = await ub.on('conversation_created').next();
    expect(created.conversation).toMatchObject({ id: direct.body.data.id, type: 'direct', title: 'Carol', unread_count: 0 });
    expect(await uc.on('conversation_created').next()).toMatchObject({ conversation: { id: direct.body.data.id, title: 'Bob' } });
    // Asking again returns the same conversation and announces nothing.
    expect((await api(bob).post('/api/v1/conversations', { type: 'direct', participant_id: carol.id })).status).toBe(200);
    const conv = await group(admin, [carol], 'Later');
    const add = await api(admin).post(`/api/v1/conversations/${conv}/participants`, { user_id: bob.id });
    expect(add.status).toBe(200);
    const added = await ub.on('conversation_created').next();
    expect(added.conversation).toMatchObject({ id: conv, type: 'group', title: 'Later' });
    expect(added.conversation.participants.map((p: { id: string }) => p.id).sort()).toEqual([admin.id, bob.id, carol.id].sort());
    expect(ub.on('conversation_created').all).toHaveLength(2);
    expect(await uc.on('conversation_updated').next((p) => p.conversation.id === conv)).toMatchObject({
      conversation: { participants: expect.arrayContaining([expect.objectContaining({ id: bob.id })]) },
    });
  });

  it('announces conversation_updated with each user’s unread count, on new messages, renames, participant changes and reads', async () => {
    const conv = await group(admin, [bob, carol], 'Updates');
    const [a, b, c] = await Promise.all([client(admin.token), client(bob.token), client(carol.token)]);
    const [ua, ub, uc] = await Promise.all(
      [
        [a, admin],
        [b, bob],
        [c, carol],
      ].map(([s, p]) => open(s as Socket, `user:${(p as Person).id}`, {}, ['conversation_updated'])),
    );
    const mine = (p: any) => p.conversation.id === conv;
    await send(carol, conv, 'one');
    await send(carol, conv, 'two');
    expect((await api(admin).post(`/api/v1/conversations/${conv}/read`, { seq: 2 })).status).toBe(200);
    await send(carol, conv, 'three');
    const lastFor = async (queue: Queue<any>) => {
      const update = await queue.next((p) => mine(p) && p.conversation.latest_message_seq === 3);
      return update.conversation;
    };
    expect(await lastFor(ua!.on('conversation_updated'))).toMatchObject({ unread_count: 1, last_message: { body: 'three' } });
    expect(await lastFor(ub!.on('conversation_updated'))).toMatchObject({ unread_count: 3, last_message: { body: 'three' } });
    expect(await lastFor(uc!.on('conversation_updated'))).toMatchObject({ unread_count: 0, last_message: { body: 'three' } });
    // Renamed.
    expect((await api(admin).patch(`/api/v1/conversations/${conv}`, { title: 'Renamed' })).status).toBe(200);
    for (const u of [ua!, ub!, uc!]) {
      expect(await u.on('conversation_updated').next((p) => mine(p) && p.conversation.title === 'Renamed')).toBeDefined();
    }
    // Participants change.
    expect((await api(admin).delete(`/api/v1/conversations/${conv}/participants/${carol.id}`)).status).toBe(204);
    for (const u of [ua!, ub!]) {
      const update = await u.on('conversation_updated').next((p) => mine(p) && p.conversation.participants.length === 2);
      expect(update.conversation.participants.map((p: { id: string }) => p.id).sort()).toEqual([admin.id, bob.id].sort());
    }
    // Bob reads Carol's messages (Carol has left): only Bob hears of it.
    const adminBefore = ua!.on('conversation_updated').all.length;
    expect((await api(bob).post(`/api/v1/conversations/${conv}/read`, { seq: 3 })).status).toBe(200);
    expect(await ub!.on('conversation_updated').next((p) => mine(p) && p.conversation.unread_count === 0)).toBeDefined();
    await send(bob, conv, 'marker');
    await ua!.on('conversation_updated').next((p) => mine(p) && p.conversation.latest_message_seq === 4);
    const adminAfter = ua!.on('conversation_updated').all.slice(adminBefore);
    expect(adminAfter.map((p: any) => p.conversation.latest_message_seq)).toEqual([4]);
  });
});

describe('edits and deletions', () => {
  it('broadcasts message_updated and message_deleted after REST edits and deletes', async () => {
    const conv = await group(admin, [bob], 'Edits');
    const b = await client(bob.token);
    const cb = await open(b, `message:group:${conv}`, {}, ['message_updated', 'message_deleted']);
    const message = await send(admin, conv, 'tpyo');
    const edit = await api(admin).patch(`/api/v1/conversations/${conv}/messages/${message.id}`, { body: 'typo' });
    expect(edit.status).toBe(200);
    const updated = await cb.on('message_updated').next();
    expect(updated).toEqual({ message: edit.body.data });
    expect(updated.message).toMatchObject({ id: message.id, seq: message.seq, body: 'typo', edited_at: expect.any(String) });
    expect((await api(admin).delete(`/api/v1/conversations/${conv}/messages/${message.id}`)).status).toBe(204);
    const deleted = await cb.on('message_deleted').next();
    expect(deleted.message).toMatchObject({ id: message.id, seq: message.seq, body: '', deleted_at: expect.any(String) });
    expect((await history(bob, conv)).data).toEqual([deleted.message]);
  });
});

describe('revocation and removal', () => {
  it('closes the socket of a revoked session at once and leaves the other sessions’ sockets working', async () => {
    const second = await login(bob);
    const revoked = await raw(second.token);
    const kept = await raw(bob.token);
    await revoked.join(`message:family:${famConv}`);
    await kept.join(`message:family:${famConv}`);
    expect((await api(bob).delete(`/api/v1/me/sessions/${second.sessionId}`)).status).toBe(204);
    const closed = await revoked.closed;
    expect(closed.code).not.toBe(1006);
    expect(await upgradeStatus(second.token)).toBe(403);
    const message = await send(admin, famConv, 'still here?');
    expect(await kept.frames.next((f) => f[3] === 'new_msg')).toEqual([null, null, `message:family:${famConv}`, 'new_msg', { message }]);
    await kept.flush();
    expect(revoked.frames.all.filter((f) => f[3] === 'new_msg')).toEqual([]);
  });

  it('never leaves a socket open when the revocation races with the upgrade', async () => {
    for (let round = 0; round < 30; round++) {
      const session = await login(carol);
      const ws = new WebSocket(socketUrl(url, session.token));
      opened.push({ close: () => ws.terminate() });
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      const outcome = new Promise<string>((resolve) => {
        ws.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(`refused ${res.statusCode}`);
        });
        ws.once('open', () => resolve('open'));
        ws.once('error', () => resolve('error'));
      });
      expect((await api(carol).delete(`/api/v1/me/sessions/${session.sessionId}`)).status).toBe(204);
      const result = await outcome;
      expect(['refused 403', 'open'], `round ${round}`).toContain(result);
      if (result === 'open') {
        // Upgraded before the revocation: it must be closed all the same.
        let timer: NodeJS.Timeout | undefined;
        const stuck = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`round ${round}: the revoked session's socket stayed open`)), 5000);
        });
        await Promise.race([closed, stuck]).finally(() => clearTimeout(timer));
      }
    }
  });

  it('closes a removed family member’s channels of that family, stops their delivery, and refuses a rejoin', async () => {
    const family = await createFamily(t, admin, 'Leaving');
    const dave = await addMember(t, admin, family, 'member', 'Dave');
    const conv = await familyConversation(t, admin, family);
    const daveGroup = (
      await api(admin).post('/api/v1/conversations', { type: 'group', family_id: family, title: 'G', participant_ids: [dave.id] })
    ).body.data.id as string;
    const notes = (await api(dave).post('/api/v1/conversations', { type: 'self' })).body.data.id as string;
    const socket = await raw(dave.token);
    const topics = [`family:${family}`, `message:family:${conv}`, `message:group:${daveGroup}`, `message:self:${notes}`];
    const refs: Record<string, string> = {};
    for (const topic of topics) {
      const join = await socket.join(topic);
      expect(join.status, topic).toBe('ok');
      refs[topic] = join.joinRef;
    }
    expect((await api(admin).delete(`/api/v1/families/${family}/members/${dave.id}`)).status).toBe(204);
    for (const topic of topics.slice(0, 3)) {
      expect(await socket.frames.next((f) => f[3] === 'phx_close' && f[2] === topic)).toEqual([refs[topic], refs[topic], topic, 'phx_close', {}]);
    }
    await send(admin, conv, 'after dave left');
    await send(admin, daveGroup, 'after dave left');
    const marker = await send(dave, notes, 'marker');
    await socket.frames.next((f) => f[3] === 'new_msg' && f[4].message.id === marker.id);
    expect(socket.frames.all.filter((f) => f[3] === 'new_msg').map((f) => f[2])).toEqual([`message:self:${notes}`]);
    expect(socket.frames.all.filter((f) => f[3] === 'phx_close')).toHaveLength(3);
    for (const topic of topics.slice(0, 3)) {
      expect(await socket.join(topic), topic).toMatchObject({ status: 'error', response: { reason: 'not_found' } });
    }
  });

  it('never leaves a channel open when the removal races with the join', async () => {
    const conv = await group(admin, [carol], 'Racing removal');
    const topic = `message:group:${conv}`;
    const socket = await raw(bob.token);
    for (let round = 0; round < 25; round++) {
      expect((await api(admin).post(`/api/v1/conversations/${conv}/participants`, { user_id: bob.id })).status).toBe(200);
      const joinRef = `race-${round}`;
      socket.send([joinRef, joinRef, topic, 'phx_join', { after_seq: 0 }]);
      const removal = api(admin).delete(`/api/v1/conversations/${conv}/participants/${bob.id}`);
      const reply = await socket.frames.next((f) => f[1] === joinRef && f[3] === 'phx_reply');
      expect((await removal).status).toBe(204);
      if (reply[4].status === 'ok') {
        // Joined before the removal was seen: the channel must be closed now.
        await socket.frames.next((f) => f[0] === joinRef && f[3] === 'phx_close');
      } else {
        expect(reply[4].response).toEqual({ reason: 'not_found' });
      }
    }
    const message = await send(admin, conv, 'bob is out');
    await socket.flush();
    expect(socket.frames.all.filter((f) => f[3] === 'new_msg' && f[4].message.id === message.id)).toEqual([]);
  });

  it('closes the channel of someone removed from a group, stops their delivery, and refuses a rejoin', async () => {
    const conv = await group(admin, [bob, carol], 'Removal');
    const topic = `message:group:${conv}`;
    const [b, c] = await Promise.all([client(bob.token), client(carol.token)]);
    const cb = await open(b, topic, {}, ['new_msg']);
    const cc = await open(c, topic, {}, ['new_msg']);
    const closed = new Promise<void>((resolve) => cb.channel.onClose(() => resolve()));
    expect((await api(admin).delete(`/api/v1/conversations/${conv}/participants/${bob.id}`)).status).toBe(204);
    await closed;
    const message = await send(admin, conv, 'bob is gone');
    expect(await cc.on('new_msg').next()).toEqual({ message });
    const bobMarker = await open(b, `message:family:${famConv}`, {}, ['new_msg']);
    const marker = await send(admin, famConv, 'marker');
    expect(await bobMarker.on('new_msg').next()).toEqual({ message: marker });
    expect(cb.on('new_msg').all).toEqual([]);
    await expect(open(b, topic)).rejects.toMatchObject({ response: { reason: 'not_found' } });
  });
});

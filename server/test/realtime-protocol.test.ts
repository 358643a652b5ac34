// Real-time protocol conformance: the frames of one topic are handled in arrival order (joins, leaves and
// pushes sent in one tick), stale join_refs are ignored, protocol v1 (object frames) works with raw frames
// and the official client, another vsn is refused with 400, typing floods are throttled, and an oversized
// frame is a one-line warning.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Socket } from 'phoenix';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TypingThrottle } from '../src/realtime/typing.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { family, setupInstance } from './helpers/fixtures.js';
import type { Raw } from './helpers/frames.js';
import { closeRawSockets, raw, socketUrl, upgradeOutcome } from './helpers/frames.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

const { t, url, admin, familyId, conv: famConv, members: [bob] } = await family({ members: ['Bob'] });
const clients: Socket[] = [];
afterEach(() => {
  closeRawSockets();
  for (const client of clients.splice(0)) client.disconnect();
});

/** A group of admin and `members`; returns its `message:group:<id>` topic and id. */
async function group(title: string, members: Person[] = [bob]): Promise<{ id: string; topic: string }> {
  const res = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title, participant_ids: members.map((m) => m.id) });
  expect(res.status).toBe(201);
  return { id: res.body.data.id as string, topic: `message:group:${res.body.data.id as string}` };
}

async function history(conversationId: string): Promise<{ seq: number; body: string }[]> {
  const res = await t.as(admin.token).get(`/api/v1/conversations/${conversationId}/messages?limit=200`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** The frames received on `topic`, as [ref, event] pairs; broadcasts (which may overtake a reply) left out. */
const eventsOn = (socket: Raw, topic: string): [string | null, string][] =>
  socket.frames.all.filter((f) => f[2] === topic && f[3] !== 'new_msg').map((f) => [f[1], f[3]]);

describe('frames of one topic, in arrival order', () => {
  it('answers a join and a leave sent in one tick in that order, and the leave really leaves', async () => {
    const { id, topic } = await group('Join then leave');
    const topics = t.realtime.hub.topicCount;
    const socket = await raw(url, admin.token);
    socket.ws.send(JSON.stringify(['1', 'join', topic, 'phx_join', {}]));
    socket.ws.send(JSON.stringify(['1', 'leave', topic, 'phx_leave', {}]));
    await socket.frames.next((f) => f[3] === 'phx_close');
    expect(eventsOn(socket, topic)).toEqual([
      ['join', 'phx_reply'],
      ['leave', 'phx_reply'],
      ['1', 'phx_close'],
    ]);
    expect(socket.frames.all.map((f) => f[4].status)).toEqual(['ok', 'ok', undefined]);
    // Left: the node no longer listens, and a message sent now does not arrive.
    expect(t.realtime.hub.topicCount).toBe(topics);
    await t.as(bob.token).post(`/api/v1/conversations/${id}/messages`, { body: 'after the leave' });
    await socket.flush();
    expect(socket.frames.all.filter((f) => f[3] === 'new_msg')).toEqual([]);
  });

  it('lets a push sent right after its join wait for the join: stored, replied and broadcast', async () => {
    const { id, topic } = await group('Join then push');
    const socket = await raw(url, admin.token);
    socket.ws.send(JSON.stringify(['1', 'join', topic, 'phx_join', {}]));
    socket.ws.send(JSON.stringify(['1', 'push', topic, 'new_msg', { body: 'right after the join' }]));
    const sent = await socket.frames.next((f) => f[1] === 'push');
    expect(sent[4]).toMatchObject({ status: 'ok', response: { message: { seq: 1, body: 'right after the join' } } });
    expect(await socket.frames.next((f) => f[3] === 'new_msg')).toEqual([null, null, topic, 'new_msg', { message: sent[4].response.message }]);
    expect(eventsOn(socket, topic)).toEqual([
      ['join', 'phx_reply'],
      ['push', 'phx_reply'],
    ]);
    expect((await history(id)).map((m) => m.body)).toEqual(['right after the join']);
  });

  it('ignores a late leave with the join_ref of an earlier join: the current channel stays open', async () => {
    const { id, topic } = await group('Late leave');
    const socket = await raw(url, admin.token);
    expect((await socket.call('1', topic, 'phx_join'))[4].status).toBe('ok');
    expect((await socket.call('1', topic, 'phx_leave'))[4].status).toBe('ok');
    expect((await socket.call('2', topic, 'phx_join'))[4].status).toBe('ok');
    socket.send(['1', 'late-leave', topic, 'phx_leave', {}]);
    // A push of the current channel after it: its reply proves the late leave was handled (ignored) before.
    const marker = await socket.call('2', topic, 'new_msg', { body: 'still joined' });
    expect(marker[4].status).toBe('ok');
    expect(await socket.frames.next((f) => f[3] === 'new_msg')).toEqual([null, null, topic, 'new_msg', { message: marker[4].response.message }]);
    const sent = (await t.as(bob.token).post(`/api/v1/conversations/${id}/messages`, { body: 'from bob' })).body.data;
    expect(await socket.frames.next((f) => f[3] === 'new_msg')).toEqual([null, null, topic, 'new_msg', { message: sent }]);
    expect(socket.frames.all.filter((f) => f[1] === 'late-leave')).toEqual([]);
    expect(socket.frames.all.filter((f) => f[3] === 'phx_close')).toEqual([['1', '1', topic, 'phx_close', {}]]);
  });

  it('handles join, leave, rejoin and a late leave sent in one tick in order', async () => {
    const { topic } = await group('One tick');
    const socket = await raw(url, admin.token);
    socket.send(['1', 'j1', topic, 'phx_join', {}]);
    socket.send(['1', 'l1', topic, 'phx_leave', {}]);
    socket.send(['2', 'j2', topic, 'phx_join', {}]);
    socket.send(['1', 'late', topic, 'phx_leave', {}]);
    socket.send(['2', 'marker', topic, 'read', { seq: 0 }]);
    await socket.frames.next((f) => f[1] === 'marker');
    expect(eventsOn(socket, topic)).toEqual([
      ['j1', 'phx_reply'],
      ['l1', 'phx_reply'],
      ['1', 'phx_close'],
      ['j2', 'phx_reply'],
      ['marker', 'phx_reply'],
    ]);
  });

  it('ignores a push whose join_ref is not the current one and stores nothing', async () => {
    const { id, topic } = await group('Stale push');
    const socket = await raw(url, admin.token);
    expect((await socket.call('1', topic, 'phx_join'))[4].status).toBe('ok');
    expect((await socket.call('2', topic, 'phx_join'))[4].status).toBe('ok');
    const from = socket.frames.all.length;
    socket.send(['1', 'stale', topic, 'new_msg', { body: 'from the old channel' }]);
    socket.send(['2', 'marker', topic, 'new_msg', { body: 'marker' }]);
    const marker = await socket.frames.next((f) => f[1] === 'marker');
    const broadcast = await socket.frames.next((f) => f[3] === 'new_msg');
    // The marker's reply and broadcast (in either order) are the very next frames: the stale push got no reply.
    expect(socket.frames.all.slice(from)).toHaveLength(2);
    expect(socket.frames.all.slice(from)).toEqual(expect.arrayContaining([marker, broadcast]));
    expect(socket.frames.all.filter((f) => f[1] === 'stale')).toEqual([]);
    expect((await history(id)).map((m) => m.body)).toEqual(['marker']);
  });

  it('treats a push with another join_ref than the queued join’s as stale, and one to a never-joined topic as unmatched', async () => {
    const { id, topic } = await group('Queued join');
    const socket = await raw(url, admin.token);
    socket.send(['5', 'join', topic, 'phx_join', {}]);
    socket.send(['6', 'other', topic, 'new_msg', { body: 'wrong join_ref' }]);
    socket.send(['5', 'marker', topic, 'new_msg', { body: 'marker' }]);
    await socket.frames.next((f) => f[1] === 'marker');
    expect(eventsOn(socket, topic)).toEqual([
      ['join', 'phx_reply'],
      ['marker', 'phx_reply'],
    ]);
    expect((await history(id)).map((m) => m.body)).toEqual(['marker']);
    const unmatched = await socket.call('9', `message:family:${famConv}`, 'new_msg', { body: 'never joined' });
    expect(unmatched).toEqual(['9', expect.any(String), `message:family:${famConv}`, 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
  });

  it('joins five topics sent in one tick, and answers a heartbeat without waiting for them', async () => {
    const groups = await Promise.all(['A', 'B'].map((name) => group(`Five ${name}`)));
    const topics = [`family:${familyId}`, `user:${admin.id}`, `message:family:${famConv}`, ...groups.map((g) => g.topic)];
    const socket = await raw(url, admin.token);
    for (const [i, topic] of topics.entries()) socket.send([`j${i}`, `j${i}`, topic, 'phx_join', {}]);
    socket.send([null, 'beat', 'phoenix', 'heartbeat', {}]);
    const replies = await Promise.all(topics.map((_topic, i) => socket.frames.next((f) => f[1] === `j${i}`)));
    expect(replies.map((f) => f[4].status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const beat = socket.frames.all.findIndex((f) => f[1] === 'beat');
    expect(beat).toBeGreaterThanOrEqual(0);
    expect(beat).toBeLessThan(socket.frames.all.indexOf(replies[2]!));
  });

  it('stores back-to-back sends of one topic in arrival order and replies in that order', async () => {
    const { id, topic } = await group('Back to back');
    const socket = await raw(url, admin.token);
    const { joinRef } = await socket.join(topic);
    socket.send([joinRef, 'first', topic, 'new_msg', { body: 'first', client_id: 'c-first' }]);
    await socket.frames.next((f) => f[1] === 'first');
    const refs = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const [i, ref] of refs.entries()) {
      // A retry of a known client_id and an invalid send in the middle take other paths, and still reply in order.
      const payload = i === 4 ? { body: 'first', client_id: 'c-first' } : i === 7 ? { body: 42 } : { body: `m${i}` };
      socket.send([joinRef, ref, topic, 'new_msg', payload]);
    }
    socket.send([joinRef, 'read', topic, 'read', { seq: 2 ** 31 - 1 }]);
    await socket.frames.next((f) => f[1] === 'read');
    const replies = socket.frames.all.filter((f) => f[3] === 'phx_reply' && f[2] === topic).slice(2);
    expect(replies.map((f) => f[1])).toEqual([...refs, 'read']);
    expect(replies[4]![4].response.message.seq).toBe(1);
    expect(replies[7]![4]).toEqual({ status: 'error', response: { reason: 'validation_failed' } });
    const stored = await history(id);
    expect(stored.map((m) => m.body)).toEqual(['first', ...refs.map((_r, i) => `m${i}`).filter((_b, i) => i !== 4 && i !== 7)]);
    expect(replies.filter((_f, i) => i !== 4 && i !== 7 && i < 12).map((f) => f[4].response.message.seq)).toEqual(stored.slice(1).map((m) => m.seq));
    // The read waited for every send before it: the cursor is on the last one.
    expect(replies.at(-1)![4]).toEqual({ status: 'ok', response: { seq: stored.at(-1)!.seq } });
  });

  it('answers thousands of frames queued behind a refused join, in order', async () => {
    const topic = `message:group:${randomUUID()}`;
    const socket = await raw(url, admin.token);
    socket.send(['1', 'join', topic, 'phx_join', {}]);
    const refs = Array.from({ length: 3000 }, (_, i) => `q${i}`);
    for (const ref of refs) socket.send(['1', ref, topic, 'new_msg', { body: 'no channel' }]);
    await socket.frames.next((f) => f[1] === refs.at(-1));
    expect(socket.frames.all.map((f) => f[1])).toEqual(['join', ...refs]);
    expect(socket.frames.all[0]![4]).toEqual({ status: 'error', response: { reason: 'not_found' } });
    expect(new Set(socket.frames.all.slice(1).map((f) => f[4].response.reason))).toEqual(new Set(['unmatched topic']));
    await socket.flush();
  });

  it('never lets malformed or odd frames of a topic stall its lane', async () => {
    const { topic } = await group('Odd frames');
    const socket = await raw(url, admin.token);
    socket.send(['1', 'join', topic, 'phx_join', {}]);
    socket.send(['1', 'unknown', topic, 'no_such_event', {}]);
    socket.send(['1', 'bad', topic, 'new_msg', 'not an object']);
    socket.send(['1', 'leave', topic, 'phx_leave', {}]);
    socket.send(['1', 'after', topic, 'new_msg', { body: 'after the leave' }]);
    socket.send(['1', 'leave-again', topic, 'phx_leave', {}]);
    await socket.frames.next((f) => f[1] === 'leave-again');
    const byRef = (ref: string) => socket.frames.all.find((f) => f[1] === ref)![4];
    expect(byRef('unknown')).toEqual({ status: 'error', response: { reason: 'unknown event' } });
    expect(byRef('bad')).toMatchObject({ status: 'error' });
    expect(byRef('after')).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
    expect(byRef('leave-again')).toEqual({ status: 'ok', response: {} });
  });
});

describe('typing', () => {
  it('gives the others one typing for a burst from one user across their sockets', async () => {
    const { id, topic } = await group('Typing flood');
    const [first, second, listener] = await Promise.all([raw(url, admin.token), raw(url, admin.token), raw(url, bob.token)]);
    const [a, b] = await Promise.all([first.join(topic), second.join(topic), listener.join(topic)]);
    const from = listener.frames.all.length;
    const burst = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).call(i % 2 === 0 ? a.joinRef : b.joinRef, topic, 'typing'));
    const replies = await Promise.all(burst);
    expect(new Set(replies.map((f) => JSON.stringify(f[4])))).toEqual(new Set([JSON.stringify({ status: 'ok', response: {} })]));
    const marker = (await t.as(admin.token).post(`/api/v1/conversations/${id}/messages`, { body: 'marker' })).body.data;
    await listener.frames.next((f) => f[3] === 'new_msg' && f[4].message.id === marker.id);
    expect(listener.frames.all.slice(from).map((f) => [f[3], f[4]])).toEqual([
      ['typing', { user_id: admin.id }],
      ['new_msg', { message: marker }],
    ]);
  });

  it('lets typing through again after the window, and forgets expired keys', () => {
    let now = 1000;
    const throttle = new TypingThrottle(2000, () => now);
    expect(throttle.allow('u1', 'c1')).toBe(true);
    expect(throttle.allow('u1', 'c1')).toBe(false);
    expect(throttle.allow('u2', 'c1')).toBe(true);
    now += 1999;
    expect(throttle.allow('u1', 'c1')).toBe(false);
    expect(throttle.allow('u1', 'c2')).toBe(true);
    now += 1;
    expect(throttle.allow('u1', 'c1')).toBe(true);
    expect(throttle.size).toBe(2);
    now += 10_000;
    expect(throttle.allow('u3', 'c3')).toBe(true);
    expect(throttle.size).toBe(1);
  });
});

describe('protocol versions', () => {
  it('speaks v1 object frames: join, heartbeat, push, broadcast, leave and close', async () => {
    const { id, topic } = await group('Version 1');
    for (const vsn of ['1.0.0', null]) {
      const socket = await raw(url, admin.token, vsn);
      const other = await raw(url, bob.token);
      await other.join(topic);
      const from = socket.texts.length;
      socket.send('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"hb"}');
      socket.send(JSON.stringify({ topic, event: 'phx_join', payload: {}, ref: 'join', join_ref: 'j' }));
      await socket.frames.next((f) => f[1] === 'join');
      socket.send(JSON.stringify({ topic, event: 'new_msg', payload: { body: `v1 ${String(vsn)}` }, ref: 'push', join_ref: 'j' }));
      const reply = await socket.frames.next((f) => f[1] === 'push');
      const message = reply[4].response.message;
      await socket.frames.next((f) => f[3] === 'new_msg');
      const sent = (await t.as(bob.token).post(`/api/v1/conversations/${id}/messages`, { body: 'from bob' })).body.data;
      await socket.frames.next((f) => f[3] === 'new_msg' && f[4].message.id === sent.id);
      // The v2 socket on the same topic gets the same broadcast in its own format.
      expect(await other.frames.next((f) => f[3] === 'new_msg' && f[4].message.id === sent.id)).toEqual([null, null, topic, 'new_msg', { message: sent }]);
      socket.send(JSON.stringify({ topic, event: 'phx_leave', payload: {}, ref: 'leave', join_ref: 'j' }));
      await socket.frames.next((f) => f[3] === 'phx_close');
      const received = socket.texts.slice(from).map((text) => JSON.parse(text) as unknown);
      // A broadcast may overtake the reply to its own push: those two in either order, the rest exactly.
      expect(received.slice(2, 4)).toEqual(
        expect.arrayContaining([
          { topic, event: 'phx_reply', payload: { status: 'ok', response: { message } }, ref: 'push' },
          { topic, event: 'new_msg', payload: { message }, ref: null },
        ]),
      );
      received.splice(2, 2);
      expect(received).toEqual([
        { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: 'hb' },
        { topic, event: 'phx_reply', payload: { status: 'ok', response: { latest_seq: expect.any(Number), messages: [], has_more: false } }, ref: 'join' },
        { topic, event: 'new_msg', payload: { message: sent }, ref: null },
        { topic, event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: 'leave' },
        { topic, event: 'phx_close', payload: {}, ref: 'j' },
      ]);
    }
  });

  it('answers malformed v1 frames it can address and ignores the rest, on user and family topics too', async () => {
    const socket = await raw(url, admin.token, '1.0.0');
    socket.send('not json');
    socket.send('["j", "r", "phoenix", "heartbeat", {}]');
    socket.send('{"topic": "phoenix", "event": "heartbeat", "ref": "no-payload"}');
    socket.send('{"topic": "phoenix", "event": "heartbeat", "payload": {}}');
    await socket.frames.next((f) => f[1] === 'no-payload');
    // A v1 client that sends no join_ref at all: its channel takes every push and leave.
    socket.send(JSON.stringify({ topic: `user:${admin.id}`, event: 'phx_join', payload: {}, ref: 'user' }));
    socket.send(JSON.stringify({ topic: `family:${familyId}`, event: 'phx_join', payload: {}, ref: 'family' }));
    await socket.frames.next((f) => f[3] === 'presence_state');
    await t.as(admin.token).post(`/api/v1/conversations/${famConv}/messages`, { body: 'for the user topic' });
    await socket.frames.next((f) => f[3] === 'conversation_updated');
    socket.send(JSON.stringify({ topic: `family:${familyId}`, event: 'phx_leave', payload: {}, ref: 'bye', join_ref: 'anything' }));
    await socket.frames.next((f) => f[3] === 'phx_close');
    const parsed = socket.texts.map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(parsed.every((frame) => !Array.isArray(frame) && !('join_ref' in frame))).toBe(true);
    expect(parsed.slice(0, 2)).toEqual([
      { topic: 'phoenix', event: 'phx_reply', payload: { status: 'error', response: { reason: 'the payload must be an object' } }, ref: 'no-payload' },
      { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: null },
    ]);
    const find = (event: string, ref: string | null = null) => parsed.find((f) => f.event === event && f.ref === ref);
    for (const ref of ['user', 'family', 'bye']) expect(find('phx_reply', ref)).toMatchObject({ payload: { status: 'ok' } });
    expect(find('presence_state')).toMatchObject({ topic: `family:${familyId}`, payload: { [admin.id]: { metas: [expect.any(Object)] } } });
    expect(find('conversation_updated')).toMatchObject({ topic: `user:${admin.id}`, payload: { conversation: { id: famConv } } });
    expect(find('phx_close')).toEqual({ topic: `family:${familyId}`, event: 'phx_close', payload: {}, ref: null });
  });

  it('works with the official phoenix client configured for v1', async () => {
    const json = {
      vsn: '1.0.0',
      encode: (message: unknown, callback: (text: string) => void) => callback(JSON.stringify(message)),
      decode: (text: string, callback: (message: unknown) => void) => callback(JSON.parse(text)),
    };
    const [a, b] = await Promise.all([connect(url, admin.token, json), connect(url, bob.token, json)]);
    clients.push(a, b);
    const ca = await joinChannel(a, `message:family:${famConv}`);
    const cb = await joinChannel(b, `message:family:${famConv}`);
    const inbox = collect(cb.channel, 'new_msg');
    const sent = await push(ca.channel, 'new_msg', { body: 'hello over v1' });
    expect(sent).toMatchObject({ status: 'ok', response: { message: { body: 'hello over v1' } } });
    expect(await inbox.next()).toEqual({ message: sent.response.message });
    await new Promise<void>((resolve) => ca.channel.leave().receive('ok', () => resolve()));
    expect(ca.channel.state).toBe('closed');
  });

  it('refuses another vsn with HTTP 400 and a bad_request envelope, and keeps 2.0.0 and a missing vsn open', async () => {
    for (const vsn of ['3.0.0', '2.0', '']) {
      const refused = await upgradeOutcome(socketUrl(url, admin.token, vsn));
      expect(refused.status, vsn).toBe(400);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('vsn') } });
    }
    expect((await upgradeOutcome(socketUrl(url, admin.token, '2.0.0'))).status).toBe('open');
    expect((await upgradeOutcome(socketUrl(url, admin.token, null))).status).toBe('open');
  });
});

describe('an oversized frame', () => {
  it('closes the socket with 1009 and logs one warn line without a stack; another socket error stays an error', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const logged = await startTestApp({}, { logger, realtime: { maxFrameBytes: 1024 } });
    try {
      const loggedUrl = await logged.listen();
      const { admin: owner } = await setupInstance(logged);
      const socket = await raw(loggedUrl, owner.token);
      await socket.flush();
      socket.send(JSON.stringify([null, 'big', 'phoenix', 'heartbeat', { pad: 'x'.repeat(2000) }]));
      expect((await socket.closed).code).toBe(1009);
      const entries = () => lines.map((line) => JSON.parse(line) as { level: number; msg: string; ws_error?: string; err?: unknown; stack?: unknown });
      const warning = await vi.waitFor(() => {
        const found = entries().find((entry) => entry.ws_error !== undefined);
        expect(found).toBeDefined();
        return found!;
      });
      expect(warning).toMatchObject({ level: 40, ws_error: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', msg: expect.stringContaining('Max payload size exceeded') });
      expect(warning.err).toBeUndefined();
      expect(JSON.stringify(warning)).not.toContain('stack');
      expect(entries().filter((entry) => entry.level >= 50)).toEqual([]);
      // ws itself ends the refused socket after its close frame: nothing lingers on the server.
      await vi.waitFor(() => expect(logged.app.websocketServer.clients.size).toBe(0));
      // Any other socket error is still the server's: logged as an error, and the socket dropped.
      const other = await raw(loggedUrl, owner.token);
      await other.flush();
      const [server] = [...(logged.app.websocketServer.clients as Set<{ emit(event: string, error: Error): void }>)];
      server!.emit('error', new Error('unexpected socket failure'));
      expect((await other.closed).code).toBe(1006);
      expect(entries().find((entry) => entry.level === 50)).toMatchObject({ err: { message: 'unexpected socket failure' } });
    } finally {
      await logged.close();
    }
  });
});

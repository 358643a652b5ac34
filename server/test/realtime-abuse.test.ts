// Real-time abuse: random frames never crash the socket or the server (a fast-check property, while
// another client keeps chatting), frames over the size limit, the channel cap, and idle sockets.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { family } from './helpers/fixtures.js';
import type { Frame, Raw } from './helpers/frames.js';
import { raw as openRaw } from './helpers/frames.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

const opened: WebSocket[] = [];
const disconnects: (() => void)[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.terminate();
  for (const disconnect of disconnects.splice(0)) disconnect();
});

/** A raw v2 socket, terminated after the test. */
async function raw(url: string, token: string): Promise<Raw> {
  const socket = await openRaw(url, token);
  opened.push(socket.ws);
  return socket;
}

/** Sends a heartbeat with `ref` and waits for its reply, or for the socket to close. */
async function heartbeat(socket: Raw, ref: string): Promise<'ok' | { code: number; reason: string }> {
  if (socket.isClosed()) return socket.closed;
  socket.ws.send(JSON.stringify([null, ref, 'phoenix', 'heartbeat', {}]));
  return Promise.race([
    socket.waitFor((f) => f[1] === ref && f[2] === 'phoenix' && f[3] === 'phx_reply').then((f) => {
      expect(f).toEqual([null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      return 'ok' as const;
    }),
    socket.closed,
  ]);
}

/** Every frame the server sends is `[join_ref, ref, topic, event, payload]` with an object payload. */
function expectWellFormed(texts: string[]): void {
  for (const text of texts) {
    const frame = JSON.parse(text) as unknown;
    expect(Array.isArray(frame), text.slice(0, 200)).toBe(true);
    const [joinRef, ref, topic, event, payload] = frame as Frame;
    expect((frame as unknown[]).length).toBe(5);
    for (const r of [joinRef, ref]) expect(r === null || typeof r === 'string' || typeof r === 'number').toBe(true);
    expect(typeof topic).toBe('string');
    expect(typeof event).toBe('string');
    expect(payload !== null && typeof payload === 'object' && !Array.isArray(payload), text.slice(0, 200)).toBe(true);
    if (event === 'phx_reply') {
      const { status, response } = payload as { status: unknown; response: unknown };
      expect(['ok', 'error']).toContain(status);
      expect(response !== null && typeof response === 'object').toBe(true);
      // Client input never surfaces as an unexpected server failure.
      expect((response as { reason?: unknown }).reason, text.slice(0, 300)).not.toBe('internal');
    }
  }
}

describe('random frames', async () => {
  const { t, url, admin, familyId, conv, members: [mallory] } = await family({ members: ['Mallory'] });

  it('never crash the socket or the server, while another client keeps chatting', async () => {
    const healthy = await connect(url, admin.token);
    disconnects.push(() => healthy.disconnect());
    const { channel } = await joinChannel(healthy, `message:family:${conv}`);
    const incoming = collect(channel, 'new_msg');

    const messageTopic = `message:family:${conv}`;
    const realTopics = [messageTopic, `user:${mallory.id}`, `family:${familyId}`, `user:${admin.id}`, 'phoenix'];
    const joinedTopics = realTopics.slice(0, 3);
    const nasty = fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff x', '\u202e', '\n\t', 'é', '😀', '%s', "'; --", '__proto__');
    const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nasty);
    const knownEvent = fc.constantFrom('phx_join', 'phx_leave', 'heartbeat', 'new_msg', 'typing', 'read', 'phx_reply', 'phx_close', 'presence_diff');
    const topic = fc.oneof(
      fc.constantFrom(...realTopics),
      fc.constantFrom('message:family:', 'message:x:y:z', 'user:', 'family:', `message:group:${conv}`, 'room:lobby', ''),
      anyString,
      fc.integer({ min: 201, max: 5000 }).map((n) => `message:family:${'a'.repeat(n)}`),
    );
    const event = fc.oneof(knownEvent, anyString, fc.integer({ min: 101, max: 3000 }).map((n) => 'e'.repeat(n)));
    const ref = fc.oneof(fc.constant(null), fc.string({ maxLength: 6 }), fc.integer(), fc.double(), fc.boolean(), fc.jsonValue({ maxDepth: 1 }));
    const seqLike = fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e300, -0, -1), anyString, fc.constant(null));
    const body = fc.oneof(
      anyString,
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.integer(),
      fc.constant(null),
      fc.integer({ min: 4000, max: 20_000 }).map((n) => 'é'.repeat(n)),
    );
    const clientId = fc.oneof(fc.string({ maxLength: 70 }), anyString, fc.integer(), fc.constant(null));
    const payload = fc.oneof(
      fc.constant({}),
      fc.record({ body, client_id: clientId }, { requiredKeys: [] }),
      fc.record({ after_seq: seqLike }, { requiredKeys: [] }),
      fc.record({ seq: seqLike }),
      fc.dictionary(anyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.jsonValue({ maxDepth: 2 }), // arrays, strings, numbers, null: not an object
    );
    /** A frame to send: raw text, binary, or aimed at a joined topic (given a unique ref when sent, so its reply can be awaited). */
    type Out =
      | { kind: 'text'; data: string }
      | { kind: 'binary'; data: Buffer }
      | { kind: 'aimed'; joinRef: unknown; topic: string; event: string; payload: unknown };
    const text = (data: string): Out => ({ kind: 'text', data });
    const aimed = (joinRef: fc.Arbitrary<unknown>, topics: fc.Arbitrary<string>, events: fc.Arbitrary<string>, payloads: fc.Arbitrary<unknown>) =>
      fc.record({ joinRef, topic: topics, event: events, payload: payloads }).map((f): Out => ({ kind: 'aimed', ...f }));
    const joinRefs = fc.oneof(fc.constantFrom('m', 'u', 'f', null), ref);
    const frame: fc.Arbitrary<Out> = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(ref, ref, topic, event, payload).map((f) => text(JSON.stringify(f))) },
      // Aimed at the channels this socket has joined: real topics and events, payloads that reach the handlers.
      { weight: 3, arbitrary: aimed(joinRefs, fc.constant(messageTopic), fc.constant('new_msg'), fc.oneof(fc.record({ body, client_id: clientId }, { requiredKeys: [] }), payload)) },
      { weight: 1, arbitrary: aimed(joinRefs, fc.constant(messageTopic), fc.constantFrom('read', 'phx_join'), fc.oneof(fc.record({ seq: seqLike, after_seq: seqLike }, { requiredKeys: [] }), payload)) },
      { weight: 2, arbitrary: aimed(joinRefs, fc.constantFrom(...realTopics), knownEvent, payload) },
      { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 8 }).filter((a) => a.length !== 5).map((a) => text(JSON.stringify(a))) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => text(JSON.stringify(v) ?? 'null')) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map(text) }, // mostly invalid JSON
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('a', 'é', '"', '\\', '[', '\u0000', '😀'), fc.integer({ min: 1000, max: 9000 }), fc.boolean())
          .map(([c, n, json]) => text(json ? JSON.stringify([null, 'big', 'phoenix', 'heartbeat', { pad: c.repeat(n) }]) : `[${c.repeat(n)}`)),
      }, // huge, but under the 64 KiB frame limit
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b): Out => ({ kind: 'binary', data: Buffer.from(b) })) },
    );

    let abused = await raw(url, mallory.token);
    let checked = 0;
    const checkNewFrames = () => {
      expectWellFormed(abused.texts.slice(checked).filter((s) => !s.startsWith('<binary')));
      checked = abused.texts.length;
    };
    let run = 0;
    let closes = 0;
    let aimedReplies = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 12 }), async (frames) => {
        run++;
        if (abused.isClosed()) {
          checkNewFrames();
          abused = await raw(url, mallory.token);
          checked = 0;
        }
        // Start each run joined to the real topics, so the random frames reach the channel handlers.
        for (const [joinRef, joinTopic] of [
          ['m', messageTopic],
          ['u', `user:${mallory.id}`],
          ['f', `family:${familyId}`],
        ] as const) {
          const joinId = `join-${run}-${joinRef}`;
          abused.ws.send(JSON.stringify([joinRef, joinId, joinTopic, 'phx_join', {}]));
          expect((await abused.waitFor((f) => f[1] === joinId))[4]).toMatchObject({ status: 'ok' });
        }
        const from = abused.frames.all.length;
        const awaited: string[] = [];
        const aimedAtJoined: string[] = [];
        for (const [i, out] of frames.entries()) {
          let data: string | Buffer;
          if (out.kind === 'aimed') {
            const aimedRef = `aimed-${run}-${i}`;
            // On a joined topic, a frame whose join_ref is not the channel's current one is ignored (no reply).
            (joinedTopics.includes(out.topic) ? aimedAtJoined : awaited).push(aimedRef);
            data = JSON.stringify([out.joinRef, aimedRef, out.topic, out.event, out.payload]);
          } else {
            data = out.data;
          }
          expect(Buffer.byteLength(data)).toBeLessThan(64 * 1024);
          abused.ws.send(data, { binary: out.kind === 'binary' });
        }
        // A join of each joined topic last: a topic's frames are handled in order, so once it is answered every
        // frame of the topic before it has been handled too.
        const barriers = joinedTopics.map((joinTopic, k) => {
          const barrierRef = `barrier-${run}-${k}`;
          abused.ws.send(JSON.stringify(['b', barrierRef, joinTopic, 'phx_join', {}]));
          return barrierRef;
        });
        // Every other aimed frame gets exactly its reply (topics run concurrently, so wait for each).
        const replies = Promise.all([...awaited, ...barriers].map((r) => abused.waitFor((f) => f[1] === r && f[3] === 'phx_reply', from)));
        const settled = await Promise.race([replies.then(() => 'replied' as const), abused.closed]);
        if (settled === 'replied') {
          aimedReplies += awaited.length + aimedAtJoined.filter((r) => abused.frames.all.some((f) => f[1] === r)).length;
          for (const r of [...awaited, ...aimedAtJoined]) expect(abused.frames.all.filter((f) => f[1] === r && f[3] === 'phx_reply').length).toBeLessThanOrEqual(1);
        }
        const result = await heartbeat(abused, `final-${run}`);
        if (result !== 'ok') {
          // Closing is allowed, but deliberately (a close frame with a reason), never a dropped connection.
          closes++;
          expect(result.code).not.toBe(1006);
          expect(result.reason).not.toBe('');
        }
        checkNewFrames();
        // The healthy client still sends and receives.
        const sent = await push(channel, 'new_msg', { body: `healthy ${run}`, client_id: `healthy-${run}` });
        expect(sent.status).toBe('ok');
        const received = await incoming.next((event) => event.message.client_id === `healthy-${run}`);
        expect(received.message).toEqual(sent.response.message);
      }),
      { numRuns: 80 },
    );
    checkNewFrames();
    expect(aimedReplies).toBeGreaterThan(50);
    // No valid frame under the limit is a reason to close the socket.
    expect(closes).toBe(0);
    // The server as a whole still answers, over HTTP too.
    expect((await t.as(admin.token).get(`/api/v1/conversations/${conv}`)).status).toBe(200);
  });

  it('answers malformed frames it can address with an error reply and ignores the rest', async () => {
    const socket = await raw(url, mallory.token);
    socket.ws.send('not json at all');
    socket.ws.send('[1,2,3]');
    socket.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    socket.ws.send('[null,"p1","phoenix","heartbeat","not an object"]');
    socket.ws.send('[null,"p2","phoenix","heartbeat",[]]');
    socket.ws.send(`[null,"p3","${'t'.repeat(201)}","heartbeat",{}]`);
    socket.ws.send(`[null,"p4","message:family:${conv}","phx_join",null]`);
    const p1 = await socket.waitFor((f) => f[1] === 'p1');
    expect(p1).toEqual([null, 'p1', 'phoenix', 'phx_reply', { status: 'error', response: { reason: expect.any(String) } }]);
    expect(await socket.waitFor((f) => f[1] === 'p2')).toMatchObject([null, 'p2', 'phoenix', 'phx_reply', { status: 'error' }]);
    expect(await socket.waitFor((f) => f[1] === 'p4')).toMatchObject([null, 'p4', `message:family:${conv}`, 'phx_reply', { status: 'error' }]);
    expect(await heartbeat(socket, 'alive')).toBe('ok');
    // The unaddressable ones got no reply at all, and p4 did not join.
    expect(socket.frames.all.map((f) => f[1])).toEqual(['p1', 'p2', 'p4', 'alive']);
    await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'not for a refused join' });
    expect(await heartbeat(socket, 'after')).toBe('ok');
    expect(socket.frames.all.filter((f) => f[3] === 'new_msg')).toEqual([]);
  });
});

describe('limits', async () => {
  const { t, url, admin, familyId, conv } = await family({ app: { realtime: { maxFrameBytes: 4096, maxChannels: 3 } } });

  it('closes the socket with 1009 on a frame over maxFrameBytes, and serves frames just under it', async () => {
    const socket = await raw(url, admin.token);
    const under = JSON.stringify([null, 'under', 'phoenix', 'heartbeat', { pad: 'x'.repeat(3900) }]);
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(4096);
    socket.ws.send(under);
    expect(await socket.waitFor((f) => f[1] === 'under')).toEqual([null, 'under', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    socket.ws.send(JSON.stringify([null, 'over', 'phoenix', 'heartbeat', { pad: 'x'.repeat(5000) }]));
    expect((await socket.closed).code).toBe(1009);
    expect(socket.frames.all.some((f) => f[1] === 'over')).toBe(false);
    // Other sockets are unaffected.
    const other = await raw(url, admin.token);
    expect(await heartbeat(other, 'still')).toBe('ok');
  });

  it('refuses a join over maxChannels with too_many_channels, and accepts one again after a leave', async () => {
    const socket = await connect(url, admin.token);
    disconnects.push(() => socket.disconnect());
    const self = await t.as(admin.token).post('/api/v1/conversations', { type: 'self' });
    const family = await joinChannel(socket, `family:${familyId}`);
    await joinChannel(socket, `user:${admin.id}`);
    await joinChannel(socket, `message:family:${conv}`);
    await expect(joinChannel(socket, `message:self:${self.body.data.id}`)).rejects.toMatchObject({
      response: { reason: 'too_many_channels' },
    });
    await new Promise<void>((resolve) => family.channel.leave().receive('ok', () => resolve()));
    const notes = await joinChannel(socket, `message:self:${self.body.data.id}`);
    expect(notes.response).toEqual({ latest_seq: 0, messages: [], has_more: false });
  });
});

describe('idle sockets', async () => {
  const { url, admin } = await family({ app: { realtime: { idleTimeoutMs: 300 } } });

  it('closes a socket silent past the idle timeout, and keeps one that sends heartbeats', async () => {
    const started = Date.now();
    const silent = await raw(url, admin.token);
    const talking = await raw(url, admin.token);
    let beat = 0;
    const timer = setInterval(() => {
      if (!talking.isClosed()) talking.ws.send(JSON.stringify([null, `beat-${++beat}`, 'phoenix', 'heartbeat', {}]));
    }, 75);
    try {
      const closed = await silent.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(closed.code).not.toBe(1006);
      expect(talking.isClosed()).toBe(false);
      expect(await heartbeat(talking, 'after-idle')).toBe('ok');
    } finally {
      clearInterval(timer);
    }
  });
});

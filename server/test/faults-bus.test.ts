// Bus outage: two nodes on one database, each reaching Redis through a TCP proxy that the test cuts and
// restores. While cut, the sender's node still delivers to its own sockets; once Redis is back, each node
// re-reads what its subscribers missed from the database, so everyone gets every message once, in seq order.
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Socket } from 'phoenix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { Bus } from '../src/bus/bus.js';
import { createRedisBus } from '../src/bus/redis.js';
import { rows } from '../src/db/connect.js';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, familyConversation, setupInstance } from './helpers/fixtures.js';
import { connect, joinChannel } from './helpers/phoenix.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';
import { proxiedRedis, runPrefix } from './helpers/redis.js';
import { until } from './helpers/wait.js';

const prefix = runPrefix('faults');

let proxy: TcpProxy;
let a: TestApp;
let b: FastifyInstance;
let busB: Bus;
let wsA: string;
let wsB: string;
let admin: Person;
let bob: Person;
let carol: Person;
let familyId: string;
let conv: string;
let group: string;
const sockets: Socket[] = [];
/** The subscribers of the group conversation, kept for the second test. */
const quiet: { onA?: Awaited<ReturnType<typeof subscriber>>; onB?: Awaited<ReturnType<typeof subscriber>> } = {};

/** A socket joined to a message topic, recording the seqs of the new_msg events it receives. */
async function subscriber(url: string, person: Person, topic: string) {
  const socket = await connect(url, person.token);
  sockets.push(socket);
  let closed = false;
  socket.onClose(() => {
    closed = true;
  });
  const { channel, response } = await joinChannel(socket, topic);
  const seqs: number[] = [];
  (channel).on('new_msg', (payload: any) => {
    seqs.push(payload.message.seq);
  });
  return { seqs, closed: () => closed, latest: response.latest_seq as number };
}

async function ready(app: FastifyInstance): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;
}

async function sendVia(app: FastifyInstance, person: Person, conversationId: string, clientId: string) {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { authorization: `Bearer ${person.token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ body: `m ${clientId}`, client_id: clientId }),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  let viaProxy: string;
  ({ proxy, url: viaProxy } = await proxiedRedis());
  const busA = await createRedisBus(viaProxy, { prefix });
  a = await startTestApp({}, { bus: busA });
  busB = await createRedisBus(viaProxy, { prefix });
  ({ app: b } = await buildApp({ config: a.config, database: a.db.database, bus: busB }));
  await b.ready();
  wsA = await a.listen();
  wsB = `${(await b.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws')}/socket`;
  ({ admin, familyId } = await setupInstance(a));
  bob = await addMember(a, admin, familyId, 'member', 'Bob');
  carol = await addMember(a, admin, familyId, 'member', 'Carol');
  conv = await familyConversation(a, admin, familyId);
  const created = await a.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Quiet', participant_ids: [bob.id, carol.id] });
  expect(created.status).toBe(201);
  group = created.body.data.id;
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await b?.close();
  await busB?.close();
  await a?.close();
  await a?.bus.close();
  await proxy?.close();
});

describe('Redis outage between two nodes', () => {
  it('keeps delivering on the sender node, then catches every subscriber up in order, once', async () => {
    const topic = `message:family:${conv}`;
    const groupTopic = `message:group:${group}`;
    const onA = await subscriber(wsA, admin, topic);
    const bobOnB = await subscriber(wsB, bob, topic);
    const carolOnB = await subscriber(wsB, carol, topic);
    // A conversation with no traffic before the outage: the node knows where to resume from all the same.
    const groupOnB = (quiet.onB = await subscriber(wsB, carol, groupTopic));
    const groupOnA = (quiet.onA = await subscriber(wsA, bob, groupTopic));

    expect((await sendVia(a.app, admin, conv, 'before')).status).toBe(201);
    await until('the first message on both nodes', () => [onA, bobOnB, carolOnB].every((s) => s.seqs.length === 1));

    proxy.cut();
    await until('node A to report the bus down', async () => (await ready(a.app)) === 503);
    await until('node B to report the bus down', async () => (await ready(b)) === 503);

    // Sends during the outage succeed on both nodes (the message is stored; the bus is not the database).
    for (let i = 0; i < 10; i++) {
      expect((await sendVia(a.app, admin, conv, `a-${i}`)).status).toBe(201);
      expect((await sendVia(b, bob, conv, `b-${i}`)).status).toBe(201);
    }
    expect((await sendVia(b, carol, group, 'g-0')).status).toBe(201);
    expect((await sendVia(b, carol, group, 'g-1')).status).toBe(201);

    // The sender's node delivers to its own sockets meanwhile: A sees A's messages, B sees B's, in order.
    await until('A-side delivery during the outage', () => onA.seqs.length === 11);
    await until('B-side delivery during the outage', () => bobOnB.seqs.length === 11 && carolOnB.seqs.length === 11);
    await until('B-side delivery in the quiet conversation', () => groupOnB.seqs.length === 2);
    expect(onA.seqs).toEqual([1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(bobOnB.seqs).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21]);
    expect(carolOnB.seqs).toEqual(bobOnB.seqs);
    expect(groupOnB.seqs).toEqual([1, 2]);
    expect(groupOnA.seqs).toEqual([]);

    proxy.restore();
    await until('both nodes ready again', async () => (await ready(a.app)) === 200 && (await ready(b)) === 200);
    // Each node re-delivers from the database what its subscribers missed.
    await until('A to catch up', () => onA.seqs.length === 21 && groupOnA.seqs.length === 2);
    await until('B to catch up', () => bobOnB.seqs.length === 21 && carolOnB.seqs.length === 21);

    // Live delivery across nodes works again without a restart.
    expect((await sendVia(b, bob, conv, 'after')).status).toBe(201);
    await until('the message after the outage on both nodes', () => onA.seqs.length === 22 && bobOnB.seqs.length === 22);

    // Missed messages come after what was already delivered, in seq order, and nothing twice.
    expect(onA.seqs).toEqual([1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 22]);
    expect(bobOnB.seqs).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
    expect(carolOnB.seqs).toEqual(bobOnB.seqs);
    expect(groupOnA.seqs).toEqual([1, 2]);
    for (const s of [onA, bobOnB, carolOnB, groupOnA, groupOnB]) {
      expect(new Set(s.seqs).size).toBe(s.seqs.length);
      expect(s.closed()).toBe(false);
    }

    // The database: no gaps, no duplicates, every acknowledged message stored once.
    const stored = await rows<{ seq: number; client_id: string }>(
      a.db.database.db,
      sql`SELECT seq, client_id FROM messages WHERE conversation_id = ${conv} ORDER BY seq`,
    );
    expect(stored.map((m) => m.seq)).toEqual(range(1, 22));
    expect(new Set(stored.map((m) => m.client_id)).size).toBe(22);
  });

  it('delivers a seq published out of order once, and drops a late duplicate', async () => {
    const onA = quiet.onA!;
    const onB = quiet.onB!;
    const topic = `message:group:${group}`;
    const fake = (seq: number) => ({ topic, event: 'new_msg', payload: { message: { id: `fake-${seq}`, conversation_id: group, seq } } });
    // Two nodes' concurrent sends can reach Redis out of seq order: both are delivered.
    await busB.publish(fake(10));
    await busB.publish(fake(9));
    // Redis delivers late or twice: the repeat is dropped.
    await busB.publish(fake(9));
    await busB.publish(fake(10));
    await busB.publish(fake(11));
    await until('seq 11 on both nodes', () => onA.seqs.includes(11) && onB.seqs.includes(11));
    expect(onA.seqs).toEqual([1, 2, 10, 9, 11]);
    expect(onB.seqs).toEqual([1, 2, 10, 9, 11]);

    // A long stream: the node keeps a bounded window of delivered seqs; anything older is a duplicate.
    const stream = range(12, 2500);
    await Promise.all(stream.map((seq) => busB.publish(fake(seq))));
    await busB.publish(fake(100));
    await busB.publish(fake(2501));
    await until('seq 2501 on both nodes', () => onA.seqs.includes(2501) && onB.seqs.includes(2501));
    for (const s of [onA, onB]) {
      expect(s.seqs.slice(5)).toEqual([...stream, 2501]);
    }
  });
});

// The Hub of a node on a real Redis bus (reached through a TCP proxy the test cuts) and the real database:
// each new_msg seq reaches the listeners once, whatever the order and repeats, and after a bus outage the
// messages another node published meanwhile are re-read from the database and delivered in seq order, once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, BusEvent } from '../src/bus/bus.js';
import { createRedisBus } from '../src/bus/redis.js';
import { SendBatcher } from '../src/chat/send-batch.js';
import type { Hub } from '../src/realtime/hub.js';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, familyConversation, setupInstance } from './helpers/fixtures.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';
import { REDIS_URL, proxiedRedis, runPrefix } from './helpers/redis.js';
import { Queue, until } from './helpers/wait.js';

const prefix = runPrefix('hub');

let proxy: TcpProxy;
let hubBus: Bus;
/** Another node's bus, straight to Redis: what it publishes during the outage is lost for the hub. */
let other: Bus;
let t: TestApp;
let hub: Hub;
let batcher: SendBatcher;
let admin: Person;
let conv: string;
let group: string;
const stops: (() => void)[] = [];

beforeAll(async () => {
  let viaProxy: string;
  ({ proxy, url: viaProxy } = await proxiedRedis());
  hubBus = await createRedisBus(viaProxy, { prefix });
  other = await createRedisBus(REDIS_URL, { prefix });
  t = await startTestApp({}, { bus: hubBus });
  hub = t.realtime.hub;
  batcher = new SendBatcher(t.domain.db);
  let familyId: string;
  ({ admin, familyId } = await setupInstance(t));
  const bob = await addMember(t, admin, familyId, 'member', 'Bob');
  conv = await familyConversation(t, admin, familyId);
  const created = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Quiet', participant_ids: [bob.id] });
  expect(created.status).toBe(201);
  group = created.body.data.id;
});
afterAll(async () => {
  for (const stop of stops) stop();
  await t?.close();
  await hubBus?.close();
  await other?.close();
  await proxy?.close();
});

/** Listens to `topic` on the hub; resolves with the queue of what its listener gets once the bus delivers it. */
async function listen(topic: string): Promise<Queue<BusEvent>> {
  const got = new Queue<BusEvent>(15_000);
  stops.push(hub.listen(topic, (event) => got.push(event)));
  await hub.ready(topic);
  return got;
}

/** What a listener got: the seq of each new_msg, the name of any other event. */
const seen = (got: Queue<BusEvent>) => got.all.map((e) => (e.event === 'new_msg' ? (e.payload.message as { seq: number }).seq : e.event));

/** Whether the bus answers a ping within half a second (one cut off may neither answer nor fail). */
const answers = (bus: Bus) =>
  Promise.race([bus.ping().then(() => true, () => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))]);

const newMsg = (topic: string, message: { seq: number } & Record<string, unknown>): BusEvent => ({ topic, event: 'new_msg', payload: { message } });

/** Stores a message from the admin in `conversationId` (without publishing it); returns its payload. */
async function store(conversationId: string, body: string) {
  const row = await batcher.store({ id: randomUUID(), conversationId, senderId: admin.id, body, clientId: null });
  return { id: row!.id, seq: Number(row!.seq), body: row!.body };
}

describe('Hub de-duplication', () => {
  it('delivers each new_msg seq once however often and in whatever order the bus brings it, other events always', async () => {
    const topic = `message:group:${randomUUID()}`;
    const got = await listen(topic);
    for (const seq of [1, 1, 3, 2, 3]) await other.publish(newMsg(topic, { seq }));
    await other.publish({ topic, event: 'typing', payload: {} });
    await other.publish({ topic, event: 'typing', payload: {} });
    await got.find((e, i = got.all.indexOf(e)) => e.event === 'typing' && got.all.slice(0, i).some((f) => f.event === 'typing'));
    // The same seq delivered locally first (the sender's node) and then over the bus: once.
    hub.deliverLocal(newMsg(topic, { seq: 4 }));
    await other.publish(newMsg(topic, { seq: 4 }));
    // Redis delivers in publish order: once the marker is there, everything published before it is too.
    await other.publish({ topic, event: 'marker', payload: {} });
    await got.find((e) => e.event === 'marker');

    expect(seen(got)).toEqual([1, 3, 2, 'typing', 'typing', 4, 'marker']);
  });

  it('remembers the last 1000 seqs: an older one never delivered is dropped by seq, a newer gap still filled once', () => {
    const topic = `message:group:${randomUUID()}`;
    const got = new Queue<BusEvent>();
    stops.push(hub.listen(topic, (event) => got.push(event)));
    // 2001 distinct seqs (1..2003 but 500 and 1500): the window moves to the highest (2003) minus 1000.
    for (let seq = 1; seq <= 2003; seq++) if (seq !== 500 && seq !== 1500) hub.deliverLocal(newMsg(topic, { seq }));
    expect(got.all).toHaveLength(2001);

    for (const seq of [500, 1003, 1004, 1500, 1500, 2003, 2004]) hub.deliverLocal(newMsg(topic, { seq }));
    expect(seen(got).slice(2001)).toEqual([1500, 2004]);
  });
});

describe('Hub recovery after a bus outage', () => {
  it("re-reads from the database what another node published while Redis was cut off, in seq order, once", async () => {
    const topic = `message:family:${conv}`;
    const quietTopic = `message:group:${group}`;
    const first = await store(conv, 'before the outage');
    const got = await listen(topic);
    // A conversation with no traffic before the outage: recovery starts at its latest seq when first listened to.
    const quiet = await listen(quietTopic);
    const quietBase = (await t.as(admin.token).get(`/api/v1/conversations/${group}`)).body.data.latest_message_seq as number;
    await other.publish(newMsg(topic, first));
    await got.next((e) => e.event === 'new_msg');

    proxy.cut();
    await until('the hub node to lose Redis', async () => !(await answers(hubBus)));
    const missed = [await store(conv, 'missed 1'), await store(conv, 'missed 2')];
    const quietMissed = [await store(group, 'quiet 1'), await store(group, 'quiet 2')];
    for (const message of missed) await other.publish(newMsg(topic, message));
    for (const message of quietMissed) await other.publish(newMsg(quietTopic, message));

    proxy.restore();
    await got.find((e) => e.event === 'new_msg' && (e.payload.message as { seq: number }).seq === missed[1]!.seq);
    await quiet.find((e) => e.event === 'new_msg' && (e.payload.message as { seq: number }).seq === quietMissed[1]!.seq);
    // Live again: a late repeat of a recovered seq is dropped, a new one delivered.
    const live = await store(conv, 'after the outage');
    await other.publish(newMsg(topic, missed[1]!));
    await other.publish(newMsg(topic, live));
    await got.find((e) => e.event === 'new_msg' && (e.payload.message as { seq: number }).seq === live.seq);
    await other.publish({ topic, event: 'marker', payload: {} });
    await other.publish({ topic: quietTopic, event: 'marker', payload: {} });
    await got.find((e) => e.event === 'marker');
    await quiet.find((e) => e.event === 'marker');

    expect(seen(got)).toEqual([first.seq, missed[0]!.seq, missed[1]!.seq, live.seq, 'marker']);
    expect(missed.map((m) => m.seq)).toEqual([first.seq + 1, first.seq + 2]);
    // The recovered events carry the stored messages, as read back from the database.
    expect(got.all.slice(1, 3).map((e) => e.payload.message)).toEqual(missed.map((m) => expect.objectContaining(m)));
    expect(seen(quiet)).toEqual([quietBase + 1, quietBase + 2, 'marker']);
    expect(quiet.all.slice(0, 2).map((e) => (e.payload.message as { body: string }).body)).toEqual(['quiet 1', 'quiet 2']);
  });
});

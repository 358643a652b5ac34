// Family topics on one node: Phoenix Presence as the official client sees it, member_joined/member_left,
// coalesced diffs, and the Presence tracker itself (node heartbeats, sweep, sync between nodes).
import type { Socket } from 'phoenix';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../src/bus/bus.js';
import { createLocalBus } from '../src/bus/bus.js';
import { Hub } from '../src/realtime/hub.js';
import { Presence } from '../src/realtime/presence.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, family, outsider } from './helpers/fixtures.js';
import { collect, connect, joinChannel } from './helpers/phoenix.js';
import { watchFamily as watchPresence } from './helpers/presence.js';
import { Changes, until } from './helpers/wait.js';

const WINDOW_MS = 200;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const { t, url, admin, familyId } = await family({ app: { realtime: { presenceWindowMs: WINDOW_MS } } });
const sockets: Socket[] = [];

/** A socket that afterEach disconnects. */
async function open(person: Person): Promise<Socket> {
  const socket = await connect(url, person.token);
  sockets.push(socket);
  return socket;
}

/** Joins `family:<id>` (the test family by default) with the client's own Presence attached before the join. */
const watchFamily = (socket: Socket, id = familyId) => watchPresence(socket, id);

/** Waits until the server has cleaned up every socket but `expected` of them (closes are asynchronous). */
const serverSockets = (expected: number) =>
  until(`${expected} server sockets (${t.realtime.connections.size} open)`, () => t.realtime.connections.size === expected, 5000, 10);

describe('presence on family topics', () => {
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await serverSockets(0);
  });

  it('shows a joining member itself and the members already online, with a unique phx_ref and online_at', async () => {
    const bob = await addMember(t, admin, familyId);
    const bobSocket = await open(bob);
    const bobView = await watchFamily(bobSocket);
    await bobView.until((u) => u.has(bob.id));
    const adminSocket = await open(admin);
    const adminView = await watchFamily(adminSocket);
    const list = await adminView.until((u) => u.has(admin.id) && u.has(bob.id));
    expect([...list.keys()].sort()).toEqual([admin.id, bob.id].sort());
    const metas = [...list.values()].flat();
    expect(metas).toHaveLength(2);
    for (const meta of metas) {
      expect(meta).toEqual({ phx_ref: expect.any(String), online_at: expect.stringMatching(ISO) });
      expect(meta.phx_ref.length).toBeGreaterThan(0);
    }
    expect(new Set(metas.map((m) => m.phx_ref)).size).toBe(2);
    // And bob, already there, learns of the admin through a diff.
    await bobView.until((u) => u.has(admin.id));
    expect(bobView.diffs.some((d) => d.joins[admin.id])).toBe(true);
  });

  it('adds another member on connect (presence_diff joins) and removes them on disconnect (leaves)', async () => {
    const carol = await addMember(t, admin, familyId);
    const adminView = await watchFamily(await open(admin));
    const carolSocket = await open(carol);
    await watchFamily(carolSocket);
    const joined = await adminView.until((u) => u.has(carol.id));
    const carolMeta = joined.get(carol.id)![0];
    const join = adminView.diffs.find((d) => d.joins[carol.id]);
    expect(join.joins[carol.id].metas).toEqual([carolMeta]);
    expect(join.leaves[carol.id]).toBeUndefined();

    carolSocket.disconnect();
    const after = await adminView.until((u) => !u.has(carol.id));
    expect([...after.keys()]).toEqual([admin.id]);
    const leave = adminView.diffs.find((d) => d.leaves[carol.id]);
    expect(leave.leaves[carol.id].metas).toEqual([carolMeta]);
  });

  it('lists two sockets of one user as one key with two metas, and one meta after one leaves', async () => {
    const dan = await addMember(t, admin, familyId);
    const adminView = await watchFamily(await open(admin));
    const first = await open(dan);
    const second = await open(dan);
    await watchFamily(first);
    await watchFamily(second);
    const both = await adminView.until((u) => u.get(dan.id)?.length === 2);
    const [m1, m2] = both.get(dan.id)!;
    expect(m1.phx_ref).not.toBe(m2.phx_ref);
    expect([...both.keys()].filter((k) => k === dan.id)).toHaveLength(1);

    second.disconnect();
    const one = await adminView.until((u) => u.get(dan.id)?.length === 1);
    expect(one.get(dan.id)).toHaveLength(1);
    first.disconnect();
    await adminView.until((u) => !u.has(dan.id));
  });

  it('refuses a non-member, an unknown family and a malformed id with the same not_found', async () => {
    const stranger = await outsider(t, admin);
    const socket = await open(stranger);
    for (const topic of [`family:${familyId}`, 'family:00000000-0000-4000-8000-000000000000', 'family:not-a-uuid']) {
      const refused = await joinChannel(socket, topic).then(
        () => undefined,
        (error: { response?: unknown }) => error.response,
      );
      expect(refused, topic).toEqual({ reason: 'not_found' });
    }
    // The refused joins leave no trace in the family's presence.
    const adminView = await watchFamily(await open(admin));
    expect([...(await adminView.until((u) => u.has(admin.id))).keys()]).toEqual([admin.id]);
  });

  it('announces member_joined on register and member_left on removal, closes the removed member’s channel and drops their presence', async () => {
    const adminView = await watchFamily(await open(admin));
    const joinedEvents = collect(adminView.channel, 'member_joined');
    const leftEvents = collect(adminView.channel, 'member_left');

    const erin = await addMember(t, admin, familyId, 'member', 'Erin E.');
    const joined = await joinedEvents.next();
    expect(joined).toEqual({
      user: { id: erin.id, username: erin.username, display_name: 'Erin E.', avatar_url: null, created_at: expect.stringMatching(ISO) },
    });

    const erinSocket = await open(erin);
    const erinView = await watchFamily(erinSocket);
    await adminView.until((u) => u.has(erin.id));
    const closed = new Promise<void>((resolve) => erinView.channel.onClose(() => resolve()));

    const removed = await t.as(admin.token).delete(`/api/v1/families/${familyId}/members/${erin.id}`);
    expect(removed.status).toBe(204);
    expect(await leftEvents.next()).toEqual({ user: joined.user });
    await closed;
    expect(erinView.channel.state).toBe('closed');
    await adminView.until((u) => !u.has(erin.id));
    expect(adminView.diffs.some((d) => d.leaves[erin.id])).toBe(true);
    // Her socket itself stays open, and the family is now closed to her.
    expect(erinSocket.isConnected()).toBe(true);
    const again = await joinChannel(erinSocket, `family:${familyId}`).then(
      () => undefined,
      (error: { response?: unknown }) => error.response,
    );
    expect(again).toEqual({ reason: 'not_found' });
    // Barrier: a marker member joins and is removed after all of the above; theirs must be the next events.
    const marker = await addMember(t, admin, familyId, 'member', 'Marker');
    expect((await joinedEvents.next()).user.id).toBe(marker.id);
    expect((await t.as(admin.token).delete(`/api/v1/families/${familyId}/members/${marker.id}`)).status).toBe(204);
    expect((await leftEvents.next()).user.id).toBe(marker.id);
    // No other member_joined/member_left arrived meanwhile.
    expect(joinedEvents.received).toEqual([]);
    expect(leftEvents.received).toEqual([]);
  });

  it('coalesces a reconnect storm: 20 sockets connecting and leaving at once make a few diffs, not 40', async () => {
    const fay = await addMember(t, admin, familyId);
    const gus = await addMember(t, admin, familyId);
    const adminView = await watchFamily(await open(admin));
    await adminView.until((u) => u.has(admin.id));
    const started = Date.now();
    const storm = await Promise.all(Array.from({ length: 20 }, () => open(fay)));
    await Promise.all(storm.map((socket) => watchFamily(socket)));
    for (const socket of storm) socket.disconnect();
    await serverSockets(1);
    const elapsed = Date.now() - started;
    // A marker joins after every storm socket is gone: once it is listed, every storm diff has arrived.
    await watchFamily(await open(gus));
    const final = await adminView.until((u) => u.has(gus.id));
    expect([...final.keys()].sort()).toEqual([admin.id, gus.id].sort());

    const stormDiffs = adminView.diffs.filter((d) => d.joins[fay.id] || d.leaves[fay.id]);
    // At most one diff per window while the storm lasted (plus the one in flight), never one per socket.
    expect(adminView.diffs.length).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 2);
    expect(stormDiffs.length).toBeLessThan(10);
    // Whatever was announced balances out: every fay join announced was also announced leaving (leaves may
    // also cover sockets that were only ever shown in a storm socket's presence_state).
    const joins = stormDiffs.flatMap((d) => (d.joins[fay.id]?.metas ?? []).map((m: any) => m.phx_ref)).sort();
    const leaves = stormDiffs.flatMap((d) => (d.leaves[fay.id]?.metas ?? []).map((m: any) => m.phx_ref)).sort();
    expect(leaves).toEqual(expect.arrayContaining(joins));
    expect(new Set(leaves).size).toBe(leaves.length);
  });
});

describe('the Presence tracker between nodes (in-process bus)', () => {
  const topic = 'family:11111111-1111-4111-8111-111111111111';

  /** A node's Presence with its Hub, recording the presence_diff events its local sockets would get. */
  function node(bus: ReturnType<typeof createLocalBus>, options: ConstructorParameters<typeof Presence>[2] = {}) {
    const hub = new Hub(bus);
    const presence = new Presence(bus, hub, options);
    const diffs: any[] = [];
    const changes = new Changes();
    const stop = hub.listen(topic, (event: BusEvent) => {
      diffs.push(event.payload);
      changes.changed();
    });
    const until = (test: () => boolean, timeoutMs = 3000) =>
      changes.until(test, () => `condition not met; diffs: ${JSON.stringify(diffs)}`, timeoutMs).then(() => undefined);
    return {
      presence,
      diffs,
      until,
      close() {
        stop();
        presence.close();
        hub.close();
      },
    };
  }

  /** Resolves after `count` heartbeats of `nodeId` went over the bus. */
  function heartbeats(bus: ReturnType<typeof createLocalBus>, nodeId: string, count: number, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`only ${seen} of ${count} heartbeats within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = bus.subscribe('presence-nodes', (event) => {
        if (event.event === 'heartbeat' && event.payload.node === nodeId && ++seen >= count) {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    });
  }

  it('publishes one diff per window, and a join cancelled within the window not at all', () => {
    const bus = createLocalBus();
    const a = node(bus, { windowMs: 60_000 });
    const b = node(bus);
    b.presence.watch(topic);
    const ghost = a.presence.track(topic, 'ghost');
    a.presence.untrack(topic, ghost);
    for (let i = 0; i < 5; i++) a.presence.track(topic, `user-${i}`);
    a.presence.flush();
    expect(b.diffs).toHaveLength(1);
    expect(Object.keys(b.diffs[0].joins).sort()).toEqual(['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
    expect(b.diffs[0].leaves).toEqual({});
    expect(Object.keys(b.presence.list(topic))).not.toContain('ghost');
    a.presence.flush();
    expect(b.diffs).toHaveLength(1);
    a.close();
    b.close();
  });

  it('sends the leave of a short visit that a presence_state already showed, so nobody keeps a ghost', () => {
    const bus = createLocalBus();
    const a = node(bus, { windowMs: 60_000 });
    a.presence.watch(topic);
    const visitor = a.presence.track(topic, 'visitor');
    // Someone joins meanwhile and is shown the visitor in presence_state...
    expect(Object.keys(a.presence.list(topic))).toEqual(['visitor']);
    a.presence.untrack(topic, visitor);
    a.presence.flush();
    // ...so the one diff of the window carries the visitor's leave.
    expect(a.diffs).toHaveLength(1);
    expect(a.diffs[0].joins).toEqual({});
    expect(Object.keys(a.diffs[0].leaves)).toEqual(['visitor']);
    a.close();
  });

  it('gives a node that starts watching the others’ presences, without echoing them to their own sockets', () => {
    const bus = createLocalBus();
    const a = node(bus);
    const b = node(bus);
    a.presence.watch(topic);
    const ref = a.presence.track(topic, 'alice');
    a.presence.flush();
    expect(a.diffs).toHaveLength(1);
    b.presence.watch(topic);
    expect(b.presence.list(topic)).toEqual({ alice: { metas: [{ phx_ref: ref, online_at: expect.stringMatching(ISO) }] } });
    expect(b.diffs).toHaveLength(1);
    expect(Object.keys(b.diffs[0].joins)).toEqual(['alice']);
    // alice's own node already told its sockets: the sync answer is not a second join for them.
    expect(a.diffs).toHaveLength(1);
    a.close();
    b.close();
  });

  it('sweep() forgets a node whose heartbeats stopped: its users leave, and only after the timeout', () => {
    const bus = createLocalBus();
    const a = node(bus);
    const b = node(bus, { nodeTimeoutMs: 1000 });
    b.presence.watch(topic);
    const ref = a.presence.track(topic, 'alice');
    a.presence.flush();
    expect(Object.keys(b.presence.list(topic))).toEqual(['alice']);
    a.close(); // a crashed node says nothing more
    b.presence.sweep(Date.now() + 500);
    expect(Object.keys(b.presence.list(topic))).toEqual(['alice']);
    expect(b.diffs).toHaveLength(1);
    b.presence.sweep(Date.now() + 1000);
    expect(b.presence.list(topic)).toEqual({});
    expect(b.diffs).toHaveLength(2);
    expect(b.diffs[1]).toEqual({ joins: {}, leaves: { alice: { metas: [{ phx_ref: ref, online_at: expect.any(String) }] } } });
    b.close();
  });

  it('keeps a live node across many timeouts and drops it on its own once its heartbeats stop', async () => {
    const bus = createLocalBus();
    const a = node(bus, { heartbeatMs: 20, nodeTimeoutMs: 200 });
    const b = node(bus, { heartbeatMs: 20, nodeTimeoutMs: 200 });
    b.presence.watch(topic);
    a.presence.track(topic, 'alice');
    a.presence.flush();
    // 20 heartbeats of 20 ms: a lived two timeouts and b still lists alice.
    await heartbeats(bus, a.presence.nodeId, 20);
    expect(Object.keys(b.presence.list(topic))).toEqual(['alice']);
    a.close();
    const stoppedAt = Date.now();
    await b.until(() => b.diffs.some((d) => d.leaves.alice));
    expect(b.presence.list(topic)).toEqual({});
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    b.close();
  });

  it('derives the heartbeat from the node timeout, so a short timeout does not drop live nodes', async () => {
    const bus = createLocalBus();
    const a = node(bus, { nodeTimeoutMs: 150 });
    const b = node(bus, { nodeTimeoutMs: 150 });
    b.presence.watch(topic);
    a.presence.track(topic, 'alice');
    a.presence.flush();
    await heartbeats(bus, a.presence.nodeId, 8);
    expect(Object.keys(b.presence.list(topic))).toEqual(['alice']);
    expect(b.diffs.filter((d) => d.leaves.alice)).toEqual([]);
    a.close();
    await b.until(() => b.diffs.some((d) => d.leaves.alice));
    b.close();
  });
});

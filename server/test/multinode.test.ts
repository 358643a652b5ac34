// Two real server processes (the compiled server, `node server/dist/main.js`) on one PostgreSQL and one
// Redis: messages, conversation updates and presence cross nodes, and a crashed node's users go offline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'phoenix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.js';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';
import { raw, socketUrl, upgradeOutcome } from './helpers/frames.js';
import { watchFamily as watchPresence } from './helpers/presence.js';
import type { Started } from './helpers/process.js';
import { callServer, setupOver, startServer, stopProcesses } from './helpers/process.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';
import { REDIS_URL, connectRedis, runPrefix } from './helpers/redis.js';

/** A node silent this long is forgotten (checked every third of it); shortened from the 15 s default to keep the test quick. */
const NODE_TIMEOUT_MS = 3_000;
/** A bus prefix of this run's own, so another run on the same Redis never shares its nodes' events. */
const REDIS_PREFIX = runPrefix('multinode');

interface Node {
  name: string;
  child: Started['child'];
  http: string;
  ws: string;
}

interface Person {
  id: string;
  token: string;
}

const sockets: Socket[] = [];
let db: TestDatabase | undefined;
let dataDir: string | undefined;
let a: Node;
let b: Node;
let c: Node;
let admin: Person;
let bob: Person;
let familyId: string;
let conv: string;

/** Starts one server process and resolves once it logs that it is listening. */
async function startNode(name: string, databaseUrl: string): Promise<Node> {
  const port = await freePort();
  const server = await startServer(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      FAMICHAT_REDIS_PREFIX: REDIS_PREFIX,
      // The "listening" line is logged at info level.
      LOG_LEVEL: 'info',
      FAMICHAT_DATA_DIR: dataDir!,
      FAMICHAT_SEND_BURST: '1000',
      FAMICHAT_SEND_PER_MINUTE: '100000',
      FAMICHAT_PRESENCE_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
    },
    { name: `node ${name}` },
  );
  return { name, child: server.child, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/socket` };
}

/** A JSON request to a node; returns status and parsed body. */
const api = (node: Node, method: string, path: string, token?: string, body?: unknown) => callServer(node.http, method, path, token, body);

/** Registers a new member of the family through `node`'s HTTP API. */
async function addMember(node: Node, name: string): Promise<Person> {
  const invite = await api(node, 'POST', `/api/v1/families/${familyId}/invites`, admin.token, { role: 'member' });
  expect(invite.status).toBe(201);
  const res = await api(node, 'POST', '/api/v1/auth/register', undefined, {
    invite_token: invite.body.data.token,
    username: name,
    password: 'correct horse',
    display_name: name,
  });
  expect(res.status).toBe(201);
  return { id: res.body.data.user.id, token: res.body.data.token };
}

/** Logs `username` in through `node`: a new session of its own. */
async function login(node: Node, username: string): Promise<Person & { sessionId: string }> {
  const res = await api(node, 'POST', '/api/v1/auth/login', undefined, { username, password: 'correct horse' });
  expect(res.status).toBe(200);
  return { id: res.body.data.user.id, token: res.body.data.token, sessionId: res.body.data.session_id };
}

async function open(node: Node, person: Person): Promise<Socket> {
  const socket = await connect(node.ws, person.token);
  sockets.push(socket);
  return socket;
}

/** Joins the family topic with the client's Presence. */
const watchFamily = (socket: Socket) => watchPresence(socket, familyId);

beforeAll(async () => {
  (await connectRedis('the multi-node tests')).disconnect();
  db = await createTestDatabase();
  if (!db.url) throw new Error('the multi-node tests need PostgreSQL (two processes cannot share an embedded PGlite database)');
  dataDir = mkdtempSync(join(tmpdir(), 'famichat-multinode-'));
  [a, b, c] = await Promise.all([startNode('A', db.url), startNode('B', db.url), startNode('C', db.url)]);

  ({ admin, familyId } = await setupOver(a.http, 'Across nodes'));
  bob = await addMember(a, 'bob');
  const family = await api(a, 'GET', `/api/v1/families/${familyId}`, admin.token);
  conv = family.body.data.conversation_id;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await stopProcesses();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('two server nodes on one PostgreSQL and one Redis', () => {
  it('delivers new_msg sent on node A (WebSocket and HTTP) to a subscriber on node B, with conversation_updated', async () => {
    const onA = await open(a, admin);
    const onB = await open(b, bob);
    const sender = await joinChannel(onA, `message:family:${conv}`);
    const receiver = await joinChannel(onB, `message:family:${conv}`, { after_seq: 0 });
    const user = await joinChannel(onB, `user:${bob.id}`);
    const received = collect(receiver.channel, 'new_msg');
    const echoed = collect(sender.channel, 'new_msg');
    const updates = collect(user.channel, 'conversation_updated');

    const sent = await push(sender.channel, 'new_msg', { body: 'from node A', client_id: 'a-1' });
    expect(sent.status).toBe('ok');
    expect((await received.next()).message).toEqual(sent.response.message);
    expect((await echoed.next()).message).toEqual(sent.response.message);
    const update = await updates.next();
    expect(update.conversation).toMatchObject({
      id: conv,
      latest_message_seq: 1,
      unread_count: 1,
      last_message: sent.response.message,
    });

    const http = await api(a, 'POST', `/api/v1/conversations/${conv}/messages`, admin.token, { body: 'over HTTP on A' });
    expect(http.status).toBe(201);
    expect((await received.next()).message).toEqual(http.body.data);
    expect((await echoed.next()).message).toEqual(http.body.data);
    expect((await updates.next()).conversation).toMatchObject({ id: conv, latest_message_seq: 2, unread_count: 2 });

    // And the other way round: bob on B answers, the admin on A gets it.
    const reply = await push(receiver.channel, 'new_msg', { body: 'from node B' });
    expect(reply.status).toBe('ok');
    const back = await echoed.next();
    expect(back.message).toEqual(reply.response.message);
    expect(back.message.seq).toBe(3);
    expect((await received.next()).message).toEqual(reply.response.message);
  });

  it('merges presence across nodes: B sees a user connected to A arrive and leave', async () => {
    const adminOnA = await open(a, admin);
    // The admin is online on A before anyone on B watches: B learns of them by syncing with A.
    const adminView = await watchFamily(adminOnA);
    await adminView.until((u) => u.has(admin.id));
    const bobView = await watchFamily(await open(b, bob));
    const both = await bobView.until((u) => u.has(admin.id) && u.has(bob.id));
    expect(both.get(admin.id)).toEqual(adminView.users().get(admin.id));

    // Carol connects to A while B watches: a diff crosses nodes, and A sees bob (on B) too.
    const carol = await addMember(a, 'carol');
    const carolOnA = await open(a, carol);
    await watchFamily(carolOnA);
    const withCarol = await bobView.until((u) => u.has(carol.id));
    expect(withCarol.get(carol.id)).toEqual([{ phx_ref: expect.any(String), online_at: expect.any(String) }]);
    await adminView.until((u) => u.has(bob.id) && u.has(carol.id));

    carolOnA.disconnect();
    const after = await bobView.until((u) => !u.has(carol.id));
    expect([...after.keys()].sort()).toEqual([admin.id, bob.id].sort());
  });

  it("closes a session's sockets on node B at once when it is revoked on node A, and only that session's", async () => {
    const frank = await addMember(a, 'frank');
    const phone = await login(a, 'frank');
    const laptop = await login(b, 'frank');
    const phoneOnB = await raw(b.ws, phone.token);
    const laptopOnB = await open(b, laptop);
    const notes = (await api(b, 'POST', '/api/v1/conversations', laptop.token, { type: 'self' })).body.data.id as string;
    const channel = await joinChannel(laptopOnB, `message:self:${notes}`);
    // B has checked the phone's token, so its session is in B's cache when A revokes it.
    expect((await api(b, 'GET', '/api/v1/me', phone.token)).status).toBe(200);

    const revoked = await api(a, 'DELETE', `/api/v1/me/sessions/${phone.sessionId}`, frank.token);
    expect(revoked.status).toBe(204);
    expect((await phoneOnB.closed).code).toBe(1008);
    expect((await api(b, 'GET', '/api/v1/me', phone.token)).status).toBe(401);
    expect((await upgradeOutcome(socketUrl(b.ws, phone.token))).status).toBe(403);
    // The laptop's session on the same node is untouched.
    const sent = await push(channel.channel, 'new_msg', { body: 'still here' });
    expect(sent.status).toBe('ok');
    expect((await api(b, 'GET', '/api/v1/me', laptop.token)).status).toBe(200);
  });

  it("ends a member removed on node A at once on node B: delivery, channels, REST and rejoin", async () => {
    const gina = await addMember(a, 'gina');
    const ginaOnB = await open(b, gina);
    const family = await joinChannel(ginaOnB, `message:family:${conv}`);
    const presence = await joinChannel(ginaOnB, `family:${familyId}`);
    const notes = (await api(b, 'POST', '/api/v1/conversations', gina.token, { type: 'self' })).body.data.id as string;
    const self = await joinChannel(ginaOnB, `message:self:${notes}`);
    const familyMessages = collect(family.channel, 'new_msg');
    const ownNotes = collect(self.channel, 'new_msg');
    const closed = Promise.all(
      [family.channel, presence.channel].map((channel) => new Promise<void>((resolve) => channel.onClose(() => resolve()))),
    );
    const before = await api(a, 'POST', `/api/v1/conversations/${conv}/messages`, admin.token, { body: 'before gina leaves' });
    expect((await familyMessages.next()).message.id).toBe(before.body.data.id);

    expect((await api(a, 'DELETE', `/api/v1/families/${familyId}/members/${gina.id}`, admin.token)).status).toBe(204);
    await closed;
    // Both published by node A in this order: when gina's own note arrives on B, the family message would have too.
    const after = await api(a, 'POST', `/api/v1/conversations/${conv}/messages`, admin.token, { body: 'after gina left' });
    expect(after.status).toBe(201);
    const marker = await api(a, 'POST', `/api/v1/conversations/${notes}/messages`, gina.token, { body: 'marker' });
    expect((await ownNotes.next()).message.id).toBe(marker.body.data.id);
    expect(familyMessages.received).toEqual([]);

    expect((await api(b, 'GET', `/api/v1/conversations/${conv}`, gina.token)).status).toBe(404);
    expect((await api(b, 'GET', `/api/v1/conversations/${conv}/messages`, gina.token)).status).toBe(404);
    expect((await api(b, 'POST', `/api/v1/conversations/${conv}/messages`, gina.token, { body: 'let me back' })).status).toBe(404);
    expect((await api(b, 'GET', `/api/v1/families/${familyId}`, gina.token)).status).toBe(404);
    await expect(joinChannel(ginaOnB, `message:family:${conv}`)).rejects.toMatchObject({ response: { reason: 'not_found' } });
    await expect(joinChannel(ginaOnB, `family:${familyId}`)).rejects.toMatchObject({ response: { reason: 'not_found' } });
  });

  it('drops the users of a node stopped with SIGTERM at once, without waiting for the node timeout', async () => {
    const erin = await addMember(a, 'erin');
    const erinOnC = await open(c, erin);
    await watchFamily(erinOnC);
    const bobView = await watchFamily(await open(b, bob));
    await bobView.until((u) => u.has(erin.id));
    const exited = new Promise<number | null>((resolve) => c.child.once('exit', (code) => resolve(code)));
    const stoppedAt = Date.now();
    c.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    erinOnC.disconnect();
    await bobView.until((u) => !u.has(erin.id), 5000);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  });

  it(
    'forgets the users of a node killed with SIGKILL within the node timeout, while B keeps working',
    async () => {
      const dave = await addMember(a, 'dave');
      const daveOnA = await open(a, dave);
      await watchFamily(daveOnA);
      const bobOnB = await open(b, bob);
      const bobView = await watchFamily(bobOnB);
      await bobView.until((u) => u.has(dave.id) && u.has(admin.id));

      const exited = new Promise((resolve) => a.child.once('exit', resolve));
      a.child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      // Stop the clients of A from retrying a dead port.
      for (const socket of sockets) if (socket.endPointURL().startsWith(a.ws)) socket.disconnect();

      // No leave can come from a dead node: B drops its users when its heartbeats are overdue.
      const after = await bobView.until((u) => !u.has(dave.id) && !u.has(admin.id), NODE_TIMEOUT_MS + 10_000);
      const tookMs = Date.now() - killedAt;
      expect([...after.keys()]).toEqual([bob.id]);
      // The timeout, plus at most one sweep interval, plus slack for a loaded machine.
      expect(tookMs).toBeLessThan(NODE_TIMEOUT_MS + 8_000);

      // B still serves: an HTTP send on B reaches bob's socket on B.
      const receiver = await joinChannel(bobOnB, `message:family:${conv}`);
      const received = collect(receiver.channel, 'new_msg');
      const sent = await api(b, 'POST', `/api/v1/conversations/${conv}/messages`, bob.token, { body: 'A is gone' });
      expect(sent.status).toBe(201);
      expect((await received.next()).message).toEqual(sent.body.data);
    },
    NODE_TIMEOUT_MS + 30_000,
  );
});

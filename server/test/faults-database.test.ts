// Database outage: the server reaches PostgreSQL through a TCP proxy that the test cuts and restores.
// While cut: sends get 503 `unavailable` with Retry-After (quickly, not after a hang), /readyz says 503,
// sockets stay open. After restore everything works again without a restart, and resending what was not
// acknowledged leaves every message stored once with contiguous seqs.
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'phoenix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/connect.js';
import { openDatabase, rows } from '../src/db/connect.js';
import type { TestApp } from './helpers/app.js';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, familyConversation, setupInstance } from './helpers/fixtures.js';
import { push, watchMessages } from './helpers/phoenix.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';
import { startTcpProxy, viaProxy } from './helpers/tcp-proxy.js';
import { until } from './helpers/wait.js';

const POOL_SIZE = 5;

let testDb: TestDatabase;
let proxy: TcpProxy;
let proxied: Database;
let app: FastifyInstance;
let t: TestApp;
let ws: string;
let admin: Person;
let bob: Person;
let conv: string;
const sockets: Socket[] = [];

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await app.inject({
    method: method as 'GET',
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body)) : undefined, headers: res.headers };
}

const send = (person: Person, clientId: string) =>
  call('POST', `/api/v1/conversations/${conv}/messages`, person.token, { body: `message ${clientId}`, client_id: clientId });

/** What is stored in the conversation, read directly (not through the proxy). */
async function stored() {
  return rows<{ seq: number; client_id: string | null }>(
    testDb.database.db,
    sql`SELECT seq, client_id FROM messages WHERE conversation_id = ${conv} ORDER BY seq`,
  );
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  if (!testDb.url) throw new Error('the database outage test needs PostgreSQL (there is no connection to cut to embedded PGlite)');
  const target = new URL(testDb.url);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  proxied = await openDatabase({ databaseUrl: viaProxy(testDb.url, proxy), poolSize: POOL_SIZE, migrate: false });
  const config = loadConfig({ LOG_LEVEL: 'silent', FAMICHAT_SEND_BURST: '1000', FAMICHAT_SEND_PER_MINUTE: '100000' });
  ({ app } = await buildApp({ config, database: proxied, bus: createLocalBus() }));
  await app.ready();
  ws = `${(await app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws')}/socket`;
  const as = (token?: string) => ({
    get: (path: string) => call('GET', path, token),
    post: (path: string, body?: unknown) => call('POST', path, token, body),
    delete: (path: string) => call('DELETE', path, token),
  });
  t = { as } as unknown as TestApp;
  let familyId: string;
  ({ admin, familyId } = await setupInstance(t));
  bob = await addMember(t, admin, familyId, 'member', 'Bob');
  conv = await familyConversation(t, admin, familyId);
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await app?.close();
  await proxied?.close().catch(() => undefined);
  await proxy?.close();
  await testDb?.drop();
});

describe('PostgreSQL outage', () => {
  it('answers 503 unavailable quickly while cut and recovers without a restart; nothing acknowledged is lost', async () => {
    const { socket, channel, inbox, closed } = await watchMessages(ws, bob.token, `message:family:${conv}`);
    sockets.push(socket);
    const acknowledged = new Set<string>();
    const first = await send(admin, 'first');
    expect(first.status).toBe(201);
    acknowledged.add('first');
    expect((await inbox.next()).message.seq).toBe(1);

    // A burst in flight when the connection is cut: each send is either acknowledged or told to retry.
    const burst = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    const inFlight = burst.map((id) => send(admin, id));
    proxy.cut();
    const outcomes = await Promise.all(inFlight);
    const retry: string[] = [];
    outcomes.forEach((res, i) => {
      expect([201, 503]).toContain(res.status);
      if (res.status === 201) acknowledged.add(burst[i]!);
      else retry.push(burst[i]!);
    });

    // While cut: 503 unavailable with Retry-After, within seconds.
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await send(admin, `during-${i}`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      retry.push(`during-${i}`);
    }
    const list = await call('GET', `/api/v1/conversations/${conv}/messages`, bob.token);
    expect(list.status).toBe(503);
    expect(list.body.error.code).toBe('unavailable');
    const readyz = await call('GET', '/readyz');
    expect(readyz.status).toBe(503);
    expect((await call('GET', '/healthz')).status).toBe(200);
    // The socket stays open; a send over it fails as a reply, not by closing the socket.
    const wsSend = await push(channel, 'new_msg', { body: 'over the socket', client_id: 'ws-during' });
    expect(wsSend).toMatchObject({ status: 'error', response: { reason: 'unavailable', retry_in_ms: 5000 } });
    retry.push('ws-during');
    expect(closed()).toBe(false);
    expect(socket.isConnected()).toBe(true);

    proxy.restore();
    await until('/readyz to answer 200', async () => (await call('GET', '/readyz')).status === 200);
    // Every send not acknowledged is resent with its client_id: stored once whatever happened before.
    for (const id of retry) {
      const res = id === 'ws-during' ? await send(bob, id) : await send(admin, id);
      expect([200, 201]).toContain(res.status);
      acknowledged.add(id);
    }
    // A resent acknowledged message is not stored again.
    const again = await send(admin, 'first');
    expect(again.status).toBe(200);
    expect(again.body.data.seq).toBe(1);
    expect((await call('GET', `/api/v1/conversations/${conv}/messages?limit=100`, bob.token)).status).toBe(200);

    // Live delivery works after the outage (the socket stayed open all along).
    const last = await send(admin, 'last');
    expect(last.status).toBe(201);
    acknowledged.add('last');
    await until('the last message on the socket', () => inbox.received.some((p: any) => p.message.client_id === 'last'));
    expect(closed()).toBe(false);

    // Nothing leaked: the pool holds at most its size in connections through the proxy.
    expect(proxy.connections).toBeLessThanOrEqual(POOL_SIZE);

    const messages = await stored();
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(new Set(messages.map((m) => m.client_id)).size).toBe(messages.length);
    expect(new Set(messages.map((m) => m.client_id))).toEqual(acknowledged);
  });
});

// Overload: sends above the rate limit get 429 with Retry-After and are not stored (resent later, they are
// stored once); a flood of connection attempts does not starve the sockets already open.
import type { Socket as TcpSocket } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Socket } from 'phoenix';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rows } from '../src/db/connect.js';
import type { Person } from './helpers/fixtures.js';
import { family } from './helpers/fixtures.js';
import { connect, joinChannel, push, watchMessages } from './helpers/phoenix.js';
import { until } from './helpers/wait.js';

const BURST = 5;

const { t, url: ws, admin, conv, members: [bob, carol] } = await family({
  members: ['Bob', 'Carol'],
  env: { FAMICHAT_SEND_BURST: String(BURST), FAMICHAT_SEND_BURST_WINDOW_SECONDS: '1', FAMICHAT_SEND_PER_MINUTE: '1000' },
});
const sockets: Socket[] = [];

const send = (person: Person, clientId: string) =>
  t.as(person.token).post(`/api/v1/conversations/${conv}/messages`, { body: `message ${clientId}`, client_id: clientId });

async function stored() {
  return rows<{ seq: number; client_id: string | null }>(
    t.db.database.db,
    sql`SELECT seq, client_id FROM messages WHERE conversation_id = ${conv} ORDER BY seq`,
  );
}

afterAll(() => {
  for (const socket of sockets) socket.disconnect();
});

describe('overload', () => {
  it('refuses sends above the rate limit with 429 and Retry-After, stores none of them, and stores them once when resent', async () => {
    const accepted: string[] = [];
    const refused: string[] = [];
    for (let i = 0; i < BURST + 4; i++) {
      const res = await send(admin, `http-${i}`);
      if (i < BURST) {
        expect(res.status).toBe(201);
        accepted.push(`http-${i}`);
      } else {
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe('rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(res.body.error.details.retry_in_ms).toBeGreaterThan(0);
        refused.push(`http-${i}`);
      }
    }
    // Over the socket: the same limit, as an error reply with retry_in_ms.
    const socket = await connect(ws, admin.token);
    sockets.push(socket);
    const { channel } = await joinChannel(socket, `message:family:${conv}`);
    const overWs = await push(channel, 'new_msg', { body: 'over the socket', client_id: 'ws-0' });
    expect(overWs.status).toBe('error');
    expect(overWs.response.reason).toBe('rate_limited');
    expect(overWs.response.retry_in_ms).toBeGreaterThan(0);

    // Nothing refused was stored.
    expect((await stored()).map((m) => m.client_id)).toEqual(accepted);

    // Once the window has passed, the refused sends go through, each stored once.
    await until('the rate limit window to pass', async () => {
      const res = await send(admin, refused[0]!);
      return res.status === 201;
    });
    for (const id of refused.slice(1)) {
      let res = await send(admin, id);
      if (res.status === 429) {
        await until(`room to send ${id}`, async () => (res = await send(admin, id)).status !== 429);
      }
      expect(res.status).toBe(201);
    }
    const messages = await stored();
    expect(messages.map((m) => m.client_id)).toEqual([...accepted, ...refused]);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
  });

  it('keeps existing sockets served during a flood of connection attempts', async () => {
    const { socket: watcher, channel, inbox, closed: watcherClosed } = await watchMessages(ws, bob.token, `message:family:${conv}`);
    sockets.push(watcher);
    const before = (await stored()).length;
    const baseline = t.realtime.connections.size;

    // The flood: connection attempts with bad tokens, with good ones, and raw sockets that never finish.
    const flood: WebSocket[] = [];
    const settled: Promise<void>[] = [];
    const url = `${ws}/websocket?vsn=2.0.0&token=`;
    for (let i = 0; i < 300; i++) {
      const attempt = new WebSocket(url + (i % 2 === 0 ? 'not-a-token' : encodeURIComponent(admin.token)));
      flood.push(attempt);
      settled.push(
        new Promise<void>((resolve) => {
          attempt.on('open', () => resolve());
          attempt.on('error', () => resolve());
          attempt.on('unexpected-response', () => resolve());
          attempt.on('close', () => resolve());
        }),
      );
    }

    const port = Number(new URL(ws.replace('ws', 'http')).port);
    const halfOpen: TcpSocket[] = [];
    for (let i = 0; i < 100; i++) {
      const raw = tcpConnect(port, '127.0.0.1', () => raw.write('GET /socket/websocket HTTP/1.1\r\nHost: x\r\n'));
      raw.on('error', () => undefined);
      halfOpen.push(raw);
    }

    // Meanwhile the open socket keeps sending and receiving, promptly.
    const started = Date.now();
    for (let i = 0; i < BURST; i++) {
      const reply = await push(channel, 'new_msg', { body: `during the flood ${i}`, client_id: `flood-${i}` });
      expect(reply.status).toBe('ok');
    }
    const res = await send(carol, 'from-http-during-flood');
    expect(res.status).toBe(201);
    const got: string[] = [];
    for (let i = 0; i <= BURST; i++) got.push((await inbox.next(5000)).message.client_id);
    expect(got).toEqual([...Array.from({ length: BURST }, (_, i) => `flood-${i}`), 'from-http-during-flood']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(watcherClosed()).toBe(false);

    await Promise.all(settled);
    const opened = flood.filter((s) => s.readyState === WebSocket.OPEN).length;
    expect(opened).toBe(150);
    for (const s of flood) s.terminate();
    for (const raw of halfOpen) raw.destroy();
    // The flood's sockets are all released; the watcher stays.
    await until('the flood sockets to be released', () => t.realtime.connections.size === baseline);
    expect(watcherClosed()).toBe(false);
    const read = await push(channel, 'read', { seq: before + BURST + 1 });
    expect(read).toEqual({ status: 'ok', response: { seq: before + BURST + 1 } });

    const messages = await stored();
    expect(messages.length).toBe(before + BURST + 1);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(new Set(messages.map((m) => m.client_id)).size).toBe(messages.length);
  });
});

// Graceful shutdown of the real process (`node server/dist/main.js`, as the container runs it): on SIGTERM
// the open WebSockets get a 1001 "going away" close, new connections are refused, a request already in
// flight completes with its normal answer, and the process exits 0 within 10 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'phoenix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';
import { connect, joinChannel } from './helpers/phoenix.js';
import type { Started } from './helpers/process.js';
import { startServer, stopProcesses } from './helpers/process.js';
import { until } from './helpers/wait.js';

/** A running server process and its port. */
type Server = Started & { port: number };

const databases: TestDatabase[] = [];
let dataDir: string;
const sockets: Socket[] = [];

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'famichat-shutdown-'));
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await stopProcesses();
  for (const db of databases) await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Starts the compiled server on a free port and a fresh database of its own (production mode on
 * PostgreSQL; development mode on the embedded database when the suite runs without PostgreSQL).
 */
async function start(): Promise<Server> {
  const db = await createTestDatabase();
  databases.push(db);
  const server = await startServer({
    ...(db.url
      ? { NODE_ENV: 'production', DATABASE_URL: db.url, FAMICHAT_PUBLIC_URL: 'https://chat.example.test' }
      : { NODE_ENV: 'development', DATABASE_URL: '', FAMICHAT_DATA_DIR: mkdtempSync(join(dataDir, 'db-')) }),
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: '',
    LOG_LEVEL: 'info',
  });
  // PORT 0: the port the OS chose is in Fastify's own line, logged before "Famichat is listening".
  const listening = await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at http://127.0.0.1:'), 'listening');
  return { ...server, port: Number(/:(\d+)$/.exec(listening.msg!)![1]) };
}

/** Runs first-run setup on a fresh server; returns the admin's token and ids. */
async function setupAdmin(base: string) {
  const setup = await fetch(`${base}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'grandpa', password: 'fishing-trip-1962', display_name: 'Grandpa', family_name: 'Millers' }),
  });
  expect(setup.status).toBe(201);
  return ((await setup.json()) as { data: { token: string; user: { id: string }; family: { id: string } } }).data;
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('closes sockets with 1001, stops accepting, finishes the in-flight request, exits 0 within 10 s', async () => {
    const server = await start();
    const { port } = server;
    const base = `http://127.0.0.1:${port}`;
    const data = await setupAdmin(base);

    // Two open sockets with joined channels; no automatic reconnection during the test.
    const closes: Promise<number>[] = [];
    for (const topic of [`user:${data.user.id}`, `family:${data.family.id}`]) {
      const socket = await connect(`ws://127.0.0.1:${port}/socket`, data.token, { reconnectAfterMs: () => 60_000 });
      sockets.push(socket);
      closes.push(new Promise((resolve) => socket.onClose((event: { code: number }) => resolve(event.code))));
      await joinChannel(socket, topic);
    }

    // A login whose body is only half sent: in flight on a keep-alive connection when SIGTERM arrives.
    const body = JSON.stringify({ username: 'grandpa', password: 'fishing-trip-1962' });
    const agent = new Agent({ keepAlive: true });
    const login = request(`${base}/api/v1/auth/login`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const response = new Promise<{ status: number; json: any; connection: string | undefined }>((resolve, reject) => {
      login.on('response', (res: IncomingMessage) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text), connection: res.headers.connection }));
      });
      login.on('error', reject);
    });
    login.write(body.slice(0, 20));
    await server.waitForLog((l) => l.msg === 'incoming request' && l.req?.url === '/api/v1/auth/login', 'incoming login request');

    const sentAt = Date.now();
    server.child.kill('SIGTERM');
    await server.waitForLog((l) => l.msg === 'shutting down', 'shutting down');

    // Every socket is told "going away" while the HTTP request is still waiting for its body.
    expect(await Promise.all(closes)).toEqual([1001, 1001]);
    // No new connections are taken.
    await until('the port refuses new connections', () => refused(port), 5000);
    expect(server.child.exitCode).toBeNull();

    // The in-flight request completes with its normal answer.
    login.end(body.slice(20));
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.json.data).toMatchObject({ user: { id: data.user.id }, token: expect.any(String) });
    agent.destroy();

    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(10_000);
    expect(server.lines.some((l) => l.msg === 'shut down cleanly')).toBe(true);
    expect(server.lines.filter((l) => (l.level ?? 0) >= 40)).toEqual([]);
  }, 60_000);

  it('cuts a request and a socket that never finish once the drain time is over, and still exits 0 within 10 s', async () => {
    const server = await start();
    const { port } = server;
    const data = await setupAdmin(`http://127.0.0.1:${port}`);

    // A raw WebSocket client that never answers the server's close frame.
    const raw = tcpConnect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded!: () => void;
    const upgrade = new Promise<void>((resolve) => (upgraded = resolve));
    const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.includes('\r\n\r\n')) upgraded();
    });
    raw.on('error', () => undefined);
    raw.write(
      `GET /socket/websocket?vsn=2.0.0&token=${data.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await upgrade;
    expect(received.toString().split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');

    // A request whose body never arrives.
    const stuck = request(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': 1000 },
    });
    const stuckOutcome = new Promise<string>((resolve) => {
      stuck.on('response', (res: IncomingMessage) => resolve(`answered ${res.statusCode}`));
      stuck.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    stuck.write('{"username":"grandpa",');
    await server.waitForLog((l) => l.msg === 'incoming request' && l.req?.url === '/api/v1/auth/login', 'incoming login request');

    const sentAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(10_000);
    expect(server.lines.some((l) => l.msg === 'drain time is over: cutting the remaining connections')).toBe(true);

    // The raw client was sent a close frame with 1001 before its connection was cut.
    await rawClosed;
    const frames = received.subarray(received.indexOf('\r\n\r\n') + 4);
    const close = frames.indexOf(0x88);
    expect(close).toBeGreaterThanOrEqual(0);
    expect(frames.readUInt16BE(close + 2)).toBe(1001);
    expect(await stuckOutcome).toMatch(/ECONNRESET|socket hang up/);
  }, 60_000);
});

// A request body over the server's limit, on real connections: every client reads its 413 answer
// before the connection closes, however fast it sends, and the server drains only a bounded amount.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_MAX_BYTES } from '../src/http/errors.js';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startTestApp();
  await t.listen();
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(() => t.close());

const MB = 1024 * 1024;
const PATH = '/api/v1/auth/login';

/** Checks the 413 envelope a client read. */
function expectTooLarge(status: number | undefined, body: string): void {
  expect(status).toBe(413);
  const parsed = JSON.parse(body);
  expect(parsed.error.code).toBe('payload_too_large');
  expect(typeof parsed.meta.request_id).toBe('string');
}

/** Posts `size` bytes with node:http in one write, as fast as it goes; resolves with what it read. */
function postWithHttp(size: number): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: PATH, agent: false, headers: { 'content-type': 'application/json', 'content-length': size } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
        response.on('error', (error) => resolve({ status: response.statusCode!, body, error: error.message }));
      },
    );
    request.on('error', (error) => resolve({ body: '', error: error.message }));
    request.end(Buffer.alloc(size, 'x'));
  });
}

/**
 * Writes the request head and the whole body before reading anything (as a browser's form upload does),
 * over a raw socket; resolves with the raw answer once the server closes.
 */
function uploadThenRead(size: number, chunked = false): Promise<{ answer: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.pause();
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => resolve({ answer, error: error.message }));
    socket.on('end', () => resolve({ answer }));
    const length = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`;
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${length}\r\n\r\n`);
    const body = Buffer.alloc(size, 'x');
    const payload = chunked ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
    socket.write(payload, () => socket.resume());
  });
}

/** Splits a raw HTTP/1.1 answer into status, headers and body. */
function parseAnswer(answer: string): { status: number; headers: string; body: string } {
  const end = answer.indexOf('\r\n\r\n');
  const headers = answer.slice(0, end);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body: answer.slice(end + 4) };
}

describe('a body over the server limit on a real connection', () => {
  it('lets a fast node:http client read the 413 every time (20 tries of 2 MB)', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await postWithHttp(2 * MB);
      expect(res.error, `try ${i}`).toBeUndefined();
      expectTooLarge(res.status, res.body);
    }
  });

  it('lets a client that sends its whole body before reading read the 413, then closes (20 tries of 4 MB)', async () => {
    for (let i = 0; i < 20; i++) {
      const { answer, error } = await uploadThenRead(4 * MB);
      expect(error, `try ${i}`).toBeUndefined();
      const { status, headers, body } = parseAnswer(answer);
      expect(headers.toLowerCase()).toContain('connection: close');
      expectTooLarge(status, body);
    }
  });

  it('does the same for a chunked body without Content-Length', async () => {
    for (let i = 0; i < 5; i++) {
      const { answer, error } = await uploadThenRead(4 * MB, true);
      expect(error, `try ${i}`).toBeUndefined();
      const { status, body } = parseAnswer(answer);
      expectTooLarge(status, body);
    }
  });

  it('stops draining an endless body after a bounded amount and closes the connection', async () => {
    const result = await new Promise<{ answer: string; written: number }>((resolve) => {
      // Half-open: it keeps sending after the server's FIN, as a client ignoring the answer would.
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let answer = '';
      let written = 0;
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ answer, written }));
      socket.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${1024 * MB}\r\n\r\n`);
      const chunk = Buffer.alloc(MB, 'x');
      const next = (error?: Error | null) => {
        if (error || socket.destroyed) return;
        written += chunk.length;
        if (written < 1024 * MB) socket.write(chunk, next);
      };
      next();
    });
    expectTooLarge(parseAnswer(result.answer).status, parseAnswer(result.answer).body);
    // What the server drained, plus what the kernel buffers held when it closed.
    expect(result.written).toBeGreaterThan(DRAIN_MAX_BYTES);
    expect(result.written).toBeLessThan(DRAIN_MAX_BYTES + 32 * MB);
  });
});

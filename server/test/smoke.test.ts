// The README's start command for real: `npm start` on the embedded database in a temp dir; data survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.js';
import type { Started } from './helpers/process.js';
import { LISTENING, startProcess, stopProcesses } from './helpers/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'famichat-smoke-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm start` and the server process itself (npm's grandchild), from its own log line. */
interface Npm {
  npm: Started;
  serverPid: number;
}

/** Runs `npm start` and resolves once the server says it is listening. */
async function start(port: number): Promise<Npm> {
  const npm = await startProcess('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, FAMICHAT_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'info' },
    detached: true,
    ready: LISTENING,
    name: 'npm start',
    // npm start builds first: the test's own timeout bounds it.
    timeoutMs: 180_000,
  });
  const line = await npm.waitForLog((l) => l.msg?.includes(LISTENING) ?? false, LISTENING);
  return { npm, serverPid: line.pid! };
}

/** Sends SIGTERM to the server (as a process manager would) and resolves with npm's exit code. */
async function stop(started: Npm): Promise<number | null> {
  if (!started.npm.running()) return started.npm.child.exitCode;
  process.kill(started.serverPid, 'SIGTERM');
  return (await started.npm.exited).code;
}

describe('npm start on the embedded database', () => {
  it('sets up, stores a message, and still has it after a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const json = { 'content-type': 'application/json' };
    let server = await start(port);
    try {
      const setup = await fetch(`${base}/api/v1/setup`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'grandma', password: 'knitting-2026', display_name: 'Grandma', family_name: 'Smiths' }),
      });
      expect(setup.status).toBe(201);
      const { data } = (await setup.json()) as { data: { token: string; family: { id: string } } };
      const auth = { ...json, authorization: `Bearer ${data.token}` };
      const family = (await (await fetch(`${base}/api/v1/families/${data.family.id}`, { headers: auth })).json()) as {
        data: { conversation_id: string };
      };
      const conv = family.data.conversation_id;
      const sent = await fetch(`${base}/api/v1/conversations/${conv}/messages`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ body: 'Sunday lunch at noon 🍲' }),
      });
      expect(sent.status).toBe(201);
      expect(await stop(server)).toBe(0);

      server = await start(port);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'grandma', password: 'knitting-2026' }),
      });
      expect(login.status).toBe(200);
      const token = ((await login.json()) as { data: { token: string } }).data.token;
      const history = await fetch(`${base}/api/v1/conversations/${conv}/messages`, { headers: { authorization: `Bearer ${token}` } });
      const page = (await history.json()) as { data: { seq: number; body: string }[] };
      expect(page.data).toEqual([expect.objectContaining({ seq: 1, body: 'Sunday lunch at noon 🍲' })]);
    } finally {
      await stopProcesses();
    }
  }, 180_000);
});

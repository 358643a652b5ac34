// Crash: a real server process (`node dist/main.js`) takes bursts of sends with client_ids from several
// clients and is killed with SIGKILL mid-burst, then restarted; the clients resend everything that was not
// acknowledged. Every acknowledged message is stored exactly once (with the seq it was acknowledged with),
// nothing is duplicated and the seqs stay contiguous.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.js';
import { rows } from '../src/db/connect.js';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';
import type { Started } from './helpers/process.js';
import { callServer, setupOver, startServer, stopProcesses } from './helpers/process.js';

const CLIENTS = 4;
const PER_CLIENT = 60;
const BURST = 6;

interface Node {
  child: Started['child'];
  http: string;
  exited: Promise<unknown>;
}

interface Person {
  id: string;
  token: string;
}

let db: TestDatabase;
let dataDir: string;
let port: number;

/** Starts the server process and resolves once it logs that it is listening. */
async function startNode(): Promise<Node> {
  const server = await startServer({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url!,
    REDIS_URL: '',
    LOG_LEVEL: 'info',
    FAMICHAT_DATA_DIR: dataDir,
    FAMICHAT_SEND_BURST: '10000',
    FAMICHAT_SEND_PER_MINUTE: '100000',
    FAMICHAT_LOGIN_LIMIT_PER_IP: '100000',
  });
  return { child: server.child, http: `http://127.0.0.1:${port}`, exited: server.exited };
}

/** A JSON request to a node; returns status and parsed body. */
const api = (node: Node, method: string, path: string, token?: string, body?: unknown) => callServer(node.http, method, path, token, body);

beforeAll(async () => {
  db = await createTestDatabase();
  if (!db.url) throw new Error('the crash test needs PostgreSQL (a killed process cannot share an embedded PGlite database)');
  dataDir = mkdtempSync(join(tmpdir(), 'famichat-crash-'));
  port = await freePort();
});

afterAll(async () => {
  await stopProcesses();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGKILL mid-burst', () => {
  it('stores every acknowledged message exactly once after clients resend what was not acknowledged', async () => {
    let node = await startNode();
    const { admin, familyId } = await setupOver(node.http, 'Crash test');
    const people: Person[] = [admin];
    for (let i = 1; i < CLIENTS; i++) {
      const invite = await api(node, 'POST', `/api/v1/families/${familyId}/invites`, people[0]!.token, { role: 'member' });
      const res = await api(node, 'POST', '/api/v1/auth/register', undefined, {
        invite_token: invite.body.data.token,
        username: `member${i}`,
        password: 'correct horse',
        display_name: `Member ${i}`,
      });
      expect(res.status).toBe(201);
      people.push({ id: res.body.data.user.id, token: res.body.data.token });
    }
    const conv = (await api(node, 'GET', `/api/v1/families/${familyId}`, people[0]!.token)).body.data.conversation_id as string;

    /** client_id -> the seq it was acknowledged with. */
    const acknowledged = new Map<string, number>();
    const failed: { person: Person; clientId: string }[] = [];
    const send = async (person: Person, clientId: string) => {
      const res = await api(node, 'POST', `/api/v1/conversations/${conv}/messages`, person.token, { body: `from ${clientId}`, client_id: clientId });
      expect([200, 201]).toContain(res.status);
      const seq = res.body.data.seq as number;
      if (acknowledged.has(clientId)) expect(seq).toBe(acknowledged.get(clientId));
      acknowledged.set(clientId, seq);
    };

    // Several clients send bursts concurrently; the process is killed once a third has been acknowledged.
    const killAt = Math.floor((CLIENTS * PER_CLIENT) / 3);
    let killed = false;
    const client = async (person: Person, index: number) => {
      const ids = Array.from({ length: PER_CLIENT }, (_, i) => `c${index}-${i}`);
      for (let i = 0; i < ids.length; i += BURST) {
        const burst = ids.slice(i, i + BURST);
        if (killed) {
          for (const clientId of burst) failed.push({ person, clientId });
          continue;
        }
        const results = await Promise.allSettled(
          burst.map(async (clientId) => {
            await send(person, clientId);
            if (!killed && acknowledged.size >= killAt) {
              killed = true;
              node.child.kill('SIGKILL');
            }
          }),
        );
        results.forEach((result, j) => {
          if (result.status === 'rejected') failed.push({ person, clientId: burst[j]! });
        });
      }
    };
    await Promise.all(people.map((person, index) => client(person, index)));
    await node.exited;
    expect(node.child.signalCode).toBe('SIGKILL');
    const beforeCrash = new Map(acknowledged);
    expect(beforeCrash.size).toBeGreaterThanOrEqual(killAt);
    // Sends were in flight when the process died: their outcome is unknown to the clients.
    expect(failed.length).toBeGreaterThan(0);
    expect(beforeCrash.size + failed.length).toBe(CLIENTS * PER_CLIENT);

    node = await startNode();
    // Each client resends everything it has no acknowledgement for, with the same client_id.
    await Promise.all(
      people.map(async (person) => {
        for (const { clientId } of failed.filter((f) => f.person === person)) await send(person, clientId);
      }),
    );
    // Resending an acknowledged message stores nothing new and returns the original seq.
    const [someId, someSeq] = [...beforeCrash][0]!;
    const someOwner = people[Number(someId.slice(1, someId.indexOf('-')))]!;
    const again = await api(node, 'POST', `/api/v1/conversations/${conv}/messages`, someOwner.token, { body: 'x', client_id: someId });
    expect(again.status).toBe(200);
    expect(again.body.data.seq).toBe(someSeq);

    // The database: every message once, contiguous seqs, each acknowledged message with its acknowledged seq.
    const stored = await rows<{ seq: number; client_id: string }>(
      db.database.db,
      sql`SELECT seq, client_id FROM messages WHERE conversation_id = ${conv} ORDER BY seq`,
    );
    expect(stored).toHaveLength(CLIENTS * PER_CLIENT);
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(new Set(stored.map((m) => m.client_id)).size).toBe(stored.length);
    const bySeq = new Map(stored.map((m) => [m.client_id, m.seq]));
    for (const [clientId, seq] of acknowledged) expect(bySeq.get(clientId)).toBe(seq);
    // The restarted server serves the same history: the latest page ends at the last seq.
    const latest = await api(node, 'GET', `/api/v1/conversations/${conv}/messages?limit=1`, people[0]!.token);
    expect(latest.status).toBe(200);
    expect(latest.body.meta.page.last_seq).toBe(stored.length);

    node.child.kill('SIGTERM');
    await node.exited;
  });
});

// The embedded database (PGlite) runs the same migrations and the same SQL as PostgreSQL: the hot paths
// (setup, direct conversations, concurrent sends, paging) work on it in-process, and data survives a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';

const dir = mkdtempSync(join(tmpdir(), 'famichat-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open() {
  const database = await openDatabase({ dataDir: dir });
  const { app } = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), database, bus: createLocalBus() });
  const call = async (method: 'GET' | 'POST', url: string, token?: string, body?: object) => {
    const res = await app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body ? { payload: body } : {}),
    });
    return { status: res.statusCode, body: res.json() };
  };
  return { app, database, call };
}

// Two opens of the WebAssembly database (a few seconds each, much more on a loaded machine): more than the default 30 s.
it('serves the whole send path on PGlite and keeps the data after a reopen', async () => {
  let { app, database, call } = await open();
  const setup = await call('POST', '/api/v1/setup', undefined, {
    username: 'nan',
    password: 'long enough',
    display_name: 'Nan',
    family_name: 'Family',
  });
  expect(setup.status).toBe(201);
  const token = setup.body.data.token as string;
  const family = await call('GET', `/api/v1/families/${setup.body.data.family.id}`, token);
  const conv = family.body.data.conversation_id as string;
  const sends = await Promise.all(
    Array.from({ length: 10 }, (_, i) => call('POST', `/api/v1/conversations/${conv}/messages`, token, { body: `m${i}`, client_id: `c${i}` })),
  );
  expect(sends.map((s) => s.body.data.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const retry = await call('POST', `/api/v1/conversations/${conv}/messages`, token, { body: 'm0', client_id: 'c0' });
  expect(retry.status).toBe(200);
  const notes = await call('POST', '/api/v1/conversations', token, { type: 'self' });
  expect(notes.status).toBe(201);
  await app.close();
  await database.close();

  ({ app, database, call } = await open());
  const page = await call('GET', `/api/v1/conversations/${conv}/messages?before=6&limit=3`, token);
  expect(page.body.data.map((m: { seq: number }) => m.seq)).toEqual([3, 4, 5]);
  expect(page.body.meta.page.has_more).toBe(true);
  const list = await call('GET', '/api/v1/conversations', token);
  expect(list.body.data.map((c: { type: string }) => c.type).sort()).toEqual(['family', 'self']);
  // A small buffer pool: PostgreSQL's default 128 MB would be most of the process's memory.
  const pool = await database.db.execute(sql`SHOW shared_buffers`);
  expect((pool as { rows: { shared_buffers: string }[] }).rows[0]!.shared_buffers).toBe('32MB');
  await app.close();
  await database.close();
}, 120_000);

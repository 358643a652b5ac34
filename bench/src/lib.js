// Shared helpers for the benchmark: databases, the server process, RSS, statistics, fixtures.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A ready-made argon2id hash (of "bench-password"): users are bulk-inserted, nobody logs in with it. */
export const PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2hzYWx0$0Jv2m4q3kq8bKk2G0n3m9Q2w1yQ9rP7m4l6Z2uYq8x0';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

/** Creates a fresh PostgreSQL database; returns its URL and a drop function. */
export async function createDatabase() {
  const name = `famichat_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const drop = async () => {
    databases.delete(drop);
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  databases.add(drop);
  return { url, drop };
}

/** Child processes (servers, relays, client workers) to kill if the bench itself is interrupted. */
export const children = new Set();
/** Databases still to drop if the bench is interrupted. */
export const databases = new Set();

/** Kills every child still running (by its own pid) and drops the databases left behind; then exits. */
export function installCleanup() {
  let cleaning = false;
  const cleanup = async (signal) => {
    if (cleaning) return;
    cleaning = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const drop of databases) await drop().catch(() => {});
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', () => void cleanup('SIGINT'));
  process.on('SIGTERM', () => void cleanup('SIGTERM'));
  process.on('exit', () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });
}

/** Registers a child process for {@link installCleanup}. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

let nextPort = 4700 + Math.floor(Math.random() * 200);

/** Extra node flags for the server process, e.g. `BENCH_SERVER_NODE_ARGS=--cpu-prof` to profile it. */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts `node server/dist/main.js` as a child process and waits for /healthz.
 * @param {{databaseUrl?: string, dataDir?: string, env?: Record<string,string>, inspect?: boolean}} opts
 */
export async function startServer(opts = {}) {
  const port = nextPort++;
  let pgliteDir;
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_ENV: 'development',
    FAMICHAT_SEND_BURST: '100000000',
    FAMICHAT_SEND_PER_MINUTE: '100000000',
    FAMICHAT_LOGIN_LIMIT_PER_IP: '100000000',
    FAMICHAT_WS_IDLE_TIMEOUT_SECONDS: '3600',
    ...(opts.env ?? {}),
  };
  delete env.REDIS_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  else {
    delete env.DATABASE_URL;
    pgliteDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'famichat-bench-pglite-'));
    env.FAMICHAT_DATA_DIR = pgliteDir;
  }
  // With `inspect`, the inspector listens on a port of its own: `collectGarbage` uses it to weigh memory.
  const inspectPort = opts.inspect ? nextPort++ : undefined;
  const inspect = inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
  const child = track(spawn(process.execPath, [...serverNodeArgs, ...inspect, join(root, 'server', 'dist', 'main.js')], { env, stdio: ['ignore', 'inherit', 'pipe'] }));
  // The inspector announces itself on stderr; everything else the server says there is passed on.
  child.stderr.on('data', (chunk) => {
    const text = chunk.toString().replace(/^(Debugger listening on|For help, see|Debugger attached|Debugger ending|Waiting for the debugger).*\n/gm, '');
    if (text) process.stderr.write(text);
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} during start`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('server did not become ready in 60 s');
    await sleep(100);
  }
  return {
    port,
    base,
    wsUrl: `ws://127.0.0.1:${port}/socket/websocket`,
    pid: child.pid,
    rss: () => rssOf(child.pid),
    /** Runs a full garbage collection in the server (needs `inspect`), so RSS shows what is kept, not garbage. */
    collectGarbage: () => collectGarbage(inspectPort),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      if (pgliteDir && !opts.dataDir) rmSync(pgliteDir, { recursive: true, force: true });
    },
  };
}

/** Asks a process's inspector for two full garbage collections (the second catches what finalizers freed). */
async function collectGarbage(port) {
  if (!port) throw new Error('collectGarbage needs a server started with { inspect: true }');
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  for (const id of [1, 2]) {
    const done = new Promise((resolve) => ws.on('message', (data) => JSON.parse(data.toString()).id === id && resolve()));
    ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    await done;
  }
  ws.close();
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Percentiles and mean of a list of numbers (milliseconds). */
export function summarize(values) {
  if (values.length === 0) return { n: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  const s = Float64Array.from(values).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50: round(q(0.5)), p95: round(q(0.95)), p99: round(q(0.99)), max: round(s[s.length - 1]), mean: round(mean) };
}

export const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? x : Math.round(x * 10 ** d) / 10 ** d);

/** A bearer token and its stored hash (see server/src/accounts/tokens.ts). */
export function newToken() {
  const token = `fcs_${randomBytes(32).toString('base64url')}`;
  return { token, hash: createHash('sha256').update(token).digest('hex') };
}

async function insertMany(client, table, columns, rows, chunk = 2000) {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const params = [];
    const tuples = part.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(',')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`, params);
  }
}

/**
 * Bulk-inserts `families` families of `size` members each, their family conversations, participants and one
 * session per user, straight into the database (the server must have migrated it already).
 * @returns {Promise<{families: {id: string, conversationId: string, users: {id: string, token: string}[]}[]}>}
 */
export async function seed(databaseUrl, families, size) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const out = [];
    const users = [];
    const fams = [];
    const convs = [];
    const members = [];
    const parts = [];
    const sessions = [];
    const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000);
    for (let f = 0; f < families; f++) {
      const familyId = randomUUID();
      const conversationId = randomUUID();
      fams.push([familyId, `Family ${f}`]);
      convs.push([conversationId, 'family', familyId, `family:${familyId}`]);
      const fu = [];
      for (let m = 0; m < size; m++) {
        const id = randomUUID();
        const { token, hash } = newToken();
        users.push([id, `u${f}_${m}_${randomBytes(3).toString('hex')}`, `User ${f}.${m}`, PASSWORD_HASH]);
        members.push([familyId, id, m === 0 ? 'admin' : 'member']);
        parts.push([conversationId, id]);
        sessions.push([randomUUID(), id, hash, 'bench', expires]);
        fu.push({ id, token });
      }
      out.push({ id: familyId, conversationId, users: fu });
    }
    await client.query('BEGIN');
    await insertMany(client, 'users', ['id', 'username', 'display_name', 'password_hash'], users);
    await insertMany(client, 'families', ['id', 'name'], fams);
    await insertMany(client, 'memberships', ['family_id', 'user_id', 'role'], members);
    await insertMany(client, 'conversations', ['id', 'type', 'family_id', 'unique_key'], convs);
    await insertMany(client, 'participants', ['conversation_id', 'user_id'], parts);
    await insertMany(client, 'sessions', ['id', 'user_id', 'token_hash', 'device_name', 'expires_at'], sessions);
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return { families: out };
  } finally {
    await client.end();
  }
}

/** Bulk-loads `count` messages into one conversation with generate_series, and sets its last_seq; then vacuums. */
export async function bulkMessages(databaseUrl, conversationId, senderId, count) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT last_seq FROM conversations WHERE id = $1', [conversationId]);
    const start = rows[0].last_seq;
    const step = 200_000;
    for (let from = 1; from <= count; from += step) {
      const to = Math.min(count, from + step - 1);
      await client.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, body, inserted_at)
         SELECT gen_random_uuid(), $1, $4::int + g, $2, 'bench message number ' || ($4::int + g), now()
         FROM generate_series($3::int, $5::int) g`,
        [conversationId, senderId, from, start, to],
      );
    }
    await client.query('UPDATE conversations SET last_seq = last_seq + $2, last_message_at = now() WHERE id = $1', [conversationId, count]);
    // A conversation this deep grew over years: autovacuum and checkpoints have long since caught up with it.
    // Without this they run during the measurement, on the same 2 cores.
    await client.query('VACUUM ANALYZE messages');
    await client.query('CHECKPOINT');
    return start + count;
  } finally {
    await client.end();
  }
}

/** Machine and commit description for the report. */
export function machine() {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    /* not Linux */
  }
  return cpu;
}

// The seven benchmark scenarios. Each returns a plain object for the JSON report; `problems` lists errors,
// lost and duplicated messages (the only things that fail a run).
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PgDialect } from 'drizzle-orm/pg-core';
import autocannon from 'autocannon';
import pg from 'pg';
import { Conn } from './client.js';
import { openGroups, runStep, stepUp } from './load.js';
import { bulkMessages, createDatabase, now, root, round, seed, sleep, startServer, summarize, track } from './lib.js';

/** Starts the bare `ws` relay (the ceiling) as its own process. */
async function startRelay() {
  const port = 5600 + Math.floor(Math.random() * 300);
  const child = track(spawn(process.execPath, [join(root, 'bench', 'src', 'relay.js'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const [line] = await once(child.stdout, 'data');
  if (!String(line).includes('ready')) throw new Error('relay did not start');
  return {
    wsUrl: `ws://127.0.0.1:${port}/socket/websocket`,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A server on a fresh PostgreSQL database, seeded with `families` x `size` users; cleaned up by `stop`. */
async function seededServer(families, size, env, inspect = false) {
  const db = await createDatabase();
  const server = await startServer({ databaseUrl: db.url, env, inspect });
  const data = await seed(db.url, families, size);
  return {
    db,
    server,
    data,
    async stop() {
      await server.stop();
      await db.drop();
    },
  };
}

/**
 * Brings a fresh server to the state of one in use: a few seconds of sends, then ANALYZE. On a brand-new
 * database the first generic plan of the send statement is made while `messages` is empty, and it scans
 * the table until the first autoanalyze (up to a minute later) replaces it: harmless at a real instance's
 * start, when the table is small, but it would weigh on the first steps here.
 */
async function warmUp(s, opened, groups, rate) {
  const step = await runStep(opened, groups, rate, 3000);
  const client = new pg.Client({ connectionString: s.db.url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return step;
}

const familyGroups = (data) =>
  data.families.map((f) => ({ topic: `message:family:${f.conversationId}`, users: f.users, conversationId: f.conversationId }));

/** A step is overloaded when its acks queue for over a second: error replies there are findings, not failures. */
export const overloaded = (s) => (s.ack_ms.p99 ?? 0) > 1000;

function check(problems, label, s, findings) {
  if (s.errors > 0) {
    const line = `${label}: ${s.errors} send error replies ${JSON.stringify(s.error_reasons)}`;
    if (overloaded(s) && findings) findings.push(`${line} while overloaded (ack p99 ${s.ack_ms.p99} ms)`);
    else problems.push(line);
  }
  if (s.lost > 0) problems.push(`${label}: ${s.lost} messages not delivered to every member`);
  if (s.duplicates > 0) problems.push(`${label}: ${s.duplicates} duplicated deliveries`);
}

/** Sends/deliveries at a fixed rate then stepping up, on the server and on the bare relay; raw PG ceiling. */
export async function sendDelivery(o, log) {
  const problems = [];
  const findings = [];
  const s = await seededServer(o.families, o.size);
  const groups = familyGroups(s.data);
  let server;
  let relay;
  let rawPg;
  try {
    log(`1. send/delivery: ${o.families * o.size} sockets in ${o.families} conversations of ${o.size}`);
    const opened = await openGroups(s.server.wsUrl, groups);
    check(problems, 'send/delivery warm-up', await warmUp(s, opened, groups, o.fixedRate), findings);
    log(`  fixed rate ${o.fixedRate}/s for ${o.stepMs / 1000} s`);
    const fixed = await runStep(opened, groups, o.fixedRate, o.stepMs);
    check(problems, 'send/delivery fixed rate', fixed, findings);
    log(`  fixed: ack p99 ${fixed.ack_ms.p99} ms, delivered p99 ${fixed.delivered_all_ms.p99} ms, lost ${fixed.lost}`);
    const steps = await stepUp(opened, groups, o.rates, o.stepMs, 2000, log);
    for (const st of steps.steps) check(problems, `send/delivery at ${st.offered_rate}/s`, st, findings);
    await opened.close();
    server = { fixed, ...steps, peak_deliveries_per_s: Math.max(...steps.steps.map((x) => x.deliveries_per_s)), peak_acked_per_s: peakAcked(steps.steps) };

    log('  ceiling: bare ws relay');
    relay = await startRelay();
    const ropened = await openGroups(relay.wsUrl, groups);
    const rfixed = await runStep(ropened, groups, o.fixedRate, o.stepMs);
    const rsteps = await stepUp(ropened, groups, o.relayRates, o.stepMs, 2000, log);
    await ropened.close();
    await relay.stop();
    relay = { fixed: rfixed, ...rsteps, peak_deliveries_per_s: Math.max(...rsteps.steps.map((x) => x.deliveries_per_s)), peak_acked_per_s: peakAcked(rsteps.steps) };

    log('  ceiling: raw PostgreSQL, the send statement from a pool of 10, one message per statement, then batches');
    rawPg = {
      single: await rawPostgres(s.db.url, s.data, o.rawPgMs, o.rawPgConcurrency, 1),
      batched: await rawPostgres(s.db.url, s.data, o.rawPgMs, 10, o.rawPgBatch),
    };
    for (const r of [rawPg.single, rawPg.batched]) log(`  raw PG, ${r.batch} per statement: ${r.messages_per_s} messages/s, p99 ${r.latency_ms.p99} ms`);
  } finally {
    await s.stop();
  }
  return { settings: o, server, relay, raw_pg: rawPg, problems, findings };
}

const peakAcked = (steps) => Math.max(...steps.map((x) => round(x.acked / (x.sent / x.achieved_send_rate), 0)));

/**
 * The ceiling of the database alone: the server's own send statement (server/src/chat/send-batch.ts, rendered
 * by drizzle as the server renders it, prepared as the server prepares it) from a `pg` pool of 10, with
 * `concurrency` statements in flight, each storing `batch` messages of different members.
 */
async function rawPostgres(url, data, ms, concurrency, batch) {
  const { batchStatement } = await import(pathToFileURL(join(root, 'server', 'dist', 'chat', 'send-batch.js')).href);
  const dialect = new PgDialect();
  const poolPg = new pg.Pool({ connectionString: url, max: 10, options: '-c plan_cache_mode=force_generic_plan' });
  // The database is dropped (WITH FORCE) right after: a client the pool still held must not crash the bench.
  poolPg.on('error', () => undefined);
  const lat = [];
  let messages = 0;
  let statements = 0;
  let errors = 0;
  const start = now();
  // Like the server, statements in flight never share a conversation: worker w takes every concurrency-th family.
  const worker = async (w) => {
    const mine = data.families.filter((_, i) => i % concurrency === w);
    let k = 0;
    while (now() - start < ms) {
      const sends = Array.from({ length: batch }, () => {
        const f = mine[k++ % mine.length];
        const u = f.users[k % f.users.length];
        return { id: randomUUID(), conversationId: f.conversationId, senderId: u.id, body: 'raw pg bench', clientId: randomUUID() };
      });
      const query = dialect.sqlToQuery(batchStatement(sends));
      const t0 = now();
      try {
        const res = await poolPg.query({ name: 'send_messages', text: query.sql, values: query.params });
        lat.push(now() - t0);
        messages += res.rowCount;
        statements++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const secs = (now() - start) / 1000;
  await poolPg.end();
  return { concurrency, batch, statements, messages, errors, messages_per_s: round(messages / secs, 0), statements_per_s: round(statements / secs, 0), latency_ms: summarize(lat) };
}

/** One family conversation with many members: deliveries/s and p99, on the server and on the relay. */
export async function fanOut(o, log) {
  const problems = [];
  const findings = [];
  const s = await seededServer(1, o.members);
  const groups = familyGroups(s.data);
  let server;
  let relayResult;
  try {
    log(`2. fan-out: one conversation with ${o.members} members`);
    const opened = await openGroups(s.server.wsUrl, groups);
    check(problems, 'fan-out warm-up', await warmUp(s, opened, groups, o.rates[0]), findings);
    server = await stepUp(opened, groups, o.rates, o.stepMs, 2000, log);
    for (const st of server.steps) check(problems, `fan-out at ${st.offered_rate}/s`, st, findings);
    server.peak_deliveries_per_s = Math.max(...server.steps.map((x) => x.deliveries_per_s));
    await opened.close();
    log('  ceiling: bare ws relay');
    const relay = await startRelay();
    const ropened = await openGroups(relay.wsUrl, groups);
    relayResult = await stepUp(ropened, groups, o.relayRates, o.stepMs, 2000, log);
    relayResult.peak_deliveries_per_s = Math.max(...relayResult.steps.map((x) => x.deliveries_per_s));
    await ropened.close();
    await relay.stop();
  } finally {
    await s.stop();
  }
  return { settings: o, server, relay: relayResult, problems, findings };
}

/** HTTP sends with autocannon at several concurrencies; ceiling: /healthz on the same server. */
export async function httpSend(o, log) {
  const problems = [];
  const s = await seededServer(o.families, o.size);
  const senders = s.data.families.flatMap((f) => f.users.map((u) => ({ token: u.token, conv: f.conversationId })));
  const results = [];
  try {
    log('3. HTTP send with autocannon');
    for (const c of o.concurrencies) {
      let k = 0;
      const send = await autocannon({
        url: s.server.base,
        connections: c,
        duration: o.seconds,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const u = senders[k++ % senders.length];
              return {
                ...req,
                path: `/api/v1/conversations/${u.conv}/messages`,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
                body: JSON.stringify({ body: `http bench ${k}` }),
              };
            },
          },
        ],
      });
      const health = await autocannon({ url: `${s.server.base}/healthz`, connections: c, duration: o.seconds });
      const row = {
        concurrency: c,
        send: ac(send),
        healthz: ac(health),
      };
      row.ratio = round(row.send.requests_per_s / row.healthz.requests_per_s, 3);
      log(`  c=${c}: send ${row.send.requests_per_s}/s p99 ${row.send.p99_ms} ms (non-2xx ${row.send.non2xx}); healthz ${row.healthz.requests_per_s}/s`);
      if (row.send.non2xx > 0 || row.send.errors > 0) problems.push(`HTTP send c=${c}: ${row.send.non2xx} non-2xx, ${row.send.errors} errors`);
      results.push(row);
    }
  } finally {
    await s.stop();
  }
  return { settings: o, results, problems };
}

const ac = (r) => ({
  requests_per_s: round(r.requests.average, 0),
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  total: r.requests.total,
});

/** Idle authenticated sockets: RSS per socket, join time, then a reconnect storm with after_seq. */
export async function connections(o, log) {
  const problems = [];
  const results = [];
  const fdLimit = o.fdLimit;
  for (const wanted of o.counts) {
    const count = Math.min(wanted, fdLimit - 300);
    const families = Math.ceil(count / 5);
    const s = await seededServer(families, 5, undefined, true);
    const users = s.data.families.flatMap((f) => f.users.map((u) => ({ ...u, familyId: f.id, conversationId: f.conversationId }))).slice(0, count);
    const workers = [];
    try {
      log(`4. connections: ${count} idle sockets${count < wanted ? ` (capped from ${wanted}: file-descriptor limit ${fdLimit})` : ''}`);
      await s.server.collectGarbage();
      const rssBefore = s.server.rss();
      const per = Math.ceil(users.length / o.workers);
      for (let w = 0; w < o.workers; w++) {
        const child = track(fork(join(root, 'bench', 'src', 'conn-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
        const call = (msg) => new Promise((resolve) => {
          child.once('message', resolve);
          child.send(msg);
        });
        workers.push({ child, call });
        await call({ cmd: 'init', cfg: { wsUrl: s.server.wsUrl, offset: w, users: users.slice(w * per, (w + 1) * per) } });
      }
      const t0 = now();
      const joined = await Promise.all(workers.map((w) => w.call({ cmd: 'connect' })));
      const joinElapsed = now() - t0;
      await s.server.collectGarbage();
      const rssAfter = s.server.rss();
      const connected = joined.reduce((a, r) => a + (r.connected ?? 0), 0);
      const joinErrors = joined.reduce((a, r) => a + (r.errors ?? 0), 0);
      const joinP99 = Math.max(...joined.map((r) => r.join_ms?.p99 ?? 0));
      log(`  ${connected} joined in ${round(joinElapsed / 1000)} s (errors ${joinErrors}); RSS ${mb(rssBefore)} -> ${mb(rssAfter)} MB, ${round((rssAfter - rssBefore) / Math.max(1, connected) / 1024, 1)} KB/socket`);
      // The storm: everyone drops; one message lands in every conversation meanwhile; everyone returns with after_seq.
      const afterSeq = Object.fromEntries(s.data.families.map((f) => [f.conversationId, 0]));
      await Promise.all(workers.map((w) => w.call({ cmd: 'drop' })));
      const expectLatest = await oneMessageEach(s.server.base, s.data);
      const t1 = now();
      const back = await Promise.all(workers.map((w) => w.call({ cmd: 'reconnect', afterSeq, expectLatest })));
      const stormMs = now() - t1;
      const reconnected = back.reduce((a, r) => a + (r.connected ?? 0), 0);
      const stormErrors = back.reduce((a, r) => a + (r.errors ?? 0), 0);
      const missing = back.reduce((a, r) => a + (r.missing ?? 0), 0);
      log(`  reconnect storm: ${reconnected} back and caught up in ${round(stormMs / 1000)} s, errors ${stormErrors}, missing catch-up ${missing}`);
      const row = {
        wanted,
        sockets: count,
        connected,
        join_errors: joinErrors,
        join_error_reasons: Object.assign({}, ...joined.map((r) => r.reasons)),
        join_all_s: round(joinElapsed / 1000),
        join_ms_p99_worst_worker: round(joinP99),
        rss_before_mb: mb(rssBefore),
        rss_after_mb: mb(rssAfter),
        kb_per_socket: round((rssAfter - rssBefore) / Math.max(1, connected) / 1024, 1),
        storm_reconnected: reconnected,
        storm_all_back_s: round(stormMs / 1000),
        storm_errors: stormErrors,
        storm_error_reasons: Object.assign({}, ...back.map((r) => r.reasons)),
        storm_missing_catch_up: missing,
      };
      if (joinErrors > 0) problems.push(`connections ${count}: ${joinErrors} join errors`);
      if (stormErrors > 0) problems.push(`connections ${count}: ${stormErrors} reconnect errors`);
      if (missing > 0) problems.push(`connections ${count}: ${missing} sockets not caught up after reconnect`);
      results.push(row);
    } finally {
      for (const w of workers) {
        w.child.send({ cmd: 'exit' });
        await once(w.child, 'exit');
      }
      await s.stop();
    }
  }
  return { settings: o, results, problems };
}

/** Sends one message into every conversation over HTTP (20 at a time); returns the expected latest seq. */
async function oneMessageEach(base, data) {
  const out = {};
  let i = 0;
  const work = async () => {
    while (i < data.families.length) {
      const f = data.families[i++];
      const res = await fetch(`${base}/api/v1/conversations/${f.conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${f.users[0].token}` },
        body: JSON.stringify({ body: 'while you were away' }),
      });
      const body = await res.json();
      out[f.conversationId] = body.data.seq;
    }
  };
  await Promise.all(Array.from({ length: 20 }, work));
  return out;
}

const mb = (bytes) => round(bytes / 1024 / 1024, 1);

/**
 * GET over one keep-alive connection with node:http: a lean client, so the figure is the server's
 * (undici's fetch adds about half a millisecond and pauses of its own to every request).
 */
function keepAliveGetter(base, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(base);
  return (path) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: hostname, port, path, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end();
    });
}

/** History pages at depth: latest, middle (`before`), early (`after`); compared with depth 1,000. */
export async function history(o, log) {
  const problems = [];
  const s = await seededServer(2, 2);
  const [deep, shallow] = s.data.families;
  const out = {};
  try {
    log(`5. history: bulk-loading ${o.depth} messages`);
    const t0 = now();
    await bulkMessages(s.db.url, deep.conversationId, deep.users[0].id, o.depth);
    await bulkMessages(s.db.url, shallow.conversationId, shallow.users[0].id, o.shallowDepth);
    out.bulk_load_s = round((now() - t0) / 1000);
    // All six pages (three at each depth) take turns, so a disturbance (a checkpoint, a GC) falls on all alike.
    const pages = [];
    for (const [label, fam, depth] of [
      ['deep', deep, o.depth],
      ['shallow', shallow, o.shallowDepth],
    ]) {
      out[label] = { depth };
      const path = `/api/v1/conversations/${fam.conversationId}/messages`;
      const get = keepAliveGetter(s.server.base, { authorization: `Bearer ${fam.users[1].token}` });
      for (const [name, q] of [
        ['latest', ''],
        ['middle', `?before=${Math.floor(depth / 2)}`],
        ['early', '?after=10'],
      ]) {
        pages.push({ label, name, get, url: path + q, lat: [], server: [] });
      }
    }
    for (let w = 0; w < 300; w++) for (const page of pages) await page.get(page.url);
    for (let i = 0; i < o.requests; i++) {
      for (const page of pages) {
        const t = now();
        const res = await page.get(page.url);
        page.lat.push(now() - t);
        const body = JSON.parse(res.body);
        if (res.status !== 200 || body.data.length !== 50) {
          problems.push(`history ${page.label} ${page.name}: status ${res.status}, ${body.data?.length} messages`);
          break;
        }
        page.server.push(body.meta.duration_ms);
      }
    }
    for (const page of pages) out[page.label][page.name] = { ...summarize(page.lat), server_ms: summarize(page.server) };
    out.ratio_p99 = {};
    for (const name of ['latest', 'middle', 'early']) out.ratio_p99[name] = round(out.deep[name].p99 / out.shallow[name].p99, 2);
    log(`  p99 deep: ${['latest', 'middle', 'early'].map((n) => `${n} ${out.deep[n].p99} ms`).join(', ')}; ratio to depth ${o.shallowDepth}: ${JSON.stringify(out.ratio_p99)}`);
  } finally {
    await s.stop();
  }
  return { settings: o, ...out, problems };
}

/** Server RSS after start and with 100 idle sockets, on PostgreSQL and PGlite; growth under steady load. */
export async function footprint(o, log) {
  const problems = [];
  const out = {};
  log('6. footprint');
  // PostgreSQL
  {
    const s = await seededServer(20, 5);
    try {
      await sleep(1500);
      const start = s.server.rss();
      const groups = familyGroups(s.data);
      const opened = await openGroups(s.server.wsUrl, groups);
      await sleep(2000);
      const idle = s.server.rss();
      out.postgres = { after_start_mb: mb(start), idle_100_sockets_mb: mb(idle) };
      log(`  postgres: ${mb(start)} MB after start, ${mb(idle)} MB idle with 100 sockets`);
      // Steady load: the fixed rate for o.steadyMs, RSS before and after.
      await runStep(opened, groups, o.steadyRate, Math.min(5000, o.steadyMs));
      const before = s.server.rss();
      const st = await runStep(opened, groups, o.steadyRate, o.steadyMs, 10_000);
      await sleep(2000);
      const after = s.server.rss();
      check(problems, 'footprint steady load', st);
      out.steady = {
        rate: o.steadyRate,
        seconds: o.steadyMs / 1000,
        sent: st.sent,
        lost: st.lost,
        delivered_p99_ms: st.delivered_all_ms.p99,
        rss_before_mb: mb(before),
        rss_after_mb: mb(after),
        growth_mb: mb(after - before),
      };
      log(`  steady ${o.steadyRate}/s for ${o.steadyMs / 1000} s: RSS ${mb(before)} -> ${mb(after)} MB`);
      await opened.close();
    } finally {
      await s.stop();
    }
  }
  // PGlite: set up through the API (no SQL access from outside the process); 100 sockets of the admin.
  // The first start creates the database (initdb); a restart on the same data is the everyday case.
  const dataDir = mkdtempSync(join(tmpdir(), 'famichat-bench-pglite-'));
  try {
    const server = await startServer({ dataDir });
    try {
      await sleep(1500);
      const start = server.rss();
      const res = await fetch(`${server.base}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'benchadmin', password: 'bench-password-1', display_name: 'Bench', family_name: 'Bench family' }),
      });
      const body = await res.json();
      if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${JSON.stringify(body)}`);
      const { token, user, family } = body.data;
      const conns = [];
      for (let i = 0; i < 100; i++) {
        const c = new Conn(server.wsUrl, token);
        await c.open();
        await c.join(`user:${user.id}`);
        await c.join(`family:${family.id}`);
        conns.push(c);
      }
      await sleep(2000);
      const idle = server.rss();
      out.pglite = { after_start_mb: mb(start), idle_100_sockets_mb: mb(idle) };
      log(`  pglite: ${mb(start)} MB after start, ${mb(idle)} MB idle with 100 sockets`);
      await Promise.all(conns.map((c) => c.close()));
    } finally {
      await server.stop();
    }
    const again = await startServer({ dataDir });
    try {
      await sleep(1500);
      out.pglite.after_restart_mb = mb(again.rss());
      log(`  pglite: ${out.pglite.after_restart_mb} MB after a restart on the same data`);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { settings: o, ...out, problems };
}

/** POST with JSON over one keep-alive connection with node:http (a lean client, as for history pages). */
function keepAlivePoster(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(base);
  return (path, body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        { host: hostname, port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** Runs autocannon to completion; resolves with its result. */
const cannon = (options) => new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));

/** Logs in over and over with `post` while `flood` runs; resolves with the latencies and the flood's result. */
async function loginWhile(post, account, flood) {
  const latencies = [];
  let failed = 0;
  let running = true;
  const done = flood.finally(() => (running = false));
  while (running) {
    const t = now();
    const res = await post('/api/v1/auth/login', account);
    latencies.push(now() - t);
    if (res.status !== 200) failed++;
  }
  return { latencies, failed, result: await done };
}

/**
 * Login latency alone (the ceiling), then while `clients` connections flood `POST /auth/register` with
 * bogus invite tokens, all from one address. Twice: with the failed-registration limit raised, so every
 * bogus registration reaches the invite check (which must come before any password hashing), and with
 * the real defaults, where the per-address limit answers the flood with 429 after its first failures.
 * A second ceiling: the same flood of `GET /healthz`, the cheapest request there is.
 */
export async function registerFlood(o, log) {
  const problems = [];
  const runs = [];
  log('7. login under a flood of bogus registrations');
  for (const [label, env, withHealthz] of [
    ['limit raised', { FAMICHAT_REGISTER_LIMIT_PER_IP: '100000000' }, true],
    ['defaults', {}, false],
  ]) {
    const db = await createDatabase();
    const server = await startServer({ databaseUrl: db.url, env });
    try {
      // A real account (the seeded users' hash is not of a real password): each login verifies argon2id.
      const account = { username: 'bench_login', password: 'bench-login-password' };
      const setup = await fetch(`${server.base}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...account, display_name: 'Bench', family_name: 'Bench family' }),
      });
      if (setup.status !== 201) throw new Error(`setup answered ${setup.status}`);
      const post = keepAlivePoster(server.base);
      const idle = new Promise((resolve) => setTimeout(resolve, o.baselineMs));
      await loginWhile(post, account, new Promise((resolve) => setTimeout(resolve, 300)));
      const alone = await loginWhile(post, account, idle);
      let k = 0;
      const register = await loginWhile(
        post,
        account,
        cannon({
          url: server.base,
          connections: o.clients,
          duration: o.floodSeconds,
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => {
                k++;
                return {
                  ...req,
                  path: '/api/v1/auth/register',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ invite_token: `fci_bogus_${k}`, username: `flood_${k}`, password: 'flood-password', display_name: 'Flood' }),
                };
              },
            },
          ],
        }),
      );
      const healthz = withHealthz ? await loginWhile(post, account, cannon({ url: `${server.base}/healthz`, connections: o.clients, duration: o.floodSeconds })) : undefined;
      const statuses = Object.fromEntries(Object.entries(register.result.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
      const other = Object.entries(statuses).filter(([code]) => code !== '410' && code !== '429').reduce((n, [, c]) => n + c, 0);
      const run = {
        label,
        register_limit_per_ip: env.FAMICHAT_REGISTER_LIMIT_PER_IP ?? 'default (20)',
        login_alone_ms: summarize(alone.latencies),
        login_under_flood_ms: summarize(register.latencies),
        flood: {
          requests_per_s: round(register.result.requests.average, 0),
          total: register.result.requests.total,
          gone_410: statuses['410'] ?? 0,
          rate_limited_429: statuses['429'] ?? 0,
          other,
          errors: register.result.errors + register.result.timeouts,
        },
        ...(healthz ? { login_under_healthz_flood_ms: summarize(healthz.latencies), healthz_flood_requests_per_s: round(healthz.result.requests.average, 0) } : {}),
      };
      run.ratio_p99 = round(run.login_under_flood_ms.p99 / run.login_alone_ms.p99, 2);
      log(`  ${label}: login p50/p99 alone ${run.login_alone_ms.p50}/${run.login_alone_ms.p99} ms, under flood ${run.login_under_flood_ms.p50}/${run.login_under_flood_ms.p99} ms; flood ${run.flood.requests_per_s}/s: ${run.flood.gone_410} × 410, ${run.flood.rate_limited_429} × 429, ${other} other`);
      if (healthz) log(`  same flood of GET /healthz (${run.healthz_flood_requests_per_s}/s): login p50/p99 ${run.login_under_healthz_flood_ms.p50}/${run.login_under_healthz_flood_ms.p99} ms`);
      const failed = alone.failed + register.failed + (healthz?.failed ?? 0);
      if (failed > 0) problems.push(`register flood (${label}): ${failed} logins failed`);
      if (other > 0 || run.flood.errors > 0) problems.push(`register flood (${label}): ${other} answers other than 410/429, ${run.flood.errors} errors`);
      runs.push(run);
    } finally {
      await server.stop();
      await db.drop();
    }
  }
  return { settings: o, runs, problems };
}

// Open-loop WebSocket send load: sockets joined to conversation topics, `new_msg` pushed at a fixed offered
// rate, each message tracked from send to ack and to delivery on every member's socket.
import { randomBytes } from 'node:crypto';
import { Conn, pool, sourceAddresses } from './client.js';
import { now, sleep, summarize, round } from './lib.js';

/**
 * Opens one socket per member and joins its conversation topic.
 * @param {string} wsUrl
 * @param {{topic: string, users: {token: string}[]}[]} groups
 */
export async function openGroups(wsUrl, groups) {
  const state = { onNew: (_conn, _payload) => {} };
  const items = groups.flatMap((g, gi) => g.users.map((u) => ({ g, gi, u })));
  const conns = await pool(items, 100, async ({ g, gi, u }, k) => {
    const conn = new Conn(wsUrl, u.token, {
      localAddress: sourceAddresses[k % sourceAddresses.length],
      onEvent: (_topic, event, payload) => {
        if (event === 'new_msg') state.onNew(conn, payload);
      },
    });
    conn.group = gi;
    conn.index = k;
    await conn.open();
    await conn.join(g.topic, {});
    return conn;
  });
  const byGroup = groups.map(() => []);
  for (const c of conns) byGroup[c.group].push(c);
  return { conns, byGroup, state, close: () => Promise.all(conns.map((c) => c.close())) };
}

/**
 * Runs one step: `rate` messages per second for `durationMs`, then waits up to `drainMs` for every delivery.
 * @param {Awaited<ReturnType<typeof openGroups>>} opened
 * @param {{topic: string}[]} groups
 */
export async function runStep(opened, groups, rate, durationMs, drainMs = 5000) {
  const { byGroup, state } = opened;
  const prefix = randomBytes(4).toString('hex');
  /** @type {Map<string, {t0: number, expected: number, got: Set<number>, acked: boolean}>} */
  const inflight = new Map();
  const done = new Set();
  const ack = [];
  const delivered = [];
  let deliveries = 0;
  let duplicates = 0;
  let errors = 0;
  let stray = 0;
  const errorReasons = {};
  state.onNew = (conn, payload) => {
    const id = payload?.message?.client_id;
    const m = inflight.get(id);
    if (!m) {
      if (done.has(id)) duplicates++;
      else stray++;
      return;
    }
    if (m.got.has(conn.index)) {
      duplicates++;
      return;
    }
    m.got.add(conn.index);
    deliveries++;
    if (m.got.size === m.expected) {
      delivered.push(now() - m.t0);
      inflight.delete(id);
      done.add(id);
    }
  };
  let sent = 0;
  let rr = 0;
  const start = now();
  while (now() - start < durationMs) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    while (sent < due) {
      const gi = rr++ % groups.length;
      const members = byGroup[gi];
      const sender = members[Math.floor(Math.random() * members.length)];
      const clientId = `${prefix}-${sent++}`;
      const t0 = now();
      inflight.set(clientId, { t0, expected: members.length, got: new Set() });
      void sender
        .push(groups[gi].topic, 'new_msg', { body: `bench ${clientId}`, client_id: clientId }).then(
          (reply) => {
            if (reply.status === 'ok') ack.push(now() - t0);
            else {
              errors++;
              const reason = reply.response?.reason ?? 'unknown';
              errorReasons[reason] = (errorReasons[reason] ?? 0) + 1;
              inflight.delete(clientId);
            }
          },
          () => {
            errors++;
            errorReasons.socket_closed = (errorReasons.socket_closed ?? 0) + 1;
          },
        );
    }
    await sleep(2);
  }
  const elapsed = (now() - start) / 1000;
  // Drain: wait for the backlog while deliveries still progress (an overloaded server is late, not lossy);
  // a message still undelivered after `drainMs` without any progress, or after 60 s, counts as lost.
  let last = deliveries + ack.length;
  let lastProgress = now();
  const drainStart = now();
  while ((inflight.size > 0 || ack.length + errors < sent) && now() - lastProgress < drainMs && now() - drainStart < 60_000) {
    await sleep(10);
    if (deliveries + ack.length !== last) {
      last = deliveries + ack.length;
      lastProgress = now();
    }
  }
  const total = (now() - start) / 1000;
  const lost = inflight.size;
  state.onNew = () => {};
  const d = summarize(delivered);
  return {
    offered_rate: rate,
    sent,
    achieved_send_rate: round(sent / elapsed, 1),
    acked: ack.length,
    errors,
    error_reasons: errorReasons,
    lost,
    duplicates,
    stray,
    deliveries,
    deliveries_per_s: round(deliveries / total, 0),
    ack_ms: summarize(ack),
    delivered_all_ms: d,
  };
}

/**
 * Steps the offered rate up; stops after a step whose p99 delivery exceeds `stopMs` or that loses messages.
 * @returns {Promise<{steps: any[], max_rate_p99_under_50ms: number|null}>}
 */
export async function stepUp(opened, groups, rates, durationMs, stopMs = 2000, log = () => {}) {
  const steps = [];
  let best = null;
  for (const rate of rates) {
    const s = await runStep(opened, groups, rate, durationMs);
    log(`  rate ${rate}/s: sent ${s.sent}, ack p99 ${s.ack_ms.p99} ms, delivered p99 ${s.delivered_all_ms.p99} ms, ${s.deliveries_per_s} deliveries/s, lost ${s.lost}, dup ${s.duplicates}, errors ${s.errors}${s.errors ? ` ${JSON.stringify(s.error_reasons)}` : ''}`);
    steps.push(s);
    const ok = s.lost === 0 && s.errors === 0 && s.delivered_all_ms.p99 !== null && s.delivered_all_ms.p99 < 50 && s.achieved_send_rate >= rate * 0.95;
    if (ok) best = rate;
    if (s.lost > 0 || (s.delivered_all_ms.p99 ?? Infinity) > stopMs || s.achieved_send_rate < rate * 0.8) break;
  }
  return { steps, max_rate_p99_under_50ms: best };
}

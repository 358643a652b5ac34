// A client process for the connection scenario: holds a share of the idle sockets (a process has a limited
// number of file descriptors), joins each to its user, family and family-conversation topics, drops them all
// and brings them back with `after_seq`. Driven over IPC by run.js.
import { Conn, pool, sourceAddresses } from './client.js';
import { now, summarize } from './lib.js';

/** @type {{wsUrl: string, users: {id: string, token: string, familyId: string, conversationId: string}[]}} */
let cfg;
/** @type {Conn[]} */
let conns = [];

async function connectAll(afterSeq) {
  const joinMs = [];
  let errors = 0;
  let missing = 0;
  const reasons = {};
  const start = now();
  conns = (
    await pool(cfg.users, 64, async (u, k) => {
      const t0 = now();
      const conn = new Conn(cfg.wsUrl, u.token, { localAddress: sourceAddresses[(k + cfg.offset) % sourceAddresses.length] });
      try {
        await conn.open();
        await conn.join(`user:${u.id}`);
        await conn.join(`family:${u.familyId}`);
        const topic = `message:family:${u.conversationId}`;
        if (afterSeq) {
          const after = afterSeq[u.conversationId] ?? 0;
          const reply = await conn.join(topic, { after_seq: after });
          const expected = reply.latest_seq - after;
          const got = reply.messages.length;
          if (got !== Math.min(expected, 200) || reply.latest_seq < (cfg.expectLatest?.[u.conversationId] ?? 0)) missing++;
        } else {
          await conn.join(topic);
        }
        joinMs.push(now() - t0);
        return conn;
      } catch (e) {
        errors++;
        const reason = String(e?.message ?? e).slice(0, 60);
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        await conn.close().catch(() => {});
        return null;
      }
    })
  ).filter(Boolean);
  return { connected: conns.length, errors, reasons, missing, elapsed_ms: now() - start, join_ms: summarize(joinMs) };
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'init') {
      cfg = msg.cfg;
      process.send({ ok: true });
    } else if (msg.cmd === 'connect') {
      process.send(await connectAll(null));
    } else if (msg.cmd === 'drop') {
      await Promise.all(conns.map((c) => c.close()));
      conns = [];
      process.send({ ok: true });
    } else if (msg.cmd === 'reconnect') {
      cfg.expectLatest = msg.expectLatest;
      process.send(await connectAll(msg.afterSeq));
    } else if (msg.cmd === 'exit') {
      await Promise.all(conns.map((c) => c.close()));
      process.exit(0);
    }
  } catch (e) {
    process.send({ error: String(e?.stack ?? e) });
  }
});

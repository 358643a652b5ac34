// The ceiling: a bare `ws` server that speaks just enough Phoenix v2 to relay frames, with no database.
// Run as its own process: `node src/relay.js <port>`; prints "ready" when listening.
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 4999);
/** @type {Map<string, Set<import('ws').WebSocket>>} */
const topics = new Map();
const seqs = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/socket/websocket', perMessageDeflate: false });

wss.on('connection', (ws) => {
  const joined = new Set();
  ws.on('message', (data) => {
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return;
    }
    const [joinRef, ref, topic, event, payload] = frame;
    const reply = (response) => ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response }]));
    if (event === 'heartbeat') return reply({});
    if (event === 'phx_join') {
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(ws);
      joined.add(topic);
      return reply({ latest_seq: seqs.get(topic) ?? 0, messages: [], has_more: false });
    }
    if (event === 'new_msg') {
      const seq = (seqs.get(topic) ?? 0) + 1;
      seqs.set(topic, seq);
      const message = { id: randomUUID(), seq, body: payload.body, client_id: payload.client_id ?? null, inserted_at: new Date().toISOString() };
      reply({ message });
      const out = JSON.stringify([null, null, topic, 'new_msg', { message }]);
      for (const peer of topics.get(topic) ?? []) peer.send(out);
    }
  });
  ws.on('close', () => {
    for (const t of joined) topics.get(t)?.delete(ws);
  });
});
wss.on('listening', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));

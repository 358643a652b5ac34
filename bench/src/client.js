// A lean Phoenix Channels v2 (JSON) client over raw `ws`: cheap enough for thousands of sockets.
import WebSocket from 'ws';

const HEARTBEAT_MS = 30_000;

/** One socket: joins topics, pushes events, resolves replies by ref, hands broadcasts to `onEvent`. */
export class Conn {
  /**
   * @param {string} url ws://host:port/socket/websocket
   * @param {string} token bearer token
   * @param {{localAddress?: string, onEvent?: (topic: string, event: string, payload: any) => void}} opts
   */
  constructor(url, token, opts = {}) {
    this.url = `${url}?vsn=2.0.0&token=${encodeURIComponent(token)}`;
    this.opts = opts;
    this.ref = 0;
    /** @type {Map<string, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    this.joinRefs = new Map();
    this.onEvent = opts.onEvent ?? (() => {});
    this.closed = false;
  }

  /** Opens the socket; resolves when open, rejects on an error or refusal. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { localAddress: this.opts.localAddress, perMessageDeflate: false });
      this.ws = ws;
      ws.once('open', () => {
        this.timer = setInterval(() => this.send([null, String(++this.ref), 'phoenix', 'heartbeat', {}]), HEARTBEAT_MS);
        this.timer.unref();
        resolve(this);
      });
      ws.once('error', (e) => reject(e));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.on('message', (data) => this.#frame(data));
      ws.on('close', () => {
        this.closed = true;
        clearInterval(this.timer);
        for (const p of this.pending.values()) p.reject(new Error('socket closed'));
        this.pending.clear();
      });
    });
  }

  #frame(data) {
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return;
    }
    const [, ref, topic, event, payload] = frame;
    if (event === 'phx_reply' && ref !== null) {
      const p = this.pending.get(ref);
      if (p) {
        this.pending.delete(ref);
        p.resolve(payload);
      }
      return;
    }
    this.onEvent(topic, event, payload);
  }

  send(frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** Sends an event and resolves with the reply payload `{status, response}`. */
  request(joinRef, topic, event, payload) {
    const ref = String(++this.ref);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.send([joinRef, ref, topic, event, payload]);
    });
  }

  /** Joins a topic; rejects when the reply is an error. */
  async join(topic, payload = {}) {
    const joinRef = String(++this.ref);
    const reply = await this.request(joinRef, topic, 'phx_join', payload);
    if (reply.status !== 'ok') throw new Error(`join ${topic}: ${JSON.stringify(reply.response)}`);
    this.joinRefs.set(topic, joinRef);
    return reply.response;
  }

  /** Pushes an event on a joined topic; resolves with the reply payload. */
  push(topic, event, payload) {
    return this.request(this.joinRefs.get(topic) ?? null, topic, event, payload);
  }

  /** Closes the socket and waits for it to be closed. */
  close() {
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

/** Opens `items.length` sockets with at most `concurrency` handshakes in flight; returns results in order. */
export async function pool(items, concurrency, fn) {
  const results = new Array(items.length);
  let i = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (i < items.length) {
      const k = i++;
      results[k] = await fn(items[k], k);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Source addresses to spread sockets over, so ephemeral ports do not run short. */
export const sourceAddresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

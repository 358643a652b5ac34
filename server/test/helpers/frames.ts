// A raw `ws` socket speaking the Phoenix wire format by hand (v2 arrays, or v1 objects), for tests where the
// exact frames and their order matter.
import { WebSocket } from 'ws';
import { Queue } from './wait.js';

/** A frame as `[join_ref, ref, topic, event, payload]` (v1 frames are converted to it). */
export type Frame = [string | null, string | null, string, string, any];

/** A raw WebSocket speaking the wire format by hand. */
export interface Raw {
  ws: WebSocket;
  /** Every frame received, in order (v1 objects as arrays; a v1 frame has no join_ref: null). */
  frames: Queue<Frame>;
  /** Every frame exactly as received (a binary one as `<binary ...>`, a non-JSON one as `[null, null, null, "<not json>", text]` in `frames`). */
  texts: string[];
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  /** Waits for the first frame (from index `from` on) matching `pred`, without taking it from `frames`. */
  waitFor(pred: (frame: Frame) => boolean, from?: number, timeoutMs?: number): Promise<Frame>;
  /** Sends a frame: a string as is, an array `[join_ref, ref, topic, event, payload]` in the socket's format. */
  send(frame: unknown): void;
  /** A fresh ref. */
  ref(): string;
  /** Sends a frame with a fresh ref and resolves with the phx_reply to it. */
  call(joinRef: string | null, topic: string, event: string, payload?: unknown): Promise<Frame>;
  /** Joins `topic`; resolves with the join_ref and the reply payload. */
  join(topic: string, payload?: object): Promise<{ joinRef: string; status: string; response: any }>;
  /** A heartbeat round trip: every frame the server sent before it has arrived when this resolves. */
  flush(): Promise<void>;
}

const opened = new Set<WebSocket>();
let refCounter = 0;

/** The socket URL under `base` (`.../socket`); `vsn` null leaves the parameter out. */
export function socketUrl(base: string, token?: string, vsn: string | null = '2.0.0'): string {
  const query = [vsn !== null ? `vsn=${encodeURIComponent(vsn)}` : '', token !== undefined ? `token=${encodeURIComponent(token)}` : ''];
  return `${base}/websocket?${query.filter(Boolean).join('&')}`;
}

/** Opens a raw socket (v2 unless `vsn` says otherwise; `null`: no vsn at all, which means v1). */
export async function raw(base: string, token: string, vsn: string | null = '2.0.0'): Promise<Raw> {
  const v1 = vsn !== '2.0.0';
  const ws = new WebSocket(socketUrl(base, token, vsn));
  opened.add(ws);
  const frames = new Queue<Frame>();
  const texts: string[] = [];
  let isClosed = false;
  ws.on('message', (data, isBinary) => {
    const text = (data as Buffer).toString();
    texts.push(isBinary ? `<binary ${text}>` : text);
    let parsed: Frame | { join_ref?: string | null; ref: string | null; topic: string; event: string; payload: any };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = [null, null, null as unknown as string, '<not json>', text];
    }
    frames.push(Array.isArray(parsed) ? parsed : [parsed.join_ref ?? null, parsed.ref, parsed.topic, parsed.event, parsed.payload]);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      isClosed = true;
      opened.delete(ws);
      resolve({ code, reason: reason.toString() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const ref = () => String(++refCounter);
  const encode = (frame: unknown): string => {
    if (typeof frame === 'string') return frame;
    if (v1 && Array.isArray(frame)) {
      const [join_ref, r, topic, event, payload] = frame as unknown[];
      return JSON.stringify({ topic, event, payload, ref: r, join_ref });
    }
    return JSON.stringify(frame);
  };
  const client: Raw = {
    ws,
    frames,
    texts,
    closed,
    isClosed: () => isClosed,
    waitFor: (pred, from, timeoutMs) => frames.find(pred, from, timeoutMs),
    send: (frame) => ws.send(encode(frame)),
    ref,
    async call(joinRef, topic, event, payload = {}) {
      const r = ref();
      client.send([joinRef, r, topic, event, payload]);
      return frames.next((f) => f[1] === r && f[3] === 'phx_reply');
    },
    async join(topic, payload = {}) {
      const joinRef = ref();
      const reply = await client.call(joinRef, topic, 'phx_join', payload);
      return { joinRef, status: reply[4].status, response: reply[4].response };
    },
    async flush() {
      const reply = await client.call(null, 'phoenix', 'heartbeat');
      if (reply[4].status !== 'ok') throw new Error(`heartbeat refused: ${JSON.stringify(reply)}`);
    },
  };
  return client;
}

/** Closes every raw socket still open (call it after each test). */
export function closeRawSockets(): void {
  for (const ws of opened) ws.close();
  opened.clear();
}

/** The HTTP status and body with which an upgrade to `url` is refused ('open' if it is not). */
export function upgradeOutcome(url: string): Promise<{ status: number | 'open'; body: string }> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve({ status: 'open', body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', reject);
  });
}

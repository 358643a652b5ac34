// The official `phoenix` client under Node (ws transport), with promise helpers and event queues.
import type { Channel, Socket as SocketType } from 'phoenix';
import { Socket } from 'phoenix';
import { WebSocket } from 'ws';
import { afterEach } from 'vitest';
import { Queue } from './wait.js';

/** A connected phoenix Socket. */
export async function connect(url: string, token: string, options: Record<string, unknown> = {}): Promise<SocketType> {
  const socket = new Socket(url, { transport: WebSocket, params: { token }, reconnectAfterMs: () => 50, ...options });
  await new Promise<void>((resolve, reject) => {
    const ok = socket.onOpen(() => {
      socket.off([ok, bad]);
      resolve();
    });
    const bad = socket.onError((error: unknown) => {
      socket.off([ok, bad]);
      socket.disconnect();
      reject(new Error(`socket error: ${String(error)}`));
    });
    socket.connect();
  });
  return socket;
}

/**
 * Joins a channel; resolves with the ok response or rejects with the error response. `events` get a {@link Queue}
 * each (`on(event)`), attached before the join so nothing is missed.
 */
export function joinChannel(
  socket: SocketType,
  topic: string,
  params: object = {},
  events: string[] = [],
): Promise<{ channel: Channel; response: any; on(event: string): Queue<any> }> {
  const channel = socket.channel(topic, params);
  const queues = new Map(events.map((event) => [event, collect(channel, event)]));
  const on = (event: string) => queues.get(event)!;
  return new Promise((resolve, reject) => {
    channel
      .join()
      .receive('ok', (response: unknown) => resolve({ channel, response, on }))
      .receive('error', (response: unknown) => {
        channel.leave();
        reject(Object.assign(new Error(`join refused: ${JSON.stringify(response)}`), { response }));
      })
      .receive('timeout', () => reject(new Error('join timeout')));
  });
}

/** Pushes an event; resolves with {status, response}. */
export function push(channel: Channel, event: string, payload: object = {}): Promise<{ status: string; response: any }> {
  return new Promise((resolve) => {
    channel
      .push(event, payload)
      .receive('ok', (response: unknown) => resolve({ status: 'ok', response }))
      .receive('error', (response: unknown) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout', response: null }));
  });
}

/** Collects a channel's events of one name into a {@link Queue}: `next()` takes the next one, `received` is what is not taken. */
export function collect(channel: Channel, event: string): Queue<any> {
  const queue = new Queue<any>();
  channel.on(event, (payload: unknown) => queue.push(payload));
  return queue;
}

/**
 * A socket of `token`'s joined to the message topic `topic`, its `new_msg` queue, and whether the socket has
 * closed since (what the fault tests watch while they cut something).
 */
export async function watchMessages(url: string, token: string, topic: string) {
  const socket = await connect(url, token);
  let closed = false;
  socket.onClose(() => {
    closed = true;
  });
  const { channel } = await joinChannel(socket, topic);
  return { socket, channel, inbox: collect(channel, 'new_msg'), closed: () => closed };
}

/** Opens sockets for one test file (`open(token)`); every socket it opened is disconnected after each test. */
export function socketPool(url: string): (token: string) => Promise<SocketType> {
  const opened: SocketType[] = [];
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.disconnect();
  });
  return async (token) => {
    const socket = await connect(url, token);
    opened.push(socket);
    return socket;
  };
}

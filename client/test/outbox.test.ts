import { describe, expect, it } from 'vitest';
import type { Message, OutboxEntry, SendResult } from '../src/index.js';
import { Outbox } from '../src/index.js';

/** A fake server: stores each client_id once (like the real one) and can be taken offline. */
function fakeServer() {
  const stored = new Map<string, Message>();
  const calls: string[] = [];
  let online = true;
  let nextFailure: SendResult | undefined;
  const send = async (entry: OutboxEntry): Promise<SendResult> => {
    calls.push(entry.clientId);
    await Promise.resolve();
    if (!online) return { ok: false, retryable: true, reason: 'offline' };
    if (nextFailure) {
      const failure = nextFailure;
      nextFailure = undefined;
      return failure;
    }
    let message = stored.get(entry.clientId);
    if (!message) {
      message = {
        id: `m${stored.size + 1}`, conversation_id: entry.conversationId, seq: stored.size + 1, sender_id: 'me', body: entry.body,
        client_id: entry.clientId, inserted_at: new Date().toISOString(), edited_at: null, deleted_at: null, attachments: [],
      };
      stored.set(entry.clientId, message);
    }
    return { ok: true, message };
  };
  return {
    send, stored, calls,
    setOnline: (value: boolean) => (online = value),
    failNext: (result: SendResult) => (nextFailure = result),
  };
}

let counter = 0;
const newId = () => `cid-${++counter}`;

describe('Outbox', () => {
  it('sends at once when online and removes the entry when confirmed', async () => {
    const server = fakeServer();
    const sent: Message[] = [];
    const outbox = new Outbox({ send: server.send, newId, onSent: (_e, m) => sent.push(m) });
    outbox.enqueue('c1', 'hello');
    await outbox.flush();
    expect(sent.map((m) => m.body)).toEqual(['hello']);
    expect(outbox.list()).toEqual([]);
  });

  it('keeps messages typed offline as "sending" and delivers each exactly once, in order, after reconnect', async () => {
    const server = fakeServer();
    server.setOnline(false);
    const outbox = new Outbox({ send: server.send, newId });
    const a = outbox.enqueue('c1', 'first');
    outbox.enqueue('c1', 'second');
    await outbox.flush();
    await outbox.flush(); // a reconnect attempt that fails again
    expect(outbox.list('c1').map((e) => [e.body, e.state])).toEqual([['first', 'sending'], ['second', 'sending']]);
    expect(server.stored.size).toBe(0);
    // The queue waits behind the first message: the second was never tried while the first failed.
    expect(new Set(server.calls)).toEqual(new Set([a.clientId]));

    server.setOnline(true);
    await Promise.all([outbox.flush('c1'), outbox.flush('c1'), outbox.flush()]); // reconnect + rejoin both flush
    expect([...server.stored.values()].map((m) => m.body)).toEqual(['first', 'second']);
    expect(outbox.list()).toEqual([]);
  });

  it('resends a timed-out message with the same client_id, so a reply lost after storing does not duplicate it', async () => {
    const server = fakeServer();
    const outbox = new Outbox({ send: server.send, newId });
    // The server stores the message but the reply is lost (timeout): simulate by storing first.
    const originalSend = server.send;
    let first = true;
    const lossy = new Outbox({
      newId,
      send: async (entry) => {
        const result = await originalSend(entry);
        if (first) {
          first = false;
          return { ok: false, retryable: true, reason: 'timeout' };
        }
        return result;
      },
    });
    const entry = lossy.enqueue('c1', 'once');
    await lossy.idle();
    expect(lossy.list()).toHaveLength(1);
    await lossy.flush();
    expect(lossy.list()).toHaveLength(0);
    expect(server.calls.filter((c) => c === entry.clientId)).toHaveLength(2);
    expect(server.stored.size).toBe(1);
    expect(outbox.list()).toEqual([]);
  });

  it('marks a message failed on a permanent error, and retry sends it with its original client_id', async () => {
    const server = fakeServer();
    const outbox = new Outbox({ send: server.send, newId });
    server.failNext({ ok: false, retryable: false, reason: 'validation_failed' });
    const entry = outbox.enqueue('c1', 'x');
    await outbox.idle();
    expect(outbox.list()[0]).toMatchObject({ state: 'failed', error: 'validation_failed' });
    await outbox.flush(); // a flush does not resend failed entries
    expect(server.stored.size).toBe(0);
    outbox.retry(entry.clientId);
    await outbox.flush();
    expect(outbox.list()).toEqual([]);
    expect(server.stored.get(entry.clientId)?.body).toBe('x');
  });

  it('waits retry_in_ms after a rate limit, then sends', async () => {
    const server = fakeServer();
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const outbox = new Outbox({ send: server.send, newId, setTimer: (fn, ms) => timers.push({ fn, ms }) });
    server.failNext({ ok: false, retryable: true, reason: 'rate_limited', retryInMs: 1500 });
    outbox.enqueue('c1', 'slow down');
    await outbox.idle();
    expect(outbox.list()).toHaveLength(1);
    expect(timers.map((t) => t.ms)).toEqual([1500]);
    timers[0]!.fn();
    await outbox.flush();
    expect(outbox.list()).toEqual([]);
  });

  it('survives a reload through its storage, and discard drops an entry', async () => {
    const data = new Map<string, string>();
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
    const server = fakeServer();
    server.setOnline(false);
    const before = new Outbox({ send: server.send, newId, storage, storageKey: 'outbox:me' });
    const kept = before.enqueue('c1', 'kept');
    const dropped = before.enqueue('c2', 'dropped');
    await before.flush();
    server.setOnline(true);
    const after = new Outbox({ send: server.send, newId, storage, storageKey: 'outbox:me' });
    expect(after.list().map((e) => e.clientId)).toEqual([kept.clientId, dropped.clientId]);
    after.discard(dropped.clientId);
    await after.flush();
    expect([...server.stored.keys()]).toEqual([kept.clientId]);
    expect(data.has('outbox:me')).toBe(false);
    data.set('outbox:me', '{not json');
    expect(new Outbox({ send: server.send, storage, storageKey: 'outbox:me' }).list()).toEqual([]);
  });
});

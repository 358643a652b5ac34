// The Redis bus against a real Redis: delivery between bus instances (nodes), one Redis subscription per
// topic per node, unsubscribe, ping, and failures that are reported instead of thrown.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.js';
import { startProcess, stopProcesses } from './helpers/process.js';
import { Queue, until } from './helpers/wait.js';
import type { Bus, BusEvent } from '../src/bus/bus.js';
import { createRedisBus, throttledPublishErrors } from '../src/bus/redis.js';
import { REDIS_URL, connectRedis, runPrefix } from './helpers/redis.js';

/** A prefix of this run's own, so parallel runs and other test files never see each other's events. */
const prefix = runPrefix('test');

let admin: Redis;
const buses: Bus[] = [];

beforeAll(async () => {
  admin = await connectRedis('the Redis bus tests');
});
afterAll(async () => {
  for (const bus of buses) await bus.close();
  admin?.disconnect();
});

/** A bus (a "node") on this run's prefix; closed after all tests. */
async function node(options: { onError?: (error: unknown) => void; url?: string; prefix?: string } = {}): Promise<Bus> {
  const bus = await createRedisBus(options.url ?? REDIS_URL, { prefix: options.prefix ?? prefix, ...(options.onError ? { onError: options.onError } : {}) });
  buses.push(bus);
  return bus;
}

/** Waits until Redis reports `count` subscribers of `topic` (subscribing is asynchronous). */
function subscribers(topic: string, count: number, redis: Redis = admin, channelPrefix = prefix): Promise<void> {
  return until(
    `${count} Redis subscribers of ${topic}`,
    async () => Number(((await redis.pubsub('NUMSUB', channelPrefix + topic)) as [string, number])[1]) === count,
    5000,
    10,
  );
}

/** Records a topic's events; `next()` waits for the next one, `events` are those not taken yet. */
function recorder() {
  const queue = new Queue<BusEvent>(3000);
  return {
    handler: (event: BusEvent) => queue.push(event),
    get events() {
      return queue.received;
    },
    next: (timeoutMs?: number) => queue.next(timeoutMs),
  };
}

describe('Redis bus', () => {
  it('carries an event from one node to another, and to the publishing node itself', async () => {
    const a = await node();
    const b = await node();
    const onA = recorder();
    const onB = recorder();
    a.subscribe('room:1', onA.handler);
    b.subscribe('room:1', onB.handler);
    await subscribers('room:1', 2);
    const before = Date.now();
    await a.publish({ topic: 'room:1', event: 'new_msg', payload: { body: 'héllo 👋', n: 1, nested: { ok: true } }, origin: 'socket-1' });
    for (const received of [await onB.next(), await onA.next()]) {
      expect(received).toEqual({
        topic: 'room:1',
        event: 'new_msg',
        payload: { body: 'héllo 👋', n: 1, nested: { ok: true } },
        origin: 'socket-1',
        at: expect.any(Number),
      });
      expect(received.at).toBeGreaterThanOrEqual(before);
    }
  });

  it('delivers events of one topic in the order they were published', async () => {
    const a = await node();
    const b = await node();
    const onB = recorder();
    b.subscribe('ordered', onB.handler);
    await subscribers('ordered', 1);
    for (let i = 0; i < 50; i++) void a.publish({ topic: 'ordered', event: 'n', payload: { i } });
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) seen.push((await onB.next()).payload.i as number);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('shares one Redis subscription between the handlers of a topic, and unsubscribes with the last one', async () => {
    const a = await node();
    const b = await node();
    const first = recorder();
    const second = recorder();
    const sentinel = recorder();
    b.subscribe('sentinel', sentinel.handler);
    const stopFirst = b.subscribe('shared', first.handler);
    const stopSecond = b.subscribe('shared', second.handler);
    await subscribers('shared', 1);
    await subscribers('sentinel', 1);

    await a.publish({ topic: 'shared', event: 'one', payload: {} });
    expect((await first.next()).event).toBe('one');
    expect((await second.next()).event).toBe('one');

    stopFirst();
    stopFirst(); // calling it twice changes nothing
    await a.publish({ topic: 'shared', event: 'two', payload: {} });
    expect((await second.next()).event).toBe('two');
    await subscribers('shared', 1);

    stopSecond();
    await subscribers('shared', 0);
    await a.publish({ topic: 'shared', event: 'three', payload: {} });
    // Redis delivers to one connection in publish order: once the sentinel arrives, "three" would have too.
    await a.publish({ topic: 'sentinel', event: 'after', payload: {} });
    expect((await sentinel.next()).event).toBe('after');
    expect(first.events).toEqual([]);
    expect(second.events).toEqual([]);

    // Subscribing again after the last unsubscribe works.
    const third = recorder();
    b.subscribe('shared', third.handler);
    await subscribers('shared', 1);
    await a.publish({ topic: 'shared', event: 'four', payload: {} });
    expect((await third.next()).event).toBe('four');
  });

  it('keeps deployments with different prefixes apart, and ignores a malformed message', async () => {
    const a = await node();
    const otherPrefix = `${prefix}other:`;
    const other = await node({ prefix: otherPrefix });
    const mine = recorder();
    const theirs = recorder();
    a.subscribe('room:2', mine.handler);
    other.subscribe('room:2', theirs.handler);
    await subscribers('room:2', 1);
    await subscribers('room:2', 1, admin, otherPrefix);
    await admin.publish(`${prefix}room:2`, 'this is not JSON');
    await other.publish({ topic: 'room:2', event: 'for-other', payload: {} });
    await a.publish({ topic: 'room:2', event: 'for-mine', payload: {} });
    expect((await mine.next()).event).toBe('for-mine');
    expect((await theirs.next()).event).toBe('for-other');
    expect(mine.events).toEqual([]);
    expect(theirs.events).toEqual([]);
  });

  it('answers ping while connected, and after close reports failed publishes to onError without throwing', async () => {
    const errors: unknown[] = [];
    const bus = await createRedisBus(REDIS_URL, { prefix, onError: (error) => errors.push(error) });
    await expect(bus.ping()).resolves.toBeUndefined();
    await bus.close();
    await expect(bus.publish({ topic: 'room:3', event: 'late', payload: {} })).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    await expect(bus.ping()).rejects.toThrow();
  });

  it('reports failed publishes through a throttle: the first at once, then one report per interval with the count', async () => {
    let now = 0;
    const reports: { failed: number; err: unknown }[] = [];
    const onError = throttledPublishErrors((details, message) => {
      expect(message).toMatch(/publishing to Redis failed/);
      reports.push(details);
    }, 10_000, () => now);
    const bus = await createRedisBus(REDIS_URL, { prefix, onError });
    await bus.close();
    for (let i = 0; i < 5; i++) await bus.publish({ topic: 'room:4', event: 'lost', payload: { i } });
    expect(reports.map((r) => r.failed)).toEqual([1]);
    expect(reports[0]!.err).toBeInstanceOf(Error);
    now += 9_999;
    await bus.publish({ topic: 'room:4', event: 'lost', payload: {} });
    expect(reports).toHaveLength(1);
    now += 1;
    await bus.publish({ topic: 'room:4', event: 'lost', payload: {} });
    expect(reports.map((r) => r.failed)).toEqual([1, 6]);
  });

  it('refuses to start when Redis cannot be reached, naming where it looked', async () => {
    const port = await freePort();
    await expect(createRedisBus(`redis://127.0.0.1:${port}`, { prefix })).rejects.toThrow(`Redis is not reachable at 127.0.0.1:${port}`);
  });

  describe('when Redis goes away and comes back', () => {
    let server: ChildProcess | undefined;
    afterAll(() => stopProcesses());

    /** Starts a throwaway redis-server on `port` and waits until it answers. */
    async function startRedis(port: number): Promise<ChildProcess> {
      const redis = await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        ready: 'Ready to accept connections',
        hint: 'install it with apt-get install -y redis-server',
      });
      return redis.child;
    }

    it('fails publishes fast into onError and ping, then delivers again once Redis is back', async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      server = await startRedis(port);
      const errors: unknown[] = [];
      const a = await node({ url, onError: (error) => errors.push(error) });
      const b = await node({ url });
      const onB = recorder();
      b.subscribe('room:4', onB.handler);
      const probe = new Redis(url, { maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      await subscribers('room:4', 1, probe);
      probe.disconnect();
      await a.publish({ topic: 'room:4', event: 'before', payload: {} });
      expect((await onB.next()).event).toBe('before');

      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
      const started = Date.now();
      await expect(a.publish({ topic: 'room:4', event: 'lost', payload: {} })).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      await expect(a.ping()).rejects.toThrow();

      // Same port, new server: both connections reconnect and the subscription is restored.
      server = await startRedis(port);
      const back = new Redis(url, { maxRetriesPerRequest: 0 });
      back.on('error', () => undefined);
      try {
        await subscribers('room:4', 1, back);
      } finally {
        back.disconnect();
      }
      await until('the bus to answer ping again', () => a.ping().then(() => true, () => false), 5000);
      await a.publish({ topic: 'room:4', event: 'after', payload: {} });
      expect((await onB.next()).event).toBe('after');
      expect(onB.events).toEqual([]);
    });
  });
});

describe('ready', () => {
  it('resolves once the subscription is active, so an event published right after it is delivered', async () => {
    const a = await node();
    const b = await node();
    const got: BusEvent[] = [];
    const topic = `ready-${randomBytes(4).toString('hex')}`;
    const delivered = new Promise<void>((resolve) =>
      b.subscribe(topic, (event) => {
        got.push(event);
        resolve();
      }),
    );
    await b.ready(topic);
    await a.publish({ topic, event: 'e', payload: { n: 1 } });
    await delivered;
    expect(got.map((e) => e.payload)).toEqual([{ n: 1 }]);
    await expect(b.ready('never-subscribed')).resolves.toBeUndefined();
  });
});

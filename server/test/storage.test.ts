// The storage contract, one suite run against both stores: the media directory and S3-compatible object
// storage (a real s3rver over HTTP). Streaming, ranges, failing bodies, concurrency, reclaiming leftovers.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CreateMultipartUploadCommand, ListObjectsV2Command, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createStorage, prepareStorage } from '../src/media/create-storage.js';
import { DirectoryStorage } from '../src/media/dir-storage.js';
import { S3Storage } from '../src/media/s3-storage.js';
import type { Storage } from '../src/media/storage.js';
import { StorageError, storageKey } from '../src/media/storage.js';
import type { TestS3 } from './helpers/s3.js';
import { startS3 } from './helpers/s3.js';

const MIB = 1024 * 1024;

// A full garbage collection on demand (the test process does not run with --expose-gc).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The bytes of a stream. */
async function bytesOf(stream: Readable | null): Promise<Buffer> {
  if (!stream) throw new Error('no object');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The SHA-256 of a stream's bytes, read as they come. */
async function digestOf(stream: Readable | null): Promise<string> {
  if (!stream) throw new Error('no object');
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `total` bytes in `chunk`-sized pieces of a repeating pattern, produced as they are read. */
function generated(total: number, chunk = 64 * 1024): Readable {
  const block = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) block[i] = i % 251;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(chunk, total - sent);
      sent += n;
      this.push(n === chunk ? block : block.subarray(0, n));
    },
  });
}

/** A body that sends `before` bytes and then fails. */
function failingAfter(before: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) {
        this.destroy(new Error('the client went away'));
        return;
      }
      const n = Math.min(256 * 1024, before - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

const newKey = () => storageKey(randomUUID(), 'original');

interface Subject {
  name: 'directory' | 's3';
  storage: Storage;
  /** Whatever a failed or crashed write left behind (partial files, unfinished multipart uploads). */
  leftovers: () => Promise<string[]>;
  /** Leaves a crashed write behind, `ageMs` old. */
  crashedWrite: (ageMs: number) => Promise<void>;
}

let s3: TestS3;
let dir: string;
const subjects: Record<string, Subject> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'famichat-storage-'));
  s3 = await startS3();
  const partials = join(dir, '.partial');
  subjects.directory = {
    name: 'directory',
    storage: new DirectoryStorage(dir),
    leftovers: () => readdir(partials).catch(() => []),
    async crashedWrite(ageMs) {
      await mkdir(partials, { recursive: true });
      const path = join(partials, randomUUID());
      await writeFile(path, randomBytes(1000));
      const at = new Date(Date.now() - ageMs);
      await utimes(path, at, at);
    },
  };
  subjects.s3 = {
    name: 's3',
    storage: s3.storage,
    leftovers: () => s3.pendingUploads(),
    async crashedWrite(ageMs) {
      const Key = s3.storage.objectKey(newKey());
      const { UploadId } = await s3.storage.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key }));
      await s3.storage.client.send(new UploadPartCommand({ Bucket: s3.bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(1000) }));
      const at = new Date(Date.now() - ageMs);
      await utimes(join(s3.uploadDir(UploadId!), 'key'), at, at);
    },
  };
});

afterAll(async () => {
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(['directory', 's3'])('%s storage', (name) => {
  const subject = () => subjects[name]!;

  it('stores, serves, reports and deletes an object', async () => {
    const { storage } = subject();
    expect(storage.kind).toBe(name);
    const key = newKey();
    const bytes = randomBytes(100_000);
    await expect(storage.put(key, Readable.from([bytes]), 'application/octet-stream')).resolves.toEqual({ size: bytes.length });
    expect(await storage.stat(key)).toEqual({ size: bytes.length });
    expect((await bytesOf(await storage.get(key))).equals(bytes)).toBe(true);
    await storage.delete(key);
    expect(await storage.stat(key)).toBeNull();
    expect(await storage.get(key)).toBeNull();
  });

  it('stores an empty object', async () => {
    const { storage } = subject();
    const key = newKey();
    await expect(storage.put(key, Readable.from([]), 'text/plain')).resolves.toEqual({ size: 0 });
    expect(await storage.stat(key)).toEqual({ size: 0 });
    expect((await bytesOf(await storage.get(key))).length).toBe(0);
  });

  it('serves byte ranges: the first byte, the middle, the last byte', async () => {
    const { storage } = subject();
    const key = newKey();
    const bytes = randomBytes(10_000);
    await storage.put(key, Readable.from([bytes]), 'video/mp4');
    expect(await bytesOf(await storage.get(key, { start: 0, end: 0 }))).toEqual(bytes.subarray(0, 1));
    expect(await bytesOf(await storage.get(key, { start: 1000, end: 4999 }))).toEqual(bytes.subarray(1000, 5000));
    expect(await bytesOf(await storage.get(key, { start: 9999, end: 9999 }))).toEqual(bytes.subarray(9999));
    expect(await storage.get(newKey(), { start: 0, end: 10 })).toBeNull();
    // A range past the end is empty, as a file read past its end (the fetch route checks ranges first).
    expect((await bytesOf(await storage.get(key, { start: 20_000, end: 20_010 }))).length).toBe(0);
  });

  it('streams a 100 MB body in parts without holding it in memory', { timeout: 90_000 }, async () => {
    const { storage } = subject();
    const key = newKey();
    const size = 100 * MIB + 12_345;
    // Garbage is collected while sampling, so the figure is what the put holds, not what V8 has yet to free.
    collectGarbage();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      collectGarbage();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      await expect(storage.put(key, generated(size), 'application/octet-stream')).resolves.toEqual({ size });
    } finally {
      clearInterval(sampler);
    }
    // Never the whole object: a directory holds a few 64 KiB chunks, S3 about three 8 MiB parts (one in
    // flight, the next one filling and its copy), whatever the object's size.
    expect(peak - before).toBeLessThan(name === 'directory' ? 16 * MIB : 40 * MIB);
    expect(await storage.stat(key)).toEqual({ size });
    expect(await digestOf(await storage.get(key))).toBe(await digestOf(generated(size)));
    const tail = await bytesOf(await storage.get(key, { start: size - 100, end: size - 1 }));
    expect(tail.equals((await bytesOf(generated(size))).subarray(size - 100))).toBe(true);
    await storage.delete(key);
  });

  it.each([
    ['a small body (one request)', 300_000],
    ['a large body (multipart, two parts sent)', 17 * MIB],
  ])('a body that fails midway (%s): the put rejects with its error, nothing is visible, no partial bytes remain', async (_what, before) => {
    const { storage, leftovers } = subject();
    const key = newKey();
    await expect(storage.put(key, failingAfter(before), 'image/jpeg')).rejects.toThrow('the client went away');
    expect(await storage.stat(key)).toBeNull();
    expect(await storage.get(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it('a body destroyed without an error (a client that disconnected) stores nothing', async () => {
    const { storage, leftovers } = subject();
    const key = newKey();
    const body = generated(20 * MIB);
    let read = 0;
    body.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > 9 * MIB) body.destroy();
    });
    await expect(storage.put(key, body, 'video/mp4')).rejects.toThrow();
    expect(await storage.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it('deleting a missing object is fine; a missing object is null', async () => {
    const { storage } = subject();
    const key = newKey();
    await expect(storage.delete(key)).resolves.toBeUndefined();
    expect(await storage.get(key)).toBeNull();
    expect(await storage.stat(key)).toBeNull();
  });

  it('takes concurrent puts of different keys', async () => {
    const { storage } = subject();
    const items = Array.from({ length: 8 }, (_, i) => ({ key: newKey(), bytes: randomBytes(50_000 + i * 10_000) }));
    await Promise.all(items.map(({ key, bytes }) => storage.put(key, Readable.from([bytes]), 'image/png')));
    for (const { key, bytes } of items) expect((await bytesOf(await storage.get(key))).equals(bytes)).toBe(true);
  });

  it('reclaims leftovers older than the age and keeps fresh ones', async () => {
    const { storage, leftovers, crashedWrite } = subject();
    expect(await leftovers()).toEqual([]);
    await crashedWrite(3 * 3600_000);
    await crashedWrite(2 * 3600_000);
    await crashedWrite(0);
    expect(await leftovers()).toHaveLength(3);
    expect(await storage.reclaim(3600_000)).toBe(2);
    expect(await leftovers()).toHaveLength(1);
    expect(await storage.reclaim(0)).toBe(1);
    expect(await leftovers()).toEqual([]);
    expect(await storage.reclaim(0)).toBe(0);
  });

  it('answers its check', async () => {
    await expect(subject().storage.check()).resolves.toBeUndefined();
  });
});

describe('S3 storage specifics', () => {
  it('keeps its objects under the configured prefix', async () => {
    const key = newKey();
    await s3.storage.put(key, Readable.from([Buffer.from('hello')]), 'text/plain');
    const listed = await s3.storage.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toContain(`media/${key}`);
  });

  it('creates its bucket when it is missing, once', async () => {
    const other = new S3Storage({ ...s3.config(), bucket: `created-${Date.now()}` }, { maxAttempts: 1 });
    try {
      await expect(other.check()).resolves.toBeUndefined();
      await expect(other.check()).resolves.toBeUndefined();
      await other.put('a/b/original', Readable.from([Buffer.from('x')]), 'text/plain');
      expect(await other.stat('a/b/original')).toEqual({ size: 1 });
    } finally {
      other.close();
    }
  });

  it('does not create a missing bucket when told not to: the check fails as unavailable', async () => {
    const other = new S3Storage({ ...s3.config(), bucket: 'never-created' }, { maxAttempts: 1, createBucket: false });
    try {
      await expect(other.check()).rejects.toMatchObject({ name: 'StorageError', reason: 'unavailable' });
      // And a put into it is unavailable too, not a crash.
      await expect(other.put(newKey(), Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toBeInstanceOf(StorageError);
    } finally {
      other.close();
    }
  });

  it('a store without ListMultipartUploads (plain s3rver): reclaim finds nothing to do instead of failing', async () => {
    const plain = await startS3({ extras: false });
    try {
      expect(await plain.storage.reclaim(0)).toBe(0);
      // Its failing bodies still reject with their own error (the abort it cannot do is not the story).
      await expect(plain.storage.put(newKey(), failingAfter(17 * MIB), 'video/mp4')).rejects.toThrow('the client went away');
    } finally {
      await plain.stop();
    }
  });

  it('an unreachable store fails fast as unavailable, for every operation', async () => {
    // A port nothing listens on (s3rver's, once stopped).
    const gone = await startS3();
    const endpoint = gone.endpoint;
    await gone.stop();
    const storage = s3.newStorage(endpoint, { connectionTimeoutMs: 500, maxAttempts: 1 });
    const started = Date.now();
    const unavailable = { name: 'StorageError', reason: 'unavailable', message: 'The media storage is unavailable.' };
    await expect(storage.put(newKey(), Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toMatchObject(unavailable);
    await expect(storage.get(newKey())).rejects.toMatchObject(unavailable);
    await expect(storage.stat(newKey())).rejects.toMatchObject(unavailable);
    await expect(storage.delete(newKey())).rejects.toMatchObject(unavailable);
    await expect(storage.reclaim(0)).rejects.toMatchObject(unavailable);
    await expect(storage.check()).rejects.toMatchObject(unavailable);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('directory storage specifics', () => {
  it('refuses keys that would leave its directory or reach into its partial files', async () => {
    const storage = subjects.directory!.storage;
    await expect(storage.put('../escape', Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow('bad storage key');
    await expect(storage.get('.partial/x')).rejects.toThrow('bad storage key');
  });

  it('a directory that cannot be made or written (a path under a file) is unavailable, not a crash', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const storage = new DirectoryStorage(join(file, 'media'));
    const unavailable = { name: 'StorageError', reason: 'unavailable' };
    await expect(storage.check()).rejects.toMatchObject(unavailable);
    await expect(storage.put(newKey(), Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toMatchObject(unavailable);
    await expect(storage.stat(newKey())).rejects.toMatchObject(unavailable);
    await expect(storage.get(newKey())).rejects.toMatchObject(unavailable);
    expect(await storage.reclaim(0)).toBe(0);
  });
});

describe('createStorage and its upkeep', () => {
  const media = (env: Record<string, string>) => loadConfig({ FAMICHAT_MEDIA_DIR: dir, ...env }).media;

  it('is the directory without S3 settings, S3 with a bucket', () => {
    expect(createStorage(media({})).kind).toBe('directory');
    const storage = createStorage(media({ FAMICHAT_S3_BUCKET: 'family-media', FAMICHAT_S3_ENDPOINT: s3.endpoint }));
    expect(storage.kind).toBe('s3');
    (storage as S3Storage).close();
  });

  it('refuses incomplete S3 settings at start, naming them', () => {
    expect(() => loadConfig({ FAMICHAT_S3_ENDPOINT: 'http://minio:9000' })).toThrow(/FAMICHAT_S3_BUCKET is required/);
    expect(() => loadConfig({ FAMICHAT_S3_BUCKET: 'media', FAMICHAT_S3_ACCESS_KEY_ID: 'famichat' })).toThrow(/set both, or neither/);
    expect(() => loadConfig({ FAMICHAT_S3_BUCKET: 'Bad_Name' })).toThrow(/FAMICHAT_S3_BUCKET must be a bucket name/);
    // A configuration built by hand (not through loadConfig) is checked as well.
    const config = media({});
    expect(() => createStorage({ ...config, s3: { ...s3.config(), secretAccessKey: undefined } })).toThrow(/set both, or neither/);
  });

  it('checks the store at start, creating a missing bucket; logs instead of failing when the store is down', async () => {
    const logged: string[] = [];
    const log = { warn: (_d: object, m: string) => logged.push(m) };
    const fresh = s3.newStorage(undefined, {});
    const other = new S3Storage({ ...s3.config(), bucket: `prepared-${Date.now()}` }, { maxAttempts: 1 });
    try {
      await prepareStorage(other, log);
      await expect(other.put('a/b/original', Readable.from([Buffer.from('x')]), 'text/plain')).resolves.toEqual({ size: 1 });
      await prepareStorage(fresh, log);
      expect(logged).toEqual([]);
      await prepareStorage(s3.newStorage('http://127.0.0.1:9', { connectionTimeoutMs: 300 }), log);
      expect(logged).toEqual(['the media storage does not answer: uploads fail until it does']);
    } finally {
      other.close();
    }
  });
});

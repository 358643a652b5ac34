// Storage faults, with the real parts: an S3 store (s3rver) behind a TCP proxy that the test cuts, a real
// server process killed with SIGKILL in the middle of a 100 MB upload, and a media directory on a 2 MB
// tmpfs that fills up. Uploads fail as 503 `unavailable` (with Retry-After, quickly), nothing half-written is
// ever visible or left behind, the chat keeps working, and everything works again once the fault is gone.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { DirectoryStorage } from '../src/media/dir-storage.js';
import type { TestApp } from './helpers/app.js';
import type { TestDatabase } from './helpers/db.js';
import { createTestDatabase } from './helpers/db.js';
import type { Person } from './helpers/fixtures.js';
import { familyConversation, withInstance } from './helpers/fixtures.js';
import { fetchMedia, filesUnder, jpeg, mediaDir, uploadFile } from './helpers/media.js';
import { freePort } from './helpers/ports.js';
import type { Started } from './helpers/process.js';
import { callServer, setupOver, startServer, stopProcesses } from './helpers/process.js';
import type { TestS3 } from './helpers/s3.js';
import { startS3 } from './helpers/s3.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/** The uploads rows there are. */
async function uploadRows(t: TestApp): Promise<{ id: string; storage_key: string }[]> {
  return rows(t.domain.db, sql`SELECT id, storage_key FROM uploads ORDER BY created_at`);
}

/** A 503 `unavailable` with a Retry-After header, and the message. */
function expectUnavailable(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, message?: string): void {
  expect(res.statusCode).toBe(503);
  expect(res.json().error.code).toBe('unavailable');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  if (message !== undefined) expect(res.json().error.message).toBe(message);
}

/** Sends a text message; returns its status. */
async function sendText(t: TestApp, person: Person, conv: string, body: string): Promise<number> {
  return (await t.as(person.token).post(`/api/v1/conversations/${conv}/messages`, { body })).status;
}

const s3Media = mediaDir();

describe('S3 outage: the store behind a TCP proxy that is cut, then restored', () => {
  let s3: TestS3;
  let proxy: TcpProxy;

  beforeAll(async () => {
    s3 = await startS3();
    proxy = await startTcpProxy('127.0.0.1', s3.port);
  });

  afterAll(async () => {
    await proxy?.close();
    await s3?.stop();
  });

  it('uploads and fetches get 503 unavailable quickly, nothing refers to a missing object, the chat goes on, and all works again without a restart', async () => {
    const env = {
      FAMICHAT_MEDIA_DIR: s3Media,
      FAMICHAT_S3_BUCKET: s3.bucket,
      FAMICHAT_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      FAMICHAT_S3_ACCESS_KEY_ID: 'S3RVER',
      FAMICHAT_S3_SECRET_ACCESS_KEY: 'S3RVER',
    };
    await withInstance(env, async ({ t, admin, familyId }) => {
      expect(t.domain.storage.kind).toBe('s3');
      const conv = await familyConversation(t, admin, familyId);
      const earlierBytes = randomBytes(300_000);
      const earlier = await uploadFile(t, admin.token, earlierBytes, { type: 'application/octet-stream', filename: 'before.bin' });
      expect(earlier.statusCode).toBe(201);
      const photo = await uploadFile(t, admin.token, await jpeg({ width: 800, height: 600 }), { type: 'image/jpeg' });
      expect(photo.statusCode).toBe(201);
      const ready = await t.as().get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.data.checks).toEqual({ database: 'ok', bus: 'ok', storage: 'ok' });
      const objectsBefore = (await s3.storage.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).KeyCount;
      const rowsBefore = await uploadRows(t);

      proxy.cut();
      const started = Date.now();
      const failed = await uploadFile(t, admin.token, randomBytes(200_000), { type: 'application/octet-stream', filename: 'during.bin' });
      expectUnavailable(failed, 'The media storage is unavailable; try again shortly.');
      const failedPhoto = await uploadFile(t, admin.token, await jpeg({ width: 400, height: 300 }), { type: 'image/jpeg' });
      expectUnavailable(failedPhoto);
      // A multipart-sized body fails as fast: the store's connections are refused, nothing waits for a timeout.
      expectUnavailable(await uploadFile(t, admin.token, randomBytes(9 * 1024 * 1024), { type: 'video/mp4' }));
      expect(Date.now() - started).toBeLessThan(10_000);
      // The failed uploads left no row (so no message can carry them) and no object.
      expect(await uploadRows(t)).toEqual(rowsBefore);
      expect(failed.json().data).toBeUndefined();
      // Stored media cannot be served meanwhile: 503 too, never a hang or a 500.
      expectUnavailable(await fetchMedia(t, earlier.json().data.url));
      const notReady = await t.as().get('/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body.error.details.checks).toEqual({ database: 'ok', bus: 'ok', storage: 'unavailable' });
      // Text messages keep working.
      expect(await sendText(t, admin, conv, 'the photos can wait')).toBe(201);

      proxy.restore();
      expect((await t.as().get('/readyz')).status).toBe(200);
      const after = await uploadFile(t, admin.token, randomBytes(100_000), { type: 'application/octet-stream', filename: 'after.bin' });
      expect(after.statusCode).toBe(201);
      const again = await fetchMedia(t, earlier.json().data.url);
      expect(again.statusCode).toBe(200);
      expect(again.rawPayload.equals(earlierBytes)).toBe(true);
      expect((await fetchMedia(t, photo.json().data.thumbnail_url)).statusCode).toBe(200);
      expect((await fetchMedia(t, after.json().data.url)).statusCode).toBe(200);
      // Every row has its object, and only the rows' objects exist (the failed ones left nothing behind).
      const objectsAfter = (await s3.storage.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).KeyCount!;
      expect(objectsAfter).toBe(objectsBefore! + 1);
      for (const row of await uploadRows(t)) expect(await s3.storage.stat(row.storage_key)).not.toBeNull();
      expect(await s3.pendingUploads()).toEqual([]);
    });
  });
});

describe('SIGKILL during a 100 MB upload', () => {
  let db: TestDatabase;
  let dataDir: string;
  let media: string;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.url) throw new Error('the crash test needs PostgreSQL (a killed process cannot share an embedded PGlite database)');
    dataDir = mkdtempSync(join(tmpdir(), 'famichat-crash-media-'));
    media = join(dataDir, 'media');
    port = await freePort();
  });

  afterAll(async () => {
    await stopProcesses();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (): Promise<Started> =>
    startServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url!,
      REDIS_URL: '',
      LOG_LEVEL: 'info',
      FAMICHAT_DATA_DIR: dataDir,
      FAMICHAT_MEDIA_DIR: media,
      FAMICHAT_LOGIN_LIMIT_PER_IP: '100000',
    });

  it('leaves no upload row and no visible object; the partial file is reclaimed', { timeout: 120_000 }, async () => {
    let server = await start();
    const base = `http://127.0.0.1:${port}`;
    const { admin } = await setupOver(base, 'Crash media');
    const partials = join(media, '.partial');
    const total = 100_000_000;
    const chunk = randomBytes(256 * 1024);
    // Stream the body slowly, and kill the server once a good part of it is on disk.
    const upload = request(`${base}/api/v1/uploads?filename=holiday.mp4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/octet-stream', 'content-length': String(total) },
    });
    const answered = new Promise<string>((resolve) => {
      upload.on('response', (res) => resolve(`answered ${res.statusCode}`));
      upload.on('error', (error) => resolve(`cut: ${error.message}`));
    });
    let sent = 0;
    const partialBytes = () => filesUnder(partials).reduce((sum, name) => sum + statSync(join(partials, name)).size, 0);
    while (partialBytes() < 30_000_000) {
      if (!upload.write(chunk)) await new Promise((resolve) => upload.once('drain', resolve));
      sent += chunk.length;
      if (sent >= total) throw new Error('the whole body was sent before the partial file grew');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    server.child.kill('SIGKILL');
    await server.exited;
    expect(await answered).toMatch(/^cut: /);
    upload.destroy();
    const leftovers = filesUnder(partials);
    expect(leftovers).toHaveLength(1);
    // What a crash long ago left: the start-up reclaim removes partial files untouched for over an hour.
    mkdirSync(partials, { recursive: true });
    writeFileSync(join(partials, 'stale'), randomBytes(1000));
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(partials, 'stale'), longAgo, longAgo);

    server = await start();
    // The media sweep runs at start: the stale partial file goes, the fresh one stays.
    await server.waitForLog((line) => line.msg === 'media swept' && Number(line.leftovers) >= 1, 'the start-up sweep');
    // No row, and nothing but the fresh partial file (another node of a shared directory could still be writing one).
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM uploads')).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
    expect(filesUnder(media)).toEqual(leftovers.map((name) => `.partial/${name}`));
    // A random id is not served either (nothing to see: 404, as for any unknown upload).
    expect((await callServer(base, 'GET', `/api/v1/media/${randomUUID()}/original?v=${admin.id}&e=9999999999&s=x`)).status).toBe(404);
    // Reclaiming everything now (age 0) frees the space.
    expect(await new DirectoryStorage(media).reclaim(0)).toBe(1);
    expect(filesUnder(media)).toEqual([]);
    // And the restarted server takes uploads.
    const res = await fetch(`${base}/api/v1/uploads?filename=small.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/octet-stream' },
      body: randomBytes(10_000),
    });
    expect(res.status).toBe(201);
  });
});

describe('disk full: the media directory on a 2 MB tmpfs', () => {
  let mount: string;

  beforeAll(() => {
    mount = mkdtempSync(join(tmpdir(), 'famichat-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(
        `the disk-full test mounts a 2 MB tmpfs and needs root (or CAP_SYS_ADMIN): mount -t tmpfs -o size=2m tmpfs ${mount} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
        { cause: error },
      );
    }
  });

  afterAll(() => {
    if (!mount) return;
    // Lazily if something still holds a file there: the mount must not outlive the test.
    try {
      execFileSync('umount', [mount], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['--lazy', mount], { stdio: 'pipe' });
    }
    rmSync(mount, { recursive: true, force: true });
  });

  const free = () => Number(execFileSync('df', ['--output=avail', '-B1', mount]).toString().split('\n')[1]);

  it('an upload larger than the free space is 503 "The media storage is full.", nothing is corrupted or left, the chat goes on, and freed space takes uploads again', async () => {
    await withInstance({ FAMICHAT_MEDIA_DIR: mount }, async ({ t, admin, familyId }) => {
      const conv = await familyConversation(t, admin, familyId);
      const fileBytes = randomBytes(300_000);
      const file = await uploadFile(t, admin.token, fileBytes, { type: 'application/octet-stream', filename: 'a.bin' });
      expect(file.statusCode).toBe(201);
      const photo = await uploadFile(t, admin.token, await jpeg({ width: 600, height: 400 }), { type: 'image/jpeg' });
      expect(photo.statusCode).toBe(201);
      const photoBytes = (await fetchMedia(t, photo.json().data.url)).rawPayload;
      const rowsBefore = await uploadRows(t);

      const tooBig = await uploadFile(t, admin.token, randomBytes(3 * 1024 * 1024), { type: 'application/octet-stream', filename: 'big.bin' });
      expectUnavailable(tooBig, 'The media storage is full.');
      // Nothing half-written stays, nothing new is listed, the space is back.
      expect(filesUnder(mount).filter((name) => name.startsWith('.partial/') || name.startsWith('.uploading/'))).toEqual([]);
      expect(await uploadRows(t)).toEqual(rowsBefore);
      expect(free()).toBeGreaterThan(1024 * 1024);
      // What was stored before is served byte for byte.
      expect((await fetchMedia(t, file.json().data.url)).rawPayload.equals(fileBytes)).toBe(true);
      expect((await fetchMedia(t, photo.json().data.url)).rawPayload.equals(photoBytes)).toBe(true);
      expect((await fetchMedia(t, photo.json().data.thumbnail_url)).statusCode).toBe(200);
      expect(await sendText(t, admin, conv, 'the disk is full but we can still talk')).toBe(201);

      // Something else fills the disk: even a small upload, and a photo (processed from a temporary file), are refused.
      const filler = join(mount, 'filler');
      writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 4096)));
      expectUnavailable(await uploadFile(t, admin.token, randomBytes(200_000), { type: 'application/octet-stream' }), 'The media storage is full.');
      expectUnavailable(await uploadFile(t, admin.token, await jpeg({ width: 600, height: 400 }), { type: 'image/jpeg' }), 'The media storage is full.');
      expect(filesUnder(mount).filter((name) => name.startsWith('.partial/') || name.startsWith('.uploading/'))).toEqual([]);
      expect(await sendText(t, admin, conv, 'still talking')).toBe(201);

      rmSync(filler);
      const after = await uploadFile(t, admin.token, randomBytes(200_000), { type: 'application/octet-stream', filename: 'after.bin' });
      expect(after.statusCode).toBe(201);
      expect((await fetchMedia(t, after.json().data.url)).statusCode).toBe(200);
      expect((await fetchMedia(t, file.json().data.url)).rawPayload.equals(fileBytes)).toBe(true);
    });
  });
});

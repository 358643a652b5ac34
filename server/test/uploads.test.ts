// Uploads: the raw body streamed to storage, the kind from the bytes (never the name or declared type), images
// processed by sharp, audio and video probed by ffprobe, the limits (size, quota, rate), and nothing kept on failure.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import { registerErrorHandling } from '../src/http/errors.js';
import { StorageError } from '../src/media/storage.js';
import type { TestApp } from './helpers/app.js';
import { family, withInstance } from './helpers/fixtures.js';
import { audio, bombPng, fetchMedia, filesUnder, gif, jpeg, mediaDir, png, uploadFile, video } from './helpers/media.js';
import { until } from './helpers/wait.js';

const dir = mediaDir();
const { t, admin } = await family({ env: { FAMICHAT_MEDIA_DIR: dir } });
const smallDir = mediaDir();
const LIMIT = 64 * 1024;
const small = await family({ env: { FAMICHAT_MEDIA_DIR: smallDir, FAMICHAT_UPLOAD_MAX_BYTES: String(LIMIT) } });
const port = (small.t.app.server.address() as AddressInfo).port;

/** The number of upload rows. */
async function uploadRows(app: TestApp = t): Promise<number> {
  const result = await app.domain.db.execute(sql`SELECT count(*)::int AS n FROM uploads`);
  return (result as { rows: { n: number }[] }).rows[0]!.n;
}

/** Uploads `bytes` as the admin and expects 201; returns the Attachment. */
async function upload(bytes: Buffer, options: Parameters<typeof uploadFile>[3] = {}): Promise<any> {
  const res = await uploadFile(t, admin.token, bytes, options);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

const sha = (data: Buffer) => `"${createHash('sha256').update(data).digest('base64url')}"`;

describe('images', () => {
  it('stores a camera JPEG with its orientation applied and its EXIF and GPS removed, with a thumbnail of at most 640 px', async () => {
    const photo = await jpeg({ width: 1200, height: 800, orientation: 6, gps: true });
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const a = await upload(photo, { type: 'image/jpeg', filename: 'beach.jpg' });
    expect(a).toMatchObject({ kind: 'image', mime_type: 'image/jpeg', filename: 'beach.jpg', width: 800, height: 1200, duration_ms: null });
    expect(a.url).toMatch(/^\/api\/v1\/media\/[0-9a-f-]{36}\/original\?v=[0-9a-f-]{36}&e=\d+&s=[\w-]+$/);
    expect(a.thumbnail_url).toMatch(/^\/api\/v1\/media\/[0-9a-f-]{36}\/thumbnail\?v=/);

    const stored = await fetchMedia(t, a.url);
    expect(stored.statusCode).toBe(200);
    expect(stored.headers['content-type']).toBe('image/jpeg');
    expect(stored.rawPayload.length).toBe(a.size_bytes);
    // The size and the ETag are those of the stored (processed) bytes, not of the upload.
    expect(stored.headers.etag).toBe(sha(stored.rawPayload));
    expect(stored.rawPayload.equals(photo)).toBe(false);
    const meta = await sharp(stored.rawPayload).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(stored.rawPayload.includes(Buffer.from('TestPhone'))).toBe(false);
    expect([meta.width, meta.height]).toEqual([800, 1200]);
    // Turned a quarter clockwise: the red left half is now on top.
    const { data } = await sharp(stored.rawPayload).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[2]).toBeLessThan(60);

    const thumbnail = await fetchMedia(t, a.thumbnail_url);
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    const tm = await sharp(thumbnail.rawPayload).metadata();
    expect([tm.width, tm.height]).toEqual([427, 640]);
    expect(tm.exif).toBeUndefined();
  });

  it('stores PNG, WebP and AVIF in their own format, and a small image keeps its size in the thumbnail', async () => {
    const wide = await upload(await png({ width: 2000, height: 1000 }), { type: 'image/png', filename: 'plan.png' });
    expect(wide).toMatchObject({ kind: 'image', mime_type: 'image/png', width: 2000, height: 1000 });
    const thumb = await sharp((await fetchMedia(t, wide.thumbnail_url)).rawPayload).metadata();
    expect([thumb.width, thumb.height]).toEqual([640, 320]);

    const webp = await upload(await sharp(await png({ width: 30, height: 20 })).webp().toBuffer(), { type: 'image/webp' });
    expect(webp).toMatchObject({ kind: 'image', mime_type: 'image/webp', width: 30, height: 20, filename: 'file.webp' });
    const small = await sharp((await fetchMedia(t, webp.thumbnail_url)).rawPayload).metadata();
    expect([small.width, small.height]).toEqual([30, 20]);

    const avif = await upload(await sharp(await png({ width: 24, height: 16 })).avif().toBuffer(), { type: 'image/avif' });
    expect(avif).toMatchObject({ kind: 'image', mime_type: 'image/avif', width: 24, height: 16 });
    expect((await sharp((await fetchMedia(t, avif.url)).rawPayload).metadata()).format).toBe('heif');
  });

  it('keeps an animated GIF animated (with its dimensions per frame), and a still GIF still', async () => {
    const animated = await upload(await gif({ width: 40, height: 20, frames: 3 }), { type: 'image/gif' });
    expect(animated).toMatchObject({ kind: 'image', mime_type: 'image/gif', width: 40, height: 20, filename: 'file.gif' });
    const stored = await fetchMedia(t, animated.url);
    const meta = await sharp(stored.rawPayload, { animated: true }).metadata();
    expect(meta.pages).toBe(3);
    expect(meta.pageHeight).toBe(20);
    const thumbnail = await sharp((await fetchMedia(t, animated.thumbnail_url)).rawPayload).metadata();
    expect([thumbnail.width, thumbnail.height]).toEqual([40, 20]);

    const still = await upload(await gif({ width: 10, height: 10 }), { type: 'image/gif' });
    expect(still).toMatchObject({ kind: 'image', width: 10, height: 10 });
  });

  it('refuses a decompression bomb (a 30000x30000 PNG) with 422 from its header, keeping nothing', async () => {
    const rows = await uploadRows();
    const files = filesUnder(dir).length;
    const bomb = bombPng();
    expect(bomb.length).toBeLessThan(2000);
    const res = await uploadFile(t, admin.token, bomb, { type: 'image/png' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('validation_failed');
    expect(res.json().error.message).toMatch(/too large to process/);
    expect(res.json().error.details.fields.body).toMatch(/pixels/);
    expect(await uploadRows()).toBe(rows);
    expect(filesUnder(dir).length).toBe(files);
  });

  it('stores bytes with an image magic number that do not decode as a file, byte for byte', async () => {
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 7)]);
    const a = await upload(corrupt, { type: 'image/jpeg', filename: 'broken.jpg' });
    expect(a).toMatchObject({ kind: 'file', mime_type: 'application/octet-stream', filename: 'broken.jpg', size_bytes: 5004, width: null, thumbnail_url: null });
    const got = await fetchMedia(t, a.url);
    expect(got.rawPayload.equals(corrupt)).toBe(true);
    expect(got.headers.etag).toBe(sha(corrupt));
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
  });
});

describe('the kind comes from the bytes', () => {
  it('stores a text file declared as image/jpeg as a file', async () => {
    const a = await upload(Buffer.from('hello, not a picture'), { type: 'image/jpeg', filename: 'x.jpg' });
    expect(a).toMatchObject({ kind: 'file', mime_type: 'application/octet-stream', thumbnail_url: null, size_bytes: 20, width: null, height: null });
    const got = await fetchMedia(t, a.url);
    expect(got.body).toBe('hello, not a picture');
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
  });

  it('stores SVG and HTML as files that are downloaded, never run', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
    for (const [bytes, type, name] of [[svg, 'image/svg+xml', 'a.svg'], [html, 'text/html', 'a.html']] as const) {
      const a = await upload(bytes, { type, filename: name });
      expect(a).toMatchObject({ kind: 'file', mime_type: 'application/octet-stream', filename: name });
      const got = await fetchMedia(t, a.url);
      expect(got.headers['content-disposition']).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
      expect(got.headers['x-content-type-options']).toBe('nosniff');
      expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    }
  });

  it('stores an image declared as a text file as an image, and a PDF as a file of its detected type', async () => {
    const a = await upload(await png({ width: 8, height: 8 }), { type: 'text/plain', filename: 'notes.txt' });
    expect(a).toMatchObject({ kind: 'image', mime_type: 'image/png', filename: 'notes.txt' });
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    expect(await upload(pdf, { type: 'application/pdf' })).toMatchObject({ kind: 'file', mime_type: 'application/pdf', filename: 'file.pdf' });
  });

  it('stores HEIC (which this image library cannot read) as a file', async () => {
    const heic = Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(200)]);
    const a = await upload(heic, { type: 'image/heic', filename: 'IMG_0001.HEIC' });
    expect(a).toMatchObject({ kind: 'file', mime_type: 'image/heic', thumbnail_url: null, width: null });
    expect((await fetchMedia(t, a.url)).headers['content-disposition']).toMatch(/^attachment;/);
  });

  it('stores an empty body as an empty file, and one without a Content-Type too', async () => {
    expect(await upload(Buffer.alloc(0))).toMatchObject({ kind: 'file', size_bytes: 0, filename: 'file', mime_type: 'application/octet-stream' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.statusCode).toBe(201);
    expect(res.json().data.size_bytes).toBe(0);
  });
});

describe('audio and video', () => {
  it('stores a video byte for byte, with its duration, dimensions and a poster thumbnail from ffmpeg', async () => {
    const clip = video({ seconds: 1, width: 320, height: 240, format: 'mp4' });
    const a = await upload(clip, { type: 'video/mp4', filename: 'clip.mp4', duration_ms: 99 });
    expect(a).toMatchObject({ kind: 'video', mime_type: 'video/mp4', width: 320, height: 240, size_bytes: clip.length });
    expect(Math.abs(a.duration_ms - 1000)).toBeLessThan(150);
    const got = await fetchMedia(t, a.url);
    expect(got.rawPayload.equals(clip)).toBe(true);
    expect(got.headers['content-disposition']).toMatch(/^inline;/);
    const poster = await sharp((await fetchMedia(t, a.thumbnail_url)).rawPayload).metadata();
    expect([poster.width, poster.height]).toEqual([320, 240]);
  });

  it('reports the dimensions a player shows for a portrait phone video (stored landscape with a rotation)', async () => {
    const a = await upload(video({ seconds: 1, width: 64, height: 48, format: 'mp4', rotate: 90 }), { type: 'video/quicktime' });
    expect(a).toMatchObject({ kind: 'video', mime_type: 'video/mp4', width: 48, height: 64 });
    const poster = await sharp((await fetchMedia(t, a.thumbnail_url)).rawPayload).metadata();
    expect([poster.width, poster.height]).toEqual([48, 64]);
  });

  it('tells a voice message in WebM (which looks like video) from a video with ffprobe, whatever the declared type', async () => {
    const voice = audio({ seconds: 1, format: 'webm' });
    const a = await upload(voice, { type: 'video/webm' });
    expect(a).toMatchObject({ kind: 'audio', mime_type: 'audio/webm', thumbnail_url: null, width: null, filename: 'file.webm' });
    expect(Math.abs(a.duration_ms - 1000)).toBeLessThan(150);
    const film = await upload(video({ seconds: 1, width: 64, height: 48, format: 'webm' }), { type: 'audio/webm' });
    expect(film).toMatchObject({ kind: 'video', mime_type: 'video/webm', width: 64, height: 48 });
    expect(film.thumbnail_url).not.toBeNull();
  });

  it('stores Ogg Opus and AAC recordings as audio with their duration', async () => {
    const ogg = await upload(audio({ seconds: 1, format: 'ogg' }), { type: 'audio/ogg', duration_ms: 5 });
    expect(ogg).toMatchObject({ kind: 'audio', mime_type: 'audio/ogg' });
    expect(Math.abs(ogg.duration_ms - 1000)).toBeLessThan(150);
    const m4a = await upload(audio({ seconds: 1, format: 'm4a' }), { type: 'audio/mp4' });
    expect(m4a).toMatchObject({ kind: 'audio', mime_type: 'audio/mp4' });
    expect(Math.abs(m4a.duration_ms - 1000)).toBeLessThan(150);
  });

  it("uses the client's duration for bytes ffprobe cannot read", async () => {
    // A WebM header and then nothing but zeros: file-type knows it, ffprobe cannot read it.
    const real = audio({ seconds: 1, format: 'webm' });
    const broken = Buffer.concat([real.subarray(0, 60), Buffer.alloc(real.length - 60)]);
    const a = await upload(broken, { type: 'audio/webm', duration_ms: 4200 });
    expect(a).toMatchObject({ kind: 'audio', mime_type: 'audio/webm', duration_ms: 4200, thumbnail_url: null });
    // Declared as video, it stays a video, without a poster (ffmpeg cannot read a frame either).
    const v = await upload(broken, { type: 'video/webm', duration_ms: 4300 });
    expect(v).toMatchObject({ kind: 'video', mime_type: 'video/webm', duration_ms: 4300, thumbnail_url: null, width: null });
  });

  it('without ffmpeg (FAMICHAT_FFMPEG=off): no poster, the duration from the query, audio vs video from the declared type', async () => {
    process.env.FAMICHAT_FFMPEG = 'off';
    try {
      const clip = video({ seconds: 1, width: 64, height: 48, format: 'mp4' });
      const v = await upload(clip, { type: 'video/mp4', duration_ms: 1234 });
      expect(v).toMatchObject({ kind: 'video', mime_type: 'video/mp4', duration_ms: 1234, thumbnail_url: null, width: null, height: null });
      expect((await fetchMedia(t, v.url)).rawPayload.equals(clip)).toBe(true);
      const voice = await upload(audio({ seconds: 1, format: 'webm' }), { type: 'audio/webm;codecs=opus', duration_ms: 900 });
      expect(voice).toMatchObject({ kind: 'audio', mime_type: 'audio/webm', duration_ms: 900 });
      const unknown = await upload(audio({ seconds: 1, format: 'webm' }), { type: 'video/webm' });
      expect(unknown).toMatchObject({ kind: 'video', mime_type: 'video/webm', duration_ms: null });
      const wav = await upload(audio({ seconds: 1, format: 'wav' }), { type: 'audio/wav' });
      expect(wav).toMatchObject({ kind: 'audio', mime_type: 'audio/wav', duration_ms: null });
    } finally {
      delete process.env.FAMICHAT_FFMPEG;
    }
  });

  it('without ffmpeg on PATH: the same as turned off', async () => {
    const clip = video({ seconds: 1, width: 64, height: 48, format: 'webm' });
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const v = await upload(clip, { type: 'video/webm', duration_ms: 1000 });
      expect(v).toMatchObject({ kind: 'video', duration_ms: 1000, thumbnail_url: null, width: null });
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('the query', () => {
  it('sanitizes file names: no path, no control or bidirectional characters, at most 255 bytes with the extension kept', async () => {
    const name = async (filename: string) => (await upload(Buffer.from('x'), { filename })).filename as string;
    expect(await name('../../etc/passwd')).toBe('passwd');
    expect(await name('C:\\fakepath\\report.txt')).toBe('report.txt');
    expect(await name('in\u0000voice\u202egpj.exe')).toBe('invoicegpj.exe');
    expect(await name('  ..  ')).toBe('file');
    expect(await name('/')).toBe('file');
    const long = await name(`${'é'.repeat(300)}.jpeg`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long.endsWith('é.jpeg')).toBe(true);
    const noExtension = await name('x'.repeat(400));
    expect(noExtension).toBe('x'.repeat(255));
    expect(await name('Oma’s 🎂.txt')).toBe('Oma’s 🎂.txt');
  });

  it('answers 422 for a malformed duration_ms or an over-long file name', async () => {
    for (const duration of ['soon', '-1', '1.5']) {
      const res = await uploadFile(t, admin.token, Buffer.from('x'), { duration_ms: duration });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.details.fields.duration_ms).toBeDefined();
    }
    const res = await uploadFile(t, admin.token, Buffer.from('x'), { filename: 'x'.repeat(1025) });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details.fields.filename).toBeDefined();
  });

  it('needs a token', async () => {
    const res = await uploadFile(t, undefined, Buffer.from('x'));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('the size limit, on real connections', () => {
  const head = (length: string) =>
    `POST /api/v1/uploads?filename=big.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${small.admin.token}\r\nContent-Type: application/octet-stream\r\n${length}\r\n\r\n`;

  /** Writes `head` and `body` over a raw socket and resolves with everything the server answered once it closes. */
  function raw(request: string, body: Buffer | null): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', () => resolve(answer));
      socket.on('close', () => resolve(answer));
      socket.write(request);
      if (body) socket.write(body);
    });
  }

  const expectNothingKept = async () => {
    expect(await uploadRows(small.t)).toBe(0);
    await until('no partial or temporary file is left', () => filesUnder(smallDir).length === 0);
  };

  it('answers 413 from Content-Length at once, without reading a body that never comes', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        // The whole answer has come: the client has sent nothing of its 10 GB.
        if (text.includes('"payload_too_large"') && text.endsWith('}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.write(head('Content-Length: 10737418240'));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.details).toEqual({ max_bytes: LIMIT });
    await expectNothingKept();
  });

  it('lets a node:http client that sends the whole body read its 413', async () => {
    const res = await httpPost(
      { port, path: '/api/v1/uploads', headers: { authorization: `Bearer ${small.admin.token}`, 'content-type': 'image/jpeg', 'content-length': 4 * LIMIT } },
      (request) => request.end(Buffer.alloc(4 * LIMIT, 1)),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large');
    await expectNothingKept();
  });

  it('stops a chunked body at the limit while streaming, answers 413 the client reads, and deletes what was written', async () => {
    const size = 3 * LIMIT;
    const body = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 2), Buffer.from('\r\n0\r\n\r\n')]);
    const answer = await raw(head('Transfer-Encoding: chunked'), body);
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('"payload_too_large"');
    await expectNothingKept();
  });

  it('stops a streamed image body at the limit too (written to a temporary file first)', async () => {
    const photo = await jpeg({ width: 400, height: 400 });
    const res = await small.t.app.inject({
      method: 'POST',
      url: '/api/v1/uploads',
      headers: { authorization: `Bearer ${small.admin.token}`, 'content-type': 'image/jpeg' },
      // The first chunk is enough to tell an image: the rest goes to the temporary file until the limit.
      payload: Readable.from([Buffer.concat([photo, Buffer.alloc(5000)]), Buffer.alloc(2 * LIMIT, 3)]),
    });
    expect(res.statusCode).toBe(413);
    await expectNothingKept();
  });

  it('keeps nothing when the client goes away mid-body', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(head(`Content-Length: ${LIMIT}`));
    socket.write(Buffer.alloc(LIMIT / 2, 4));
    await until('the upload is being written', () => filesUnder(smallDir).some((f) => f.startsWith('.partial/')));
    socket.destroy();
    await expectNothingKept();
  });

  it('streams a large body from a real client into the store, byte for byte', async () => {
    const mainPort = (t.app.server.address() as AddressInfo).port;
    const bytes = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
    const res = await httpPost(
      { port: mainPort, path: '/api/v1/uploads?filename=backup.bin', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/octet-stream' } },
      (request) => {
        // Chunked, in pieces, as a browser streams a file.
        for (let i = 0; i < bytes.length; i += 256 * 1024) request.write(bytes.subarray(i, i + 256 * 1024));
        request.end();
      },
    );
    expect(res.status).toBe(201);
    const a = JSON.parse(res.body).data;
    expect(a).toMatchObject({ kind: 'file', size_bytes: bytes.length, filename: 'backup.bin' });
    const got = await fetchMedia(t, a.url);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect(got.headers.etag).toBe(sha(bytes));
  });

  it('still takes a body of exactly the limit', async () => {
    const res = await uploadFile(small.t, small.admin.token, Buffer.alloc(LIMIT, 5));
    expect(res.statusCode).toBe(201);
    expect(res.json().data.size_bytes).toBe(LIMIT);
  });
});

describe('quota and rate limit', () => {
  it("refuses an upload that would take the user's uploads over the quota with 413, before and after streaming", async () => {
    const quotaDir = mediaDir();
    await withInstance({ FAMICHAT_MEDIA_DIR: quotaDir, FAMICHAT_UPLOAD_QUOTA_BYTES: '100' }, async ({ t: q, admin: owner }) => {
      expect((await uploadFile(q, owner.token, Buffer.alloc(60))).statusCode).toBe(201);
      const declared = await uploadFile(q, owner.token, Buffer.alloc(60));
      expect(declared.statusCode).toBe(413);
      expect(declared.json().error).toMatchObject({ code: 'payload_too_large', details: { reason: 'quota_exceeded', quota_bytes: 100, used_bytes: 60 } });
      // Without a Content-Length the size is known only once stored: refused then, and removed.
      const streamed = await q.app.inject({
        method: 'POST',
        url: '/api/v1/uploads',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
        payload: Readable.from([Buffer.alloc(60, 1)]),
      });
      expect(streamed.statusCode).toBe(413);
      expect(streamed.json().error.details).toEqual({ reason: 'quota_exceeded', quota_bytes: 100, used_bytes: 60 });
      expect(await uploadRows(q)).toBe(1);
      expect(filesUnder(quotaDir).length).toBe(1);
      expect((await uploadFile(q, owner.token, Buffer.alloc(40))).statusCode).toBe(201);
      const full = await uploadFile(q, owner.token, Buffer.alloc(0));
      expect(full.statusCode).toBe(413);
      expect(full.json().error.details.used_bytes).toBe(100);
    });
  });

  it('limits uploads per user and minute with 429, Retry-After and details.retry_in_ms', async () => {
    await withInstance({ FAMICHAT_MEDIA_DIR: mediaDir(), FAMICHAT_UPLOADS_PER_MINUTE: '2' }, async ({ t: r, admin: owner }) => {
      expect((await uploadFile(r, owner.token, Buffer.from('1'))).statusCode).toBe(201);
      expect((await uploadFile(r, owner.token, Buffer.from('2'))).statusCode).toBe(201);
      const limited = await uploadFile(r, owner.token, Buffer.from('3'));
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('rate_limited');
      expect(limited.json().error.details.retry_in_ms).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});

describe('storage errors', () => {
  it('answers 503 unavailable with Retry-After when the media directory cannot be written, keeping no row', async () => {
    await withInstance({ FAMICHAT_MEDIA_DIR: '/dev/null/media' }, async ({ t: broken, admin: owner }) => {
      for (const [bytes, type] of [[Buffer.from('words'), 'text/plain'], [await jpeg({ width: 8, height: 8 }), 'image/jpeg']] as const) {
        const res = await uploadFile(broken, owner.token, bytes, { type });
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json().error).toMatchObject({ code: 'unavailable', message: 'The media storage is unavailable; try again shortly.' });
        expect(res.headers['retry-after']).toBe('5');
      }
      expect(await uploadRows(broken)).toBe(0);
    });
  });

  it('answers 503 when the store fails after an image was processed, leaving neither object nor temporary file', async () => {
    const blocked = mediaDir();
    // The store's partial area cannot be made (a file is in the way); the pipeline's temporary directory can.
    writeFileSync(join(blocked, '.partial'), 'in the way');
    await withInstance({ FAMICHAT_MEDIA_DIR: blocked }, async ({ t: broken, admin: owner }) => {
      for (const [bytes, type] of [[await jpeg({ width: 64, height: 64 }), 'image/jpeg'], [video({ seconds: 1, width: 32, height: 32, format: 'mp4' }), 'video/mp4']] as const) {
        const res = await uploadFile(broken, owner.token, bytes, { type });
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json().error.code).toBe('unavailable');
      }
      expect(await uploadRows(broken)).toBe(0);
      expect(filesUnder(blocked)).toEqual(['.partial']);
    });
  });

  it("maps the storage's 'full' to 503 unavailable with a clear message", async () => {
    const app = Fastify();
    registerErrorHandling(app);
    app.get('/full', () => {
      throw new StorageError('full', 'ENOSPC');
    });
    const res = await app.inject({ method: 'GET', url: '/full' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toEqual({ code: 'unavailable', message: 'The media storage is full.' });
    expect(res.headers['retry-after']).toBe('60');
    await app.close();
  });
});

it('uploads and serves an image on the embedded database (PGlite)', async () => {
  const database = await openDatabase({ dataDir: 'memory://' });
  const { app } = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', FAMICHAT_MEDIA_DIR: mediaDir() }), database, bus: createLocalBus(), webDir: false });
  try {
    const setup = await app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'nan', password: 'long enough', display_name: 'Nan', family_name: 'Family' } });
    expect(setup.statusCode).toBe(201);
    const res = await uploadFile(app, setup.json().data.token, await jpeg({ width: 100, height: 60, gps: true }), { type: 'image/jpeg' });
    expect(res.statusCode).toBe(201);
    const got = await fetchMedia(app, res.json().data.url);
    expect(got.statusCode).toBe(200);
    expect((await sharp(got.rawPayload).metadata()).exif).toBeUndefined();
    const thumbnail = await fetchMedia(app, res.json().data.thumbnail_url, { range: 'bytes=0-9' });
    expect(thumbnail.statusCode).toBe(206);
  } finally {
    await app.close();
    await database.close();
  }
}, 120_000);

/** A POST with node:http over a real socket (`write` sends the body), answered with its status and text body. */
function httpPost(
  target: { port: number; path: string; headers: http.OutgoingHttpHeaders },
  write: (request: http.ClientRequest) => void,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', method: 'POST', agent: false, ...target }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
    write(request);
  });
}

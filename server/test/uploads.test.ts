// Uploads: the raw body streamed to storage, the kind from the bytes, images processed, limits, and nothing kept on failure.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { family } from './helpers/fixtures.js';
import { fetchMedia, filesUnder, gif, jpeg, mediaDir, png, uploadFile } from './helpers/media.js';

const dir = mediaDir();
const { t, admin } = await family({ env: { FAMICHAT_MEDIA_DIR: dir } });

describe('POST /api/v1/uploads', () => {
  it('stores a JPEG without its GPS metadata, orientation applied, with a thumbnail, and serves it back', async () => {
    const photo = await jpeg({ width: 1200, height: 800, orientation: 6, gps: true });
    const res = await uploadFile(t, admin.token, photo, { type: 'image/jpeg', filename: 'beach.jpg' });
    expect(res.statusCode).toBe(201);
    const a = res.json().data;
    expect(a).toMatchObject({ kind: 'image', mime_type: 'image/jpeg', filename: 'beach.jpg', width: 800, height: 1200, duration_ms: null });
    expect(a.url).toMatch(/^\/api\/v1\/media\/[0-9a-f-]{36}\/original\?v=/);
    const got = await fetchMedia(t, a.url);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/jpeg');
    expect(Number(got.headers['content-length'])).toBe(a.size_bytes);
    const meta = await sharp(got.rawPayload).metadata();
    expect(meta.exif).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([800, 1200]);
    const thumb = await fetchMedia(t, a.thumbnail_url);
    expect(thumb.statusCode).toBe(200);
    const tm = await sharp(thumb.rawPayload).metadata();
    expect(Math.max(tm.width, tm.height)).toBe(640);
  });

  it('keeps an animated GIF animated', async () => {
    const res = await uploadFile(t, admin.token, await gif({ width: 40, height: 20, frames: 3 }), { type: 'image/gif' });
    expect(res.statusCode).toBe(201);
    const a = res.json().data;
    expect(a).toMatchObject({ kind: 'image', mime_type: 'image/gif', width: 40, height: 20, filename: 'file.gif' });
    const got = await fetchMedia(t, a.url);
    expect((await sharp(got.rawPayload, { animated: true }).metadata()).pages).toBe(3);
  });

  it('stores a text file declared as image/jpeg as a file', async () => {
    const res = await uploadFile(t, admin.token, Buffer.from('hello, not a picture'), { type: 'image/jpeg', filename: 'x.jpg' });
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ kind: 'file', mime_type: 'application/octet-stream', thumbnail_url: null, size_bytes: 20 });
    const got = await fetchMedia(t, res.json().data.url);
    expect(got.body).toBe('hello, not a picture');
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
    expect(await png({ width: 2, height: 2 })).toBeInstanceOf(Buffer);
    expect(filesUnder(dir).some((f) => f.startsWith('.uploading/'))).toBe(false);
  });
});

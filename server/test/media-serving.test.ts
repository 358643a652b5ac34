// Serving media: signed per-viewer URLs that work without a token, re-checked on every fetch (a removed member
// loses access at once), with Range, ETag, private caching and headers that keep a served file from running.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { canSeeUploadQuery } from '../src/chat/access.js';
import { storageKey } from '../src/media/storage.js';
import { addMember, family, outsider } from './helpers/fixtures.js';
import type { Person } from './helpers/fixtures.js';
import { fetchMedia, jpeg, mediaDir, uploadFile } from './helpers/media.js';

const dir = mediaDir();
const { t, admin, familyId, conv, members: [bob, carol] } = await family({ env: { FAMICHAT_MEDIA_DIR: dir }, members: ['Bob', 'Carol'] });
const stranger = await outsider(t, admin);

/** Uploads `bytes` as `who` (default the admin); returns the Attachment (URLs signed for the uploader). */
async function upload(bytes: Buffer, options: Parameters<typeof uploadFile>[3] = {}, who: Person = admin): Promise<any> {
  const res = await uploadFile(t, who.token, bytes, options);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

/** The URL of `uploadId`'s `variant` signed for `viewer` (as the edges sign views for each viewer). */
const urlFor = (uploadId: string, viewer: Person, variant: 'original' | 'thumbnail' = 'original', now = Date.now()) =>
  t.domain.media.sign(uploadId, variant, viewer.id, now);

/** Sends a text message into `conversationId` as `who` and attaches `uploadId` to it (the send path's job, done in SQL here). */
async function attach(uploadId: string, conversationId: string, who: Person = admin): Promise<string> {
  const sent = await t.as(who.token).post(`/api/v1/conversations/${conversationId}/messages`, { body: 'look' });
  expect(sent.status).toBe(201);
  await t.domain.db.execute(sql`UPDATE uploads SET message_id = ${sent.body.data.id}, attached_at = now() WHERE id = ${uploadId}`);
  return sent.body.data.id as string;
}

const TEXT = Buffer.from('0123456789');
const file = await upload(TEXT, { type: 'text/plain', filename: 'digits.txt' });

describe('headers', () => {
  it('serves the stored bytes with their type, length, ETag, private caching and headers that keep them inert', async () => {
    const res = await fetchMedia(t, file.url);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('0123456789');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBe('10');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers.etag).toMatch(/^"[\w-]{43}"$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(res.headers['content-disposition']).toBe(`attachment; filename="digits.txt"; filename*=UTF-8''digits.txt`);
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(String(res.headers['cache-control']))?.[1]);
    const expires = Number(new URL(file.url, 'http://x').searchParams.get('e'));
    expect(maxAge).toBeGreaterThan(3000);
    expect(maxAge).toBeLessThanOrEqual(expires - Math.floor(Date.now() / 1000));
  });

  it('serves images inline with the name in RFC 5987 encoding, and their thumbnail as WebP with its own ETag', async () => {
    const photo = await upload(await jpeg({ width: 50, height: 40 }), { type: 'image/jpeg', filename: 'Oma’s "🎂" 100%.jpg' });
    const res = await fetchMedia(t, photo.url);
    expect(res.headers['content-disposition']).toBe(
      `inline; filename="Oma_s ____ 100_.jpg"; filename*=UTF-8''Oma%E2%80%99s%20%22%F0%9F%8E%82%22%20100%25.jpg`,
    );
    const thumbnail = await fetchMedia(t, photo.thumbnail_url);
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(thumbnail.headers['content-disposition']).toMatch(/^inline;/);
    expect(Number(thumbnail.headers['content-length'])).toBe(thumbnail.rawPayload.length);
    expect(thumbnail.headers.etag).not.toBe(res.headers.etag);
    expect((await fetchMedia(t, photo.thumbnail_url, { 'if-none-match': String(thumbnail.headers.etag) })).statusCode).toBe(304);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetchMedia(t, file.url, {}, 'HEAD');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('10');
    expect(res.headers.etag).toBeDefined();
    expect(res.body).toBe('');
    const ranged = await fetchMedia(t, file.url, { range: 'bytes=0-2' }, 'HEAD');
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-length']).toBe('3');
  });
});

describe('ranges and conditional requests', () => {
  it('serves one range with 206 and Content-Range', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=5-100', '56789', 'bytes 5-9/10'],
      ['bytes=-50', '0123456789', 'bytes 0-9/10'],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await fetchMedia(t, file.url, { range });
      expect(res.statusCode, range).toBe(206);
      expect(res.body, range).toBe(body);
      expect(res.headers['content-range'], range).toBe(contentRange);
      expect(res.headers['content-length'], range).toBe(String(body.length));
    }
  });

  it('answers 416 with Content-Range: bytes */size for a range past the end', async () => {
    for (const range of ['bytes=10-', 'bytes=-0', 'bytes=99-100']) {
      const res = await fetchMedia(t, file.url, { range });
      expect(res.statusCode, range).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */10');
      expect(res.json().error.code).toBe('bad_request');
      expect(res.headers['content-disposition']).toBeUndefined();
    }
  });

  it('serves everything for several ranges, a malformed header, or an If-Range that no longer matches', async () => {
    for (const range of ['bytes=0-1,3-4', 'bytes=4-2', 'items=1-2', 'bytes=-']) {
      const res = await fetchMedia(t, file.url, { range });
      expect(res.statusCode, range).toBe(200);
      expect(res.body).toBe('0123456789');
    }
    const etag = String((await fetchMedia(t, file.url)).headers.etag);
    expect((await fetchMedia(t, file.url, { range: 'bytes=0-0', 'if-range': etag })).statusCode).toBe(206);
    expect((await fetchMedia(t, file.url, { range: 'bytes=0-0', 'if-range': '"stale"' })).statusCode).toBe(200);
  });

  it('answers If-None-Match with 304 when the ETag matches', async () => {
    const etag = String((await fetchMedia(t, file.url)).headers.etag);
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetchMedia(t, file.url, { 'if-none-match': header });
      expect(res.statusCode, header).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
    }
    expect((await fetchMedia(t, file.url, { 'if-none-match': '"other"' })).statusCode).toBe(200);
  });
});

describe('who may fetch', () => {
  it('answers the identical 404 for a wrong, expired or forged URL, an unknown upload, no access and a missing thumbnail', async () => {
    const signed = new URL(file.url, 'http://x');
    const query = (changes: Record<string, string>) => {
      const q = new URLSearchParams(signed.search);
      for (const [k, v] of Object.entries(changes)) q.set(k, v);
      return `${signed.pathname}?${q.toString()}`;
    };
    const urls = [
      query({ s: 'A'.repeat(32) }),
      query({ s: 'short' }),
      query({ v: bob.id }),
      query({ e: String(Number(signed.searchParams.get('e')) + 3600) }),
      query({ e: 'soon' }),
      signed.pathname,
      `${signed.pathname}?v=${admin.id}&v=${bob.id}&e=1&s=x`,
      urlFor(file.id, admin, 'original', Date.now() - 3 * 3_600_000),
      urlFor(randomUUID(), admin),
      urlFor(file.id, admin, 'thumbnail'),
      urlFor(file.id, stranger),
      urlFor(file.id, bob),
      `/api/v1/media/not-a-uuid/original${signed.search}`,
      `/api/v1/media/${file.id}/large${signed.search}`,
    ];
    const answers = await Promise.all(urls.map((url) => fetchMedia(t, url)));
    for (const [i, res] of answers.entries()) {
      expect(res.statusCode, urls[i]).toBe(404);
      expect(res.json().error, urls[i]).toEqual({ code: 'not_found', message: 'The media does not exist.' });
      expect(res.headers['content-disposition'], urls[i]).toBeUndefined();
    }
    expect((await fetchMedia(t, file.url)).statusCode).toBe(200);
  });

  it('lets the participants of the conversation a message carries it into see it, and nobody else', async () => {
    const photo = await upload(await jpeg({ width: 20, height: 20 }), { type: 'image/jpeg' });
    expect((await fetchMedia(t, urlFor(photo.id, bob))).statusCode).toBe(404);
    await attach(photo.id, conv);
    expect((await fetchMedia(t, urlFor(photo.id, bob))).statusCode).toBe(200);
    expect((await fetchMedia(t, urlFor(photo.id, bob, 'thumbnail'))).statusCode).toBe(200);
    expect((await fetchMedia(t, urlFor(photo.id, stranger))).statusCode).toBe(404);
  });

  it('takes access away at once from someone removed from a group, and from the family', async () => {
    const dave = await addMember(t, admin, familyId, 'member', 'Dave');
    const group = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Cousins', participant_ids: [dave.id, carol.id] });
    expect(group.status).toBe(201);
    const inGroup = await upload(Buffer.from('group secret'), { type: 'text/plain' }, carol);
    await attach(inGroup.id, group.body.data.id, carol);
    const inFamily = await upload(Buffer.from('family news'), { type: 'text/plain' });
    await attach(inFamily.id, conv);
    const daveGroupUrl = urlFor(inGroup.id, dave);
    const daveFamilyUrl = urlFor(inFamily.id, dave);
    expect((await fetchMedia(t, daveGroupUrl)).statusCode).toBe(200);
    expect((await fetchMedia(t, daveFamilyUrl)).statusCode).toBe(200);

    expect((await t.as(admin.token).delete(`/api/v1/conversations/${group.body.data.id}/participants/${dave.id}`)).status).toBe(204);
    expect((await fetchMedia(t, daveGroupUrl)).statusCode).toBe(404);
    expect((await fetchMedia(t, urlFor(inGroup.id, admin))).statusCode).toBe(200);
    expect((await fetchMedia(t, daveFamilyUrl)).statusCode).toBe(200);

    expect((await t.as(admin.token).delete(`/api/v1/families/${familyId}/members/${dave.id}`)).status).toBe(204);
    expect((await fetchMedia(t, daveFamilyUrl)).statusCode).toBe(404);
    expect((await fetchMedia(t, urlFor(inFamily.id, bob))).statusCode).toBe(200);
  });

  it('hides the attachments of a deleted message from everyone but the uploader', async () => {
    const shared = await upload(Buffer.from('oops'), { type: 'text/plain' });
    const messageId = await attach(shared.id, conv);
    expect((await fetchMedia(t, urlFor(shared.id, bob))).statusCode).toBe(200);
    expect((await t.as(admin.token).delete(`/api/v1/conversations/${conv}/messages/${messageId}`)).status).toBe(204);
    expect((await fetchMedia(t, urlFor(shared.id, bob))).statusCode).toBe(404);
    expect((await fetchMedia(t, urlFor(shared.id, admin))).statusCode).toBe(200);
  });

  it('shows a profile picture to the people who share a family with its owner', async () => {
    const picture = await upload(await jpeg({ width: 30, height: 30 }), { type: 'image/jpeg' }, carol);
    expect((await fetchMedia(t, urlFor(picture.id, bob, 'thumbnail'))).statusCode).toBe(404);
    await t.domain.db.execute(sql`UPDATE users SET avatar_upload_id = ${picture.id} WHERE id = ${carol.id}`);
    expect((await fetchMedia(t, urlFor(picture.id, bob, 'thumbnail'))).statusCode).toBe(200);
    expect((await fetchMedia(t, urlFor(picture.id, admin))).statusCode).toBe(200);
    expect((await fetchMedia(t, urlFor(picture.id, stranger, 'thumbnail'))).statusCode).toBe(404);
    await t.domain.db.execute(sql`UPDATE users SET avatar_upload_id = NULL WHERE id = ${carol.id}`);
    expect((await fetchMedia(t, urlFor(picture.id, bob, 'thumbnail'))).statusCode).toBe(404);
  });
});

it('checks access with one statement whose plan reads indexes only', async () => {
  const plan: { rows: unknown[] } = await t.domain.db.transaction(async (tx) => {
    // Tables this small would be scanned anyway; forbidding scans shows an index serves every branch.
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    const query = canSeeUploadQuery(file.id as string, bob.id);
    return (await tx.execute(sql`EXPLAIN ${query}`)) as { rows: unknown[] };
  });
  const text = (plan.rows as Array<{ 'QUERY PLAN': string }>).map((row) => row['QUERY PLAN']).join('\n');
  expect(text).not.toMatch(/Seq Scan/);
  expect(text).toMatch(/uploads_pkey/);
});

describe('storage', () => {
  it('answers 404 when the stored object is gone (and its thumbnail)', async () => {
    const photo = await upload(await jpeg({ width: 20, height: 20 }), { type: 'image/jpeg' });
    rmSync(join(dir, storageKey(photo.id, 'original')));
    rmSync(join(dir, storageKey(photo.id, 'thumbnail')));
    for (const url of [photo.url, photo.thumbnail_url]) {
      const res = await fetchMedia(t, url);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
      expect(res.headers['content-disposition']).toBeUndefined();
    }
  });

  it('answers 503 unavailable with Retry-After when the storage cannot be read', async () => {
    const broken = await upload(Buffer.from('soon unreadable'), { type: 'text/plain' });
    const folder = join(dir, storageKey(broken.id, 'original'), '..');
    rmSync(folder, { recursive: true });
    // A file where the upload's folder was: reading the object fails with ENOTDIR, not "no such object".
    writeFileSync(folder, 'in the way');
    const res = await fetchMedia(t, broken.url);
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable');
    expect(res.headers['retry-after']).toBe('5');
    rmSync(folder);
  });
});

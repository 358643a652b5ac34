// The media sweep: uploads no message carries are deleted after 24 h (row and objects), unless they are a
// profile picture; what crashed uploads left behind is reclaimed after an hour; a failing sweep is logged.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startSweeping, sweepMedia } from '../src/media/sweep.js';
import { uploadTempDir } from '../src/media/uploads.js';
import { createTestDatabase } from './helpers/db.js';
import { family } from './helpers/fixtures.js';
import { fetchMedia, filesUnder, jpeg, mediaDir, uploadFile } from './helpers/media.js';

const dir = mediaDir();
const { t, admin, conv, members: [bob] } = await family({ env: { FAMICHAT_MEDIA_DIR: dir }, members: ['Bob'] });

async function upload(bytes: Buffer, who = admin): Promise<any> {
  const res = await uploadFile(t, who.token, bytes, { type: 'image/jpeg' });
  expect(res.statusCode).toBe(201);
  return res.json().data;
}

/** Moves an upload's creation back by `hours`. */
const age = (id: string, hours: number) =>
  t.domain.db.execute(sql`UPDATE uploads SET created_at = now() - make_interval(hours => ${hours}) WHERE id = ${id}`);

const exists = async (id: string) =>
  ((await t.domain.db.execute(sql`SELECT count(*)::int AS n FROM uploads WHERE id = ${id}`)) as { rows: { n: number }[] }).rows[0]!.n === 1;

const objectsOf = (id: string) => filesUnder(dir).filter((f) => f.includes(id));

describe('sweepMedia', () => {
  it('deletes unattached uploads older than 24 h with their objects, keeping attached ones, avatars and recent ones', async () => {
    const photo = await jpeg({ width: 20, height: 20 });
    const [stale, attached, avatar, recent, dayOld] = await Promise.all([upload(photo), upload(photo), upload(photo, bob), upload(photo), upload(photo)]);
    const sent = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'with a photo' });
    await t.domain.db.execute(sql`UPDATE uploads SET message_id = ${sent.body.data.id} WHERE id = ${attached.id}`);
    await t.domain.db.execute(sql`UPDATE users SET avatar_upload_id = ${avatar.id} WHERE id = ${bob.id}`);
    for (const upload of [stale, attached, avatar]) await age(upload.id, 25);
    await age(dayOld.id, 23);
    expect(objectsOf(stale.id)).toHaveLength(2);

    const result = await sweepMedia(t.domain);
    expect(result.uploads).toBe(1);
    expect(await exists(stale.id)).toBe(false);
    expect(objectsOf(stale.id)).toEqual([]);
    expect((await fetchMedia(t, stale.url)).statusCode).toBe(404);
    for (const kept of [attached, avatar, recent, dayOld]) {
      expect(await exists(kept.id)).toBe(true);
      expect((await fetchMedia(t, kept.url)).statusCode).toBe(200);
    }
    // A day later the one that was 23 h old goes too; the attached one and the avatar never do.
    expect((await sweepMedia(t.domain, Date.now() + 2 * 3_600_000)).uploads).toBe(1);
    expect(await exists(dayOld.id)).toBe(false);
    expect(await exists(attached.id)).toBe(true);
    expect(await exists(avatar.id)).toBe(true);
  });

  it('sweeps in batches until none is left', async () => {
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => uploadFile(t, admin.token, Buffer.from(`file ${i}`))));
    await t.domain.db.execute(sql`UPDATE uploads SET created_at = now() - interval '2 days' WHERE message_id IS NULL AND id IN ${many.map((r) => r.json().data.id as string)}`);
    expect((await sweepMedia(t.domain, Date.now(), 5)).uploads).toBe(12);
  });

  it("reclaims crashed writes' partial objects and temporary files older than an hour, and only those", async () => {
    const temp = uploadTempDir(t.config.media);
    mkdirSync(temp, { recursive: true });
    mkdirSync(join(dir, '.partial'), { recursive: true });
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const path of [join(temp, 'crashed'), join(dir, '.partial', 'crashed')]) {
      writeFileSync(path, 'half an upload');
      utimesSync(path, old, old);
    }
    writeFileSync(join(temp, 'running'), 'an upload in progress');
    writeFileSync(join(dir, '.partial', 'running'), 'an upload in progress');
    expect((await sweepMedia(t.domain)).leftovers).toBe(2);
    expect(filesUnder(dir).filter((f) => f.startsWith('.'))).toEqual(['.partial/running', '.uploading/running'].sort());
  });
});

it("keeps the pipeline's temporary files beside the media directory, or in the system's temporary directory with S3", () => {
  expect(uploadTempDir(t.config.media)).toBe(join(dir, '.uploading'));
  const s3 = { bucket: 'media', endpoint: undefined, region: 'us-east-1', accessKeyId: undefined, secretAccessKey: undefined, forcePathStyle: true, prefix: 'media/' };
  expect(uploadTempDir({ ...t.config.media, s3 })).toBe(join(tmpdir(), 'famichat-uploading'));
});

describe('startSweeping', () => {
  /** A logger whose lines the test reads. */
  function capture() {
    const lines: Array<{ msg: string; level: number; uploads?: number }> = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
    return { lines, logger };
  }

  it('sweeps at once when started, logs what it removed, and stops', async () => {
    const stale = await upload(await jpeg({ width: 8, height: 8 }));
    await age(stale.id, 30);
    const { lines, logger } = capture();
    const stop = startSweeping(t.domain, logger);
    await stop();
    expect(await exists(stale.id)).toBe(false);
    expect(lines.find((l) => l.msg === 'media swept')).toMatchObject({ uploads: 1 });
  });

  it('logs a failed sweep (the database gone) without throwing', async () => {
    const gone = await createTestDatabase();
    await gone.database.close();
    const { lines, logger } = capture();
    const stop = startSweeping({ ...t.domain, db: gone.database.db }, logger);
    await stop();
    const failure = lines.find((l) => l.msg === 'media sweep failed') as { err?: { message: string } } | undefined;
    expect(failure?.err?.message).toBeDefined();
    // The driver's message, never the statement (logs carry no SQL).
    expect(JSON.stringify(lines)).not.toMatch(/SELECT|DELETE/);
    await gone.drop();
  });
});

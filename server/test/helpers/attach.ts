// Uploads for the attachment and avatar tests, and what they look at: stored upload rows and objects.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rows } from '../../src/db/connect.js';
import { storageKey } from '../../src/media/storage.js';
import type { TestApp } from './app.js';
import type { Person } from './fixtures.js';

/** What {@link upload} stores. */
export interface UploadOptions {
  kind?: 'image' | 'video' | 'audio' | 'file';
  filename?: string;
  mime?: string;
  bytes?: Buffer;
}

/** An upload of `person`'s, with its bytes in the app's storage (an image gets a thumbnail); returns its id. */
export async function upload(t: TestApp, person: Person, options: UploadOptions = {}): Promise<string> {
  const id = randomUUID();
  const kind = options.kind ?? 'image';
  const bytes = options.bytes ?? Buffer.from(`bytes of ${id}`);
  const mime = options.mime ?? (kind === 'image' ? 'image/jpeg' : 'application/pdf');
  const original = storageKey(id, 'original');
  const thumbnail = kind === 'image' ? storageKey(id, 'thumbnail') : null;
  await t.domain.storage.put(original, Readable.from([bytes]), mime);
  if (thumbnail) await t.domain.storage.put(thumbnail, Readable.from([bytes.subarray(0, 8)]), mime);
  await t.domain.db.execute(sql`INSERT INTO uploads (id, uploader_id, kind, mime_type, filename, size_bytes, width, height, storage_key, thumbnail_key, etag)
    VALUES (${id}, ${person.id}, ${kind}, ${mime}, ${options.filename ?? `${kind}.bin`}, ${bytes.length},
            ${kind === 'image' ? 800 : null}, ${kind === 'image' ? 600 : null}, ${original}, ${thumbnail}, ${`"${id}"`})`);
  return id;
}

/** The stored upload row, or undefined when it is gone. */
export async function uploadRow(t: TestApp, id: string) {
  const [row] = await rows<{ id: string; message_id: string | null; attached_at: Date | null; storage_key: string; thumbnail_key: string | null }>(
    t.domain.db,
    sql`SELECT id, message_id, attached_at, storage_key, thumbnail_key FROM uploads WHERE id = ${id}`,
  );
  return row;
}

/** Whether the upload's original (and thumbnail) objects are in the storage. */
export async function stored(t: TestApp, id: string): Promise<{ original: boolean; thumbnail: boolean }> {
  return {
    original: (await t.domain.storage.stat(storageKey(id, 'original'))) !== null,
    thumbnail: (await t.domain.storage.stat(storageKey(id, 'thumbnail'))) !== null,
  };
}

/** Checks that `url` is a media URL of `uploadId`'s `variant` signed for `viewerId`. */
export function expectSignedFor(url: string | null | undefined, uploadId: string, variant: 'original' | 'thumbnail', viewerId: string): void {
  expect(url).toMatch(new RegExp(`^/api/v1/media/${uploadId}/${variant}\\?v=${viewerId}&e=\\d+&s=[A-Za-z0-9_-]{32}$`));
}

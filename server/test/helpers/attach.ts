// Uploads for the attachment and avatar tests (through the real route), and what they look at: stored upload rows and objects.
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rows } from '../../src/db/connect.js';
import { storageKey } from '../../src/media/storage.js';
import type { TestApp } from './app.js';
import type { Person } from './fixtures.js';
import { jpeg, uploadFile } from './media.js';

/** What {@link upload} sends: an image (a JPEG of 800 × 600) or a file (a small PDF). */
export interface UploadOptions {
  kind?: 'image' | 'file';
  filename?: string;
}

let photo: Promise<Buffer> | undefined;
/** The bytes {@link upload} sends for `kind`. */
export async function bytesOf(kind: 'image' | 'file'): Promise<Buffer> {
  if (kind === 'file') return Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  photo ??= jpeg({ width: 800, height: 600 });
  return photo;
}

/** Uploads an image or a file as `person` through POST /api/v1/uploads; returns the upload's id. */
export async function upload(t: TestApp | FastifyInstance, person: Person, options: UploadOptions = {}): Promise<string> {
  const kind = options.kind ?? 'image';
  const res = await uploadFile(t, person.token, await bytesOf(kind), {
    type: kind === 'image' ? 'image/jpeg' : 'application/pdf',
    filename: options.filename ?? (kind === 'image' ? 'photo.jpg' : 'document.pdf'),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data.id as string;
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

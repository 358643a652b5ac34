/**
 * Media URLs: capabilities of one viewer. Views carry unsigned URLs (`/api/v1/media/<id>/<variant>` plus a
 * marker), the same for every viewer so views and broadcasts stay shared; the two edges that know the viewer
 * (the HTTP reply and the socket frame) sign them with {@link MediaSigner.signJson}. A fetch verifies the
 * signature and then re-checks that the viewer may still see the upload.
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { firstRow } from '../db/connect.js';

/** What a media URL serves: the stored file or its thumbnail. */
export type MediaVariant = 'original' | 'thumbnail';

/** The path under which media are served. */
export const MEDIA_PATH = '/api/v1/media';

/** Ends an unsigned URL in a view; U+0001 serializes to the escape `\u0001`, which no JSON string of text produces unescaped. */
const MARKER = '\u0001';
const UNSIGNED = /\/api\/v1\/media\/([0-9a-f-]{36})\/(original|thumbnail)\\u0001/g;

/** URLs are valid for one to two hours: the expiry is rounded up to the hour, so a viewer's URL is stable (cacheable) within an hour. */
const HOUR_MS = 3_600_000;

/** The unsigned URL of an upload's variant, as views carry it (signed at the edge for each viewer). */
export function unsignedUrl(uploadId: string, variant: MediaVariant): string {
  return `${MEDIA_PATH}/${uploadId}/${variant}${MARKER}`;
}

/**
 * Signs and verifies media URLs with the instance's key (shared by every node through the database). The key
 * is loaded by {@link MediaSigner.ready}, which the async edges await, so a server started while the database
 * is down comes up (and answers 503) and signs once the database is back.
 */
export class MediaSigner {
  private key: Buffer | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly loadKey: () => Promise<Buffer>) {}

  /** Loads the key once (again after a failure). @throws the loader's error (the database is unreachable). */
  ready(): Promise<void> {
    if (this.key) return Promise.resolve();
    this.loading ??= this.loadKey().then(
      (key) => {
        this.key = key;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private mac(uploadId: string, variant: MediaVariant, viewerId: string, expires: number): string {
    if (!this.key) throw new Error('media signing key not loaded: await ready() first');
    return createHmac('sha256', this.key).update(`${uploadId}/${variant}/${viewerId}/${expires}`).digest('base64url').slice(0, 32);
  }

  /** The signed URL of `uploadId`'s `variant` for `viewerId`. */
  sign(uploadId: string, variant: MediaVariant, viewerId: string, now = Date.now()): string {
    const expires = Math.ceil((now + HOUR_MS) / HOUR_MS) * (HOUR_MS / 1000);
    return `${MEDIA_PATH}/${uploadId}/${variant}?v=${viewerId}&e=${expires}&s=${this.mac(uploadId, variant, viewerId, expires)}`;
  }

  /** Every unsigned URL in a serialized JSON document, signed for `viewerId` (the document unchanged when it has none). */
  signJson(json: string, viewerId: string, now = Date.now()): string {
    if (!json.includes('\\u0001')) return json;
    return json.replace(UNSIGNED, (_match, id: string, variant: MediaVariant) => this.sign(id, variant, viewerId, now));
  }

  /**
   * The viewer a URL's query was signed for, or null when the signature is wrong, forged or expired.
   * The caller still checks that this viewer may see the upload.
   */
  verify(uploadId: string, variant: MediaVariant, query: { v?: unknown; e?: unknown; s?: unknown }, now = Date.now()): string | null {
    const { v, e, s } = query;
    if (typeof v !== 'string' || typeof e !== 'string' || typeof s !== 'string' || !/^\d{1,12}$/.test(e)) return null;
    const expires = Number(e);
    if (expires * 1000 <= now) return null;
    const expected = Buffer.from(this.mac(uploadId, variant, v, expires));
    const given = Buffer.from(s);
    return given.length === expected.length && timingSafeEqual(given, expected) ? v : null;
  }
}

/** The instance's media signing key: created once (by whichever node starts first) and read by every node. */
export async function loadSigningKey(db: Db): Promise<Buffer> {
  await db.execute(
    sql`INSERT INTO settings (key, value) VALUES ('media_signing_key', ${randomBytes(32).toString('base64')}) ON CONFLICT (key) DO NOTHING`,
  );
  const row = await firstRow<{ value: string }>(db, sql`SELECT value FROM settings WHERE key = 'media_signing_key'`);
  return Buffer.from(row!.value, 'base64');
}

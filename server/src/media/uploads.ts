/**
 * The upload pipeline: the request body is streamed (never held whole in memory) through a limit and a
 * SHA-256, its kind detected from the first bytes, then either streamed straight into the storage (files;
 * audio and video when there is no ffprobe) or written to a temporary file first and processed from it
 * (images through sharp; audio and video through ffprobe/ffmpeg). The row is inserted last, under the
 * uploader's quota; on any failure nothing is kept: no row, no object, no temporary file.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransformCallback } from 'node:stream';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import type { AttachmentView } from '../contract/objects.js';
import { toAttachment } from '../chat/message-view.js';
import type { MediaConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { firstRow } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { enforce } from '../rate-limit.js';
import { processImage, THUMBNAIL_MIME, thumbnailOf, UndecodableImage } from './images.js';
import type { AttachmentKind, DetectedType } from './kind.js';
import { detectType, SNIFF_BYTES, withVideoStream } from './kind.js';
import type { Storage } from './storage.js';
import { StorageError, storageKey } from './storage.js';
import { ffmpegAvailable, posterFrame, probe } from './video.js';

/** What the HTTP layer hands the pipeline. */
export interface UploadRequest {
  uploaderId: string;
  /** The request body, unread. */
  body: Readable;
  /** `Content-Length`, when the client sent one. */
  declaredLength: number | undefined;
  /** `Content-Type`, only a hint (audio or video in an ambiguous container). */
  declaredType: string | undefined;
  filename: string | undefined;
  /** The client's duration, used for audio and video when ffprobe cannot tell. */
  durationMs: number | undefined;
}

/** The 413 for a body over the upload limit. */
export function uploadTooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `The file is larger than the upload limit of ${maxBytes} bytes.`, { max_bytes: maxBytes });
}

/** The 413 for an upload that does not fit in the uploader's quota. */
export function quotaExceeded(quotaBytes: number, usedBytes: number): AppError {
  return new AppError('payload_too_large', `This file does not fit in your upload quota (${usedBytes} of ${quotaBytes} bytes used).`, {
    reason: 'quota_exceeded',
    quota_bytes: quotaBytes,
    used_bytes: usedBytes,
  });
}

/** The body stream ended before its end: the client went away. */
export class ClientAborted extends Error {
  constructor() {
    super('The client aborted the upload.');
    this.name = 'ClientAborted';
  }
}

/**
 * The body on its way in: counts bytes (failing past `maxBytes`), hashes them, and holds back the first
 * {@link SNIFF_BYTES} until {@link UploadBody.head} has been read, so the kind is known before anything is written.
 */
class UploadBody extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private held: Buffer[] | null = [];
  private heldBytes = 0;
  private settle!: { resolve: (head: Buffer) => void; reject: (error: Error) => void };
  /** Why the body failed (over the limit, the client gone), once it has. */
  failure: Error | null = null;
  /** The first bytes (all of them for a short body). */
  readonly head: Promise<Buffer>;

  constructor(private readonly maxBytes: number) {
    super();
    this.head = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.head.catch(() => undefined);
    // Between the head and the consumer's start, a failure is only recorded; the consumer sees the destroyed stream.
    this.on('error', (error: Error) => (this.failure ??= error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(uploadTooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    if (this.held === null) {
      callback(null, chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= SNIFF_BYTES) this.release();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.held !== null) this.release();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.settle.reject(error ?? new ClientAborted());
    callback(error);
  }

  private release(): void {
    const held = this.held!;
    this.held = null;
    const head = held.length === 1 ? held[0]! : Buffer.concat(held);
    this.settle.resolve(head);
    this.push(head);
  }

  /** The ETag of the body's bytes (once it has ended). */
  etag(): string {
    return `"${this.hash.digest('base64url')}"`;
  }
}

/** The ETag of stored bytes held in memory. */
function etagOf(data: Buffer): string {
  return `"${createHash('sha256').update(data).digest('base64url')}"`;
}

/**
 * Where bodies wait while they are processed (images, and audio/video for ffprobe): beside the media
 * directory's objects, or the system's temporary directory when the objects are in S3.
 */
export function uploadTempDir(config: MediaConfig): string {
  return config.s3 ? join(tmpdir(), 'famichat-uploading') : join(config.dir, '.uploading');
}

/** Disk full becomes the storage's `full`; other file-system errors `unavailable`; the body's own errors pass. */
function asStorageError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageError('full', 'The media storage is full.', { cause: error });
  if (typeof (error as { syscall?: unknown } | null)?.syscall === 'string') {
    return new StorageError('unavailable', 'The media storage cannot be written.', { cause: error });
  }
  return error;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

/**
 * A safe file name: the last path segment of `name`, without control or bidirectional-override characters,
 * at most 255 bytes of UTF-8 (the extension kept); `file.<ext>` when nothing usable is left.
 */
export function cleanFilename(name: string | undefined, ext: string | null): string {
  const base = (name ?? '').normalize('NFC').split(/[/\\]/).pop()!.replace(CONTROL, '').trim();
  if (base === '' || base === '.' || base === '..') return ext ? `file.${ext}` : 'file';
  if (Buffer.byteLength(base) <= 255) return base;
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : '';
  return cutUtf8(base.slice(0, base.length - extension.length), 255 - Buffer.byteLength(extension)) + extension;
}

/** The bytes one user's uploads take. */
export async function usedBytes(db: Db, userId: string): Promise<number> {
  const row = await firstRow<{ used: string | number }>(
    db,
    sql`SELECT COALESCE(sum(size_bytes), 0) AS used FROM uploads WHERE uploader_id = ${userId}`,
  );
  return Number(row?.used ?? 0);
}

/** A stored upload before its row exists. */
interface Stored {
  type: DetectedType;
  size: number;
  etag: string;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  hasThumbnail: boolean;
}

/** Everything the pipeline needs for one upload. */
interface Job {
  storage: Storage;
  config: MediaConfig;
  id: string;
  body: UploadBody;
  type: DetectedType;
  durationMs: number | undefined;
}

const ORIGINAL = (id: string) => storageKey(id, 'original');
const THUMBNAIL = (id: string) => storageKey(id, 'thumbnail');

/** Streams the body straight into the storage (kept byte for byte). */
async function storeAsIs(job: Job, durationMs: number | null): Promise<Stored> {
  const { size } = await job.storage.put(ORIGINAL(job.id), job.body, job.type.mime);
  if (job.body.failure) throw job.body.failure;
  return { type: job.type, size, etag: job.body.etag(), width: null, height: null, durationMs, hasThumbnail: false };
}

/** Removes a temporary file; one that cannot be removed is left to the sweep. */
async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/** Writes the body to a temporary file, runs `process` on it, and removes the file whatever happens. */
async function viaTempFile(job: Job, process: (path: string) => Promise<Stored>): Promise<Stored> {
  const dir = uploadTempDir(job.config);
  const path = join(dir, job.id);
  try {
    await mkdir(dir, { recursive: true });
    await pipeline(job.body, createWriteStream(path, { flags: 'wx', highWaterMark: 1 << 20 }));
    if (job.body.failure) throw job.body.failure;
  } catch (error) {
    await removeQuietly(path);
    throw asStorageError(error);
  }
  try {
    return await process(path);
  } finally {
    await removeQuietly(path);
  }
}

/** Stores the temporary file at `path` byte for byte. */
async function putFile(job: Job, path: string, type: DetectedType): Promise<number> {
  return (await job.storage.put(ORIGINAL(job.id), createReadStream(path), type.mime)).size;
}

/**
 * Waits for every write, then fails with the first failure: the clean-up after a failure must not race a
 * write still running (which would leave its object behind).
 */
async function settled<T>(writes: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** An image: processed (orientation, metadata, thumbnail); one the library cannot decode is kept as a file. */
function storeImage(job: Job): Promise<Stored> {
  return viaTempFile(job, async (path) => {
    let image;
    try {
      image = await processImage(path, job.type.mime, job.config.imageMaxPixels);
    } catch (error) {
      if (!(error instanceof UndecodableImage)) throw error;
      const type: DetectedType = { kind: 'file', mime: 'application/octet-stream', ext: job.type.ext, container: null };
      return { type, size: await putFile(job, path, type), etag: job.body.etag(), width: null, height: null, durationMs: null, hasThumbnail: false };
    }
    const [stored] = await settled([
      job.storage.put(ORIGINAL(job.id), Readable.from([image.data]), job.type.mime),
      job.storage.put(THUMBNAIL(job.id), Readable.from([image.thumbnail]), THUMBNAIL_MIME),
    ]);
    return { type: job.type, size: stored!.size, etag: etagOf(image.data), width: image.width, height: image.height, durationMs: null, hasThumbnail: true };
  });
}

/** Audio or video with ffprobe: its streams decide audio vs video; duration, dimensions and a poster from ffmpeg. */
function storeProbed(job: Job): Promise<Stored> {
  return viaTempFile(job, async (path) => {
    const facts = await probe(path);
    const type = facts && (facts.hasVideo || facts.hasAudio) ? withVideoStream(job.type, facts.hasVideo) : job.type;
    const frame = type.kind === 'video' ? await posterFrame(path) : null;
    const thumbnail = frame ? await thumbnailOf(frame, job.config.imageMaxPixels).catch(() => null) : null;
    const [size] = await settled<number>([
      putFile(job, path, type),
      ...(thumbnail ? [job.storage.put(THUMBNAIL(job.id), Readable.from([thumbnail]), THUMBNAIL_MIME).then((object) => object.size)] : []),
    ]);
    return {
      type,
      size: size!,
      etag: job.body.etag(),
      width: type.kind === 'video' ? (facts?.width ?? null) : null,
      height: type.kind === 'video' ? (facts?.height ?? null) : null,
      durationMs: facts?.durationMs ?? job.durationMs ?? null,
      hasThumbnail: thumbnail !== null,
    };
  });
}

/** Pipes `source` into `body`, failing `body` when the client goes away before the end. */
function feed(source: Readable, body: UploadBody): void {
  const aborted = () => {
    if (!source.readableEnded) body.destroy(new ClientAborted());
  };
  source.once('error', aborted);
  source.once('close', aborted);
  source.pipe(body);
}

/**
 * Receives one upload: rate limit, size limit (up front from `Content-Length`, and while streaming), quota,
 * kind from the bytes, processing, storage, and the row.
 * @throws {AppError} `rate_limited`, `payload_too_large` (over the limit, or the quota), `validation_failed`
 * (an image over the pixel limit).
 * @throws {StorageError} when the storage is unreachable or full.
 * @throws {ClientAborted} when the client goes away mid-body.
 */
export async function createUpload(deps: Deps, request: UploadRequest): Promise<AttachmentView> {
  const { config, storage, db } = deps;
  const media = config.media;
  enforce([deps.limiters.uploadsPerMinute], request.uploaderId, 'uploads');
  if (request.declaredLength !== undefined && request.declaredLength > media.uploadMaxBytes) throw uploadTooLarge(media.uploadMaxBytes);
  const used = await usedBytes(db, request.uploaderId);
  if (used + (request.declaredLength ?? 0) > media.quotaBytes || used >= media.quotaBytes) throw quotaExceeded(media.quotaBytes, used);

  const id = randomUUID();
  const body = new UploadBody(media.uploadMaxBytes);
  feed(request.body, body);
  try {
    const head = await body.head;
    const type = await detectType(head, request.declaredType);
    const job: Job = { storage, config: media, id, body, type, durationMs: request.durationMs };
    const stored = await storeByKind(job, type.kind);
    const filename = cleanFilename(request.filename, stored.type.ext);
    const row = await firstRow<{ id: string }>(
      db,
      sql`INSERT INTO uploads (id, uploader_id, kind, mime_type, filename, size_bytes, width, height, duration_ms, storage_key, thumbnail_key, etag)
          SELECT ${id}, ${request.uploaderId}, ${stored.type.kind}, ${stored.type.mime}, ${filename}, ${stored.size}, ${stored.width},
                 ${stored.height}, ${stored.durationMs}, ${ORIGINAL(id)}, ${stored.hasThumbnail ? THUMBNAIL(id) : null}, ${stored.etag}
          WHERE (SELECT COALESCE(sum(size_bytes), 0) FROM uploads WHERE uploader_id = ${request.uploaderId}) + ${stored.size} <= ${media.quotaBytes}
          RETURNING id`,
    );
    if (!row) throw quotaExceeded(media.quotaBytes, await usedBytes(db, request.uploaderId));
    return toAttachment({
      id,
      kind: stored.type.kind,
      mime_type: stored.type.mime,
      filename,
      size_bytes: stored.size,
      width: stored.width,
      height: stored.height,
      duration_ms: stored.durationMs,
      has_thumbnail: stored.hasThumbnail,
    });
  } catch (error) {
    body.destroy();
    await Promise.all([storage.delete(ORIGINAL(id)), storage.delete(THUMBNAIL(id))]).catch(() => undefined);
    // The body's own failure (over the limit, the client gone) is the cause of whatever its consumer then reports.
    throw body.failure ?? error;
  }
}

/** Routes a detected upload to its processing. */
async function storeByKind(job: Job, kind: AttachmentKind): Promise<Stored> {
  if (kind === 'image') return storeImage(job);
  if (kind === 'video' || kind === 'audio') {
    if (await ffmpegAvailable()) return storeProbed(job);
    return storeAsIs(job, job.durationMs ?? null);
  }
  return storeAsIs(job, null);
}

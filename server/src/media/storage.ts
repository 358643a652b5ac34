/**
 * Where uploaded bytes live: one small interface, two implementations (a directory, S3-compatible object
 * storage) that pass the same test suite. Keys are relative paths like `ab/<upload id>/original`.
 * @module
 */
import type { Readable } from 'node:stream';

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a store knows about a stored object. */
export interface StoredObject {
  size: number;
}

/** The bytes of uploads and their thumbnails. */
export interface Storage {
  /** `directory` or `s3`, for logs, metrics and `/readyz`. */
  readonly kind: 'directory' | 's3';
  /**
   * Streams `body` into `key`. The object becomes visible only complete: on any error (including the
   * body stream failing or being destroyed) nothing is left at `key` and no partial bytes remain.
   * @throws {StorageError} `unavailable` when the store cannot be reached, `full` when it has no space.
   */
  put(key: string, body: Readable, contentType: string): Promise<StoredObject>;
  /**
   * The object's bytes, or one range of them.
   * @returns null when there is no such object.
   * @throws {StorageError} `unavailable`.
   */
  get(key: string, range?: ByteRange): Promise<Readable | null>;
  /** The object's size, or null when it does not exist. */
  stat(key: string): Promise<StoredObject | null>;
  /** Deletes the object; deleting a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Reclaims what crashed writes left behind (temporary files, unfinished multipart uploads) older than `olderThanMs`. */
  reclaim(olderThanMs: number): Promise<number>;
  /** Resolves when the store answers (for `/readyz`). @throws {StorageError} `unavailable`. */
  check(): Promise<void>;
}

/** A storage failure: the store is unreachable, or it is out of space. */
export class StorageError extends Error {
  constructor(
    readonly reason: 'unavailable' | 'full',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The storage key of an upload's stored bytes or its thumbnail (spread over 256 prefixes). */
export function storageKey(uploadId: string, variant: 'original' | 'thumbnail'): string {
  return `${uploadId.slice(0, 2)}/${uploadId}/${variant}`;
}

/**
 * The default storage: files in a directory (`FAMICHAT_MEDIA_DIR`, default `<data dir>/media`). Writes go to
 * `.partial/` first and are renamed into place once complete and `fsync`ed, so a crash never leaves a partial
 * object visible; {@link DirectoryStorage.reclaim} removes what a crash left in `.partial/`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { ByteRange, Storage, StoredObject } from './storage.js';
import { pipeInto } from './pipe-into.js';
import { StorageError } from './storage.js';

const PARTIAL = '.partial';

/** Files under one directory. */
export class DirectoryStorage implements Storage {
  readonly kind = 'directory' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const full = resolve(this.root, key);
    // Keys are made by the server; refuse anything that would leave the root all the same.
    if (!full.startsWith(this.root + sep) || key.split('/').includes(PARTIAL)) throw new Error(`bad storage key: ${key}`);
    return full;
  }

  async put(key: string, body: Readable, _contentType: string): Promise<StoredObject> {
    const target = this.path(key);
    const partial = join(this.root, PARTIAL, `${randomUUID()}`);
    try {
      await mkdir(dirname(partial), { recursive: true });
      await mkdir(dirname(target), { recursive: true });
      // A 1 MiB buffer: the body's 64 KB chunks go out in few writev calls instead of pausing the socket after each.
      const out = createWriteStream(partial, { flags: 'wx', highWaterMark: 1 << 20 });
      try {
        await pipeInto(body, out);
      } finally {
        // The file is complete (or abandoned) only once its descriptor is closed.
        if (!out.closed) {
          out.destroy();
          await once(out, 'close');
        }
      }
      const handle = await open(partial, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const { size } = await stat(partial);
      await rename(partial, target);
      return { size };
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      // The body's own failure (the client went away, a size limit was hit) is the caller's error, not the store's.
      if (body.errored || (body.destroyed && !body.readableEnded)) throw error;
      throw toStorageError(error);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return null;
      throw toStorageError(error);
    }
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const { size } = await stat(this.path(key));
      return { size };
    } catch (error) {
      if (isCode(error, 'ENOENT')) return null;
      throw toStorageError(error);
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    // Drop the upload's now-empty directory (the prefix directories stay).
    await rm(dirname(path), { recursive: false }).catch(() => undefined);
  }

  async reclaim(olderThanMs: number): Promise<number> {
    const dir = join(this.root, PARTIAL);
    const names = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs >= olderThanMs) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (error) {
      throw toStorageError(error);
    }
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Disk full and quota errors become `full`; other file-system errors `unavailable`; a failing body passes through. */
function toStorageError(error: unknown): Error {
  if (error instanceof StorageError) return error;
  if (isCode(error, 'ENOSPC') || isCode(error, 'EDQUOT')) {
    return new StorageError('full', 'The media storage is full.', { cause: error });
  }
  if (typeof error === 'object' && error !== null && typeof (error as { syscall?: unknown }).syscall === 'string') {
    return new StorageError('unavailable', 'The media storage cannot be written.', { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The storage the configuration names: S3-compatible object storage when `FAMICHAT_S3_BUCKET` is set,
 * otherwise the media directory. Also the start-up and hourly upkeep of whichever it is.
 * @module
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaConfig } from '../config.js';
import { ConfigError, s3ConfigProblems } from '../config.js';
import { DirectoryStorage } from './dir-storage.js';
import type { S3StorageOptions } from './s3-storage.js';
import { S3Storage } from './s3-storage.js';
import type { Storage } from './storage.js';

/**
 * Creates the configured storage.
 * @throws {ConfigError} when the S3 settings are incomplete (no bucket, only one of the two keys).
 */
export function createStorage(config: MediaConfig, s3Options?: S3StorageOptions): Storage {
  if (!config.s3) return new DirectoryStorage(config.dir);
  const problems = s3ConfigProblems(config.s3);
  if (problems.length > 0) throw new ConfigError(problems);
  return new S3Storage(config.s3, s3Options);
}

/**
 * What a crashed write may leave behind is reclaimed once it is this old. A directory's partial file is
 * written to all the time while its upload runs (its age is the time since the last write), so an hour
 * of silence means it is dead. An S3 multipart upload's age is the time since it started, and another
 * node may still be sending a large file over a slow link: a day.
 */
export const RECLAIM_AFTER_MS = { directory: 3600_000, s3: 24 * 3600_000 } as const;

/** Logs of {@link maintainStorage}. */
export interface StorageLog {
  /** What was reclaimed. */
  info(details: object, message: string): void;
  /** A store that does not answer, or a reclaim that failed. */
  warn(details: object, message: string): void;
}

/** What {@link maintainStorage} looks after besides the store. */
export interface UpkeepOptions {
  /** How often leftovers are reclaimed after the start (default hourly). */
  everyMs?: number;
  /** A local directory of temporary upload files (images being processed) to clear of files an hour old. */
  tempDir?: string;
}

/** Removes the files in `dir` not written to for `olderThanMs`; returns how many. */
async function removeStaleFiles(dir: string, olderThanMs: number): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile() && Date.now() - info.mtimeMs >= olderThanMs) {
      await rm(path, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/** The running upkeep of {@link maintainStorage}. */
export interface StorageUpkeep {
  /** Ends the hourly timer. */
  stop(): void;
  /** Resolves once the start-up round (check, reclaim) is done. */
  started: Promise<void>;
}

/**
 * At start-up: checks the store (creating a missing S3 bucket) and reclaims what crashed writes left,
 * then reclaims again every hour. Failures are logged, never thrown: the chat works without its media
 * store, and `/readyz` reports it. `stop()` ends the timer; `started` resolves once the first round is done.
 */
export function maintainStorage(storage: Storage, log: StorageLog, options: UpkeepOptions = {}): StorageUpkeep {
  const olderThanMs = RECLAIM_AFTER_MS[storage.kind];
  const reclaim = async () => {
    try {
      const removed = (await storage.reclaim(olderThanMs)) + (options.tempDir ? await removeStaleFiles(options.tempDir, RECLAIM_AFTER_MS.directory) : 0);
      if (removed > 0) log.info({ storage: storage.kind, removed }, 'reclaimed what unfinished uploads left in the media storage');
    } catch (error) {
      log.warn({ storage: storage.kind, err: error }, 'could not reclaim unfinished uploads in the media storage');
    }
  };
  const started = (async () => {
    try {
      await storage.check();
    } catch (error) {
      log.warn({ storage: storage.kind, err: error }, 'the media storage does not answer: uploads fail until it does');
      return;
    }
    await reclaim();
  })();
  const timer = setInterval(() => void reclaim(), options.everyMs ?? 3600_000);
  timer.unref();
  return { stop: () => clearInterval(timer), started };
}

/**
 * The storage the configuration names: S3-compatible object storage when `FAMICHAT_S3_BUCKET` is set,
 * otherwise the media directory; and its check at start-up.
 * @module
 */
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

/** Logs of {@link prepareStorage}. */
export interface StorageLog {
  /** A store that does not answer. */
  warn(details: object, message: string): void;
}

/**
 * At start-up: checks the store, creating a missing S3 bucket, so the first upload does not find it
 * missing. A store that does not answer is logged, never thrown: the chat works without its media store,
 * `/readyz` reports it, and the bucket is created by the first readiness check that reaches the store.
 * (What crashed uploads leave behind is reclaimed by the media sweep, `sweep.ts`.)
 */
export async function prepareStorage(storage: Storage, log: StorageLog): Promise<void> {
  try {
    await storage.check();
  } catch (error) {
    log.warn({ storage: storage.kind, err: error }, 'the media storage does not answer: uploads fail until it does');
  }
}

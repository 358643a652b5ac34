/**
 * The storage the configuration names: S3-compatible object storage when `FAMICHAT_S3_BUCKET` is set,
 * otherwise the media directory.
 * @module
 */
import type { MediaConfig } from '../config.js';
import { DirectoryStorage } from './dir-storage.js';
import type { Storage } from './storage.js';

/** Creates the configured storage. */
export function createStorage(config: MediaConfig): Storage {
  // TODO(storage helper): the S3 store when config.s3 is set.
  return new DirectoryStorage(config.dir);
}

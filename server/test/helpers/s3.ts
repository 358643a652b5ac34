// A real S3-protocol server for tests: s3rver in a child process (deploy/standins/minio/s3-server.js, the
// same server the MinIO stand-in image runs), on an ephemeral loopback port over a temporary directory,
// with a bucket, and an S3Storage pointed at it. A process of its own, so that its memory is not the
// storage's (the streaming test measures the storage's) and a test can kill it.
//
// What we found running s3rver 3.7.1 with @aws-sdk/client-s3 3.1175 on Node 20:
// - With the SDK's default checksums (`WHEN_SUPPORTED`), a PutObject of a stream is sent `aws-chunked` with a
//   trailing CRC32 (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER), which s3rver does not decode:
//   it stores the framing as the object, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n" for
//   "hello" (silent corruption, no error). Buffers (multipart parts) get x-amz-checksum-crc32 headers, which it
//   ignores. The storage's `requestChecksumCalculation`/`responseChecksumValidation: 'WHEN_REQUIRED'` sends
//   plain bodies, as older MinIO, Garage and other S3-compatible stores need too.
// - Path-style URLs (`forcePathStyle`): virtual-host style would need a DNS name `<bucket>.<host>` for 127.0.0.1.
// - Multipart uploads (create, upload part, complete) work; AbortMultipartUpload and ListMultipartUploads do
//   not exist in s3rver, and `Range: bytes=0-0` is served whole: s3-server.js adds and fixes those (see there).
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Config } from '../../src/config.js';
import type { S3StorageOptions } from '../../src/media/s3-storage.js';
import { S3Storage } from '../../src/media/s3-storage.js';
import type { Started } from './process.js';
import { startProcess } from './process.js';

/** The S3 stand-in server script. */
export const S3_SERVER = fileURLToPath(new URL('../../../deploy/standins/minio/s3-server.js', import.meta.url));

/** A running s3rver with a bucket. */
export interface TestS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  bucket: string;
  /** The directory s3rver keeps its buckets in. */
  directory: string;
  process: Started;
  /** The storage settings for this server (optionally through another endpoint, e.g. a proxy). */
  config(endpoint?: string): S3Config;
  /** An S3Storage over this server (short timeouts, one attempt). */
  storage: S3Storage;
  /** Another S3Storage, e.g. through a TCP proxy; closed by {@link TestS3.stop}. */
  newStorage(endpoint?: string, options?: S3StorageOptions): S3Storage;
  /** The ids of the multipart uploads the server holds (neither completed nor aborted). */
  pendingUploads(): Promise<string[]>;
  /** The directory of one pending multipart upload (its `key` file's mtime is its Initiated time). */
  uploadDir(uploadId: string): string;
  stop(): Promise<void>;
}

/** Starts the S3 server on a free loopback port with `bucket` created (`extras: false`: plain s3rver). */
export async function startS3(options: { bucket?: string; extras?: boolean } = {}): Promise<TestS3> {
  const bucket = options.bucket ?? 'famichat-test';
  const directory = mkdtempSync(join(tmpdir(), 'famichat-s3-'));
  const server = await startProcess(process.execPath, [S3_SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      S3_ADDRESS: '127.0.0.1',
      S3_PORT: '0',
      S3_DIRECTORY: directory,
      S3_BUCKETS: bucket,
      S3_EXTRAS: options.extras === false ? 'false' : 'true',
    },
    ready: 'S3 server listening on',
    name: 'the S3 server (s3rver)',
  });
  const port = Number(/S3 server listening on (\d+)/.exec(server.output())![1]);
  const endpoint = `http://127.0.0.1:${port}`;
  const config = (at = endpoint): S3Config => ({
    bucket,
    endpoint: at,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    prefix: 'media/',
  });
  const made: S3Storage[] = [];
  const newStorage = (at = endpoint, storageOptions: S3StorageOptions = {}) => {
    const storage = new S3Storage(config(at), { connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1, ...storageOptions });
    made.push(storage);
    return storage;
  };
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  return {
    endpoint,
    port,
    bucket,
    directory,
    process: server,
    config,
    storage: newStorage(),
    newStorage,
    pendingUploads: () => readdir(uploadsDir).catch(() => [] as string[]),
    uploadDir: (uploadId) => join(uploadsDir, uploadId),
    async stop() {
      for (const storage of made) storage.close();
      if (server.running()) server.child.kill('SIGKILL');
      await server.exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

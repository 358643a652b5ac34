/**
 * S3-compatible object storage (AWS S3, MinIO, Garage, Cloudflare R2, ...): the store several server nodes
 * share. Puts stream through a multipart upload of 8 MiB parts (`@aws-sdk/lib-storage`), so an upload is
 * never whole in memory, and a failed or abandoned upload is aborted: S3 shows an object only once it is
 * complete. {@link S3Storage.reclaim} aborts the multipart uploads a crash left unfinished.
 * @module
 */
import { Readable, Transform } from 'node:stream';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '../config.js';
import { pipeInto } from './pipe-into.js';
import type { ByteRange, Storage, StoredObject } from './storage.js';
import { StorageError } from './storage.js';

/** Tuning of {@link S3Storage} (tests shorten the timeouts). */
export interface S3StorageOptions {
  /** Bytes per multipart part (at least 5 MiB, the S3 minimum; default 8 MiB). */
  partSize?: number;
  /** Parts uploaded at once per put (default 1: a family's uplink is far slower than a part's trip to the store; memory per upload is about 2-3 × partSize per queued part). */
  queueSize?: number;
  /** How long opening a connection may take (default 3 s), so an outage fails fast. */
  connectionTimeoutMs?: number;
  /** How long a request may go without any bytes moving (default 30 s, enough for an 8 MiB part). */
  requestTimeoutMs?: number;
  /** Attempts per request, the first included (default 2). */
  maxAttempts?: number;
  /** Create the bucket in {@link S3Storage.check} when it does not exist (default true). */
  createBucket?: boolean;
}

const MIB = 1024 * 1024;

/** Objects in one bucket, under a key prefix. */
export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  /** The SDK client (tests use it to look into the bucket). */
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly createBucket: boolean;
  private bucketReady = false;

  constructor(config: S3Config, options: S3StorageOptions = {}) {
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.partSize = Math.max(options.partSize ?? 8 * MIB, 5 * MIB);
    this.queueSize = options.queueSize ?? 1;
    this.createBucket = options.createBucket ?? true;
    const clientConfig: S3ClientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      // The SDK's default CRC32 checksum headers (and aws-chunked bodies) are rejected by many S3-compatible
      // stores (older MinIO, Garage; s3rver even stores the aws-chunked framing as the object); send and check
      // checksums only where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 2,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 3000,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
      },
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
    };
    this.client = new S3Client(clientConfig);
  }

  /** The object key of a storage key, under the configured prefix. */
  objectKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Readable, contentType: string): Promise<StoredObject> {
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    // The body's own failure (the client went away, a size limit was hit) is the caller's error, not the store's.
    let bodyError: unknown;
    const piped = pipeInto(body, counted).catch((error: unknown) => {
      if (body.errored || (body.destroyed && !body.readableEnded)) bodyError = error;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: counted, ContentType: contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // On any failure the multipart upload is aborted, so no part stays stored (or reclaim() finds it).
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      await piped;
      return { size };
    } catch (error) {
      bodyError ??= body.errored ?? (body.destroyed && !body.readableEnded ? prematureEnd() : undefined);
      if (bodyError !== undefined) throw bodyError as Error;
      throw toStorageError(error);
    } finally {
      counted.destroy();
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      // A range past the end is empty, as a file read past its end.
      if (error instanceof S3ServiceException && error.name === 'InvalidRange') return Readable.from([]);
      throw toStorageError(error);
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toStorageError(error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw toStorageError(error);
    }
  }

  /**
   * Aborts the multipart uploads under the prefix that were started more than `olderThanMs` ago. A store
   * without ListMultipartUploads (s3rver) answers NotImplemented: then there is nothing this can list, and
   * 0 is returned (such stores should expire incomplete uploads with a lifecycle rule instead).
   */
  async reclaim(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || (upload.Initiated && upload.Initiated.getTime() > cutoff)) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
          removed += 1;
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === 'NotImplemented') return removed;
      throw toStorageError(error);
    }
    return removed;
  }

  /** Resolves when the bucket answers; creates it first when it is missing (and creating is allowed). */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      this.bucketReady = true;
    } catch (error) {
      if (!(isNotFound(error) && this.createBucket && !this.bucketReady)) throw toStorageError(error);
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
        this.bucketReady = true;
      } catch (createError) {
        // Another node created it at the same moment.
        if (createError instanceof S3ServiceException && ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(createError.name)) return;
        throw toStorageError(createError);
      }
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}

function prematureEnd(): Error {
  return Object.assign(new Error('The body ended before its end.'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** NoSuchKey, NoSuchBucket, NotFound or a bare 404 (HEAD responses have no body to name the error). */
function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes(error.name) || error.$metadata.httpStatusCode === 404;
}

/** Out of space (MinIO's 507, a quota) → `full`; everything else the store or the network did → `unavailable`. */
function toStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  if (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 507 || ['XMinioStorageFull', 'QuotaExceeded', 'InsufficientStorage'].includes(error.name))
  ) {
    return new StorageError('full', 'The media storage is full.', { cause: error });
  }
  return new StorageError('unavailable', 'The media storage is unavailable.', { cause: error });
}

// An S3-protocol server on s3rver (the npm package), for the MinIO stand-in image and for the server's tests
// (server/test/helpers/s3.ts starts it as a child process). It completes what s3rver 3.7 lacks and real
// stores (MinIO, Garage, R2, AWS) have:
// - AbortMultipartUpload (DELETE ?uploadId=; s3rver answers 405) and ListMultipartUploads (GET ?uploads;
//   s3rver answers NotImplemented), over s3rver's own upload directory
//   `<bucket>/._S3rver_uploads/<upload id>/` (the parts, and a `key` file written when the upload was
//   created: its mtime is the upload's Initiated time). Both are signature-checked as every other request.
// - `Range: bytes=N-0`: s3rver reads the end with `options.end || Infinity` and serves bytes=0-0 (the first
//   byte, what players ask for first) whole; such a read gets its range applied here.
// - MinIO's health endpoints, /minio/health/live and /minio/health/ready (no signature, as in MinIO).
// Buckets are path-style only: s3rver otherwise takes a host name that is not an IP or localhost (`minio`
// on a compose network) for a bucket name (CNAME-style virtual hosting), and CreateBucket of `famichat` at
// http://minio:9000/famichat answers NoSuchBucket.
// Settings: S3_ADDRESS (0.0.0.0), S3_PORT (9000; 0 = any free port), S3_DIRECTORY (/data), S3_BUCKETS
// (comma-separated, created at start), S3_EXTRAS=false for plain s3rver; the key pair is MINIO_ROOT_USER /
// MINIO_ROOT_PASSWORD (s3rver's own S3RVER/S3RVER also works). Prints "S3 server listening on <port>".
import console from 'node:console';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
const authentication = require('s3rver/lib/middleware/authentication');

const env = process.env;
const directory = env.S3_DIRECTORY || '/data';
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';
const escapeXml = (text) => String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

if (env.MINIO_ROOT_USER && env.MINIO_ROOT_PASSWORD) AWSAccount.DUMMY_ACCOUNT.createKeyPair(env.MINIO_ROOT_USER, env.MINIO_ROOT_PASSWORD);

function extras(server) {
  const uploadsOf = (bucket) => server.store.getResourcePath(bucket, undefined, 'uploads');
  const checkSignature = authentication();
  const xml = (ctx, status, body) => {
    ctx.status = status;
    ctx.type = 'application/xml';
    ctx.body = XML + body;
  };
  const listUploads = async (ctx, bucket) => {
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const dir = uploadsOf(bucket);
    const entries = [];
    for (const id of await readdir(dir).catch(() => [])) {
      const keyFile = join(dir, id, 'key');
      const key = await readFile(keyFile, 'utf8').catch(() => undefined);
      if (key === undefined || !key.startsWith(prefix)) continue;
      const { mtime } = await stat(keyFile);
      entries.push(`<Upload><Key>${escapeXml(key)}</Key><UploadId>${escapeXml(id)}</UploadId><Initiated>${mtime.toISOString()}</Initiated></Upload>`);
    }
    xml(ctx, 200, `<ListMultipartUploadsResult><Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`);
  };
  const abortUpload = async (ctx, bucket, uploadId) => {
    const dir = join(uploadsOf(bucket), uploadId);
    if (uploadId.includes('/') || uploadId.includes('..') || !(await stat(dir).then(() => true, () => false))) {
      return xml(ctx, 404, '<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
    }
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = null;
  };
  return async (ctx, next) => {
    if (ctx.method === 'GET' && (ctx.path === '/minio/health/live' || ctx.path === '/minio/health/ready')) {
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    const [bucket, ...keyParts] = ctx.path.split('/').filter(Boolean);
    if (!bucket) return next();
    const list = ctx.method === 'GET' && keyParts.length === 0 && ctx.query.uploads !== undefined;
    const abort = ctx.method === 'DELETE' && keyParts.length > 0 && typeof ctx.query.uploadId === 'string';
    if (!list && !abort) return next();
    ctx.params = { bucket, key: keyParts.map(decodeURIComponent).join('/') };
    return checkSignature(ctx, () => (list ? listUploads(ctx, bucket) : abortUpload(ctx, bucket, ctx.query.uploadId)));
  };
}

function fixZeroEndRanges(store) {
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    if (!options || options.end !== 0) return getObject(bucket, key, options);
    const object = await getObject(bucket, key, { start: options.start || 0, end: 1 });
    if (!object || !object.content || !object.range || object.range.start !== 0) return object;
    object.content.destroy();
    object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
    object.range = { start: 0, end: 0 };
    return object;
  };
}

async function main() {
  await mkdir(directory, { recursive: true });
  const buckets = (env.S3_BUCKETS || '').split(',').filter(Boolean).map((name) => ({ name }));
  const server = new S3rver({
    address: env.S3_ADDRESS || '0.0.0.0',
    port: Number(env.S3_PORT || 9000),
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: buckets,
  });
  if (env.S3_EXTRAS !== 'false') {
    fixZeroEndRanges(server.store);
    // Before s3rver's router (its last middleware), which would answer these requests itself.
    server.middleware.splice(server.middleware.length - 1, 0, extras(server));
  }
  const { port } = await server.run();
  console.log(`S3 server listening on ${port} (directory ${directory})`);
  const stop = () => server.close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

try {
  await main();
} catch (error) {
  console.error('the S3 server failed to start:', error);
  process.exit(1);
}

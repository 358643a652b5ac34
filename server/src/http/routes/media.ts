/**
 * Routes: uploading a file (the raw request body, streamed), and serving stored media to the viewers a
 * signed URL was issued to (no Authorization header: `<img>`, `<video>` and `<audio>` fetch them).
 * @module
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Type } from 'typebox';
import { canSeeUpload } from '../../chat/access.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { THUMBNAIL_MIME } from '../../media/images.js';
import type { ByteRange } from '../../media/storage.js';
import { createUpload } from '../../media/uploads.js';
import { requireAuth } from '../auth.js';
import { ok, sendError } from '../envelope.js';
import { closeAfterDraining } from '../errors.js';
import { doc, ref, responses } from '../schemas.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one answer for a wrong, expired or forged URL, an unknown upload, and one the viewer may not see. */
const mediaNotFound = () => new AppError('not_found', 'The media does not exist.');

/** What a served file may do: nothing (never run as a page or script of the app's origin). */
export const MEDIA_CSP = "default-src 'none'; sandbox";

/**
 * The range a `Range` header asks for within `size` bytes: null to serve everything (no header, one
 * that is malformed, or several ranges), `unsatisfiable` for a range that starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? Infinity : Number(match[2]);
  if (last < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, as for GET). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === bare;
  });
}

/** `Content-Disposition` (RFC 6266) with an ASCII fallback name and the exact name in RFC 5987 encoding. */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The ETag of an upload's thumbnail, derived from the upload's (a thumbnail never changes). */
const thumbnailEtag = (etag: string) => `${etag.slice(0, -1)}.thumbnail"`;

/**
 * After an error answered before the whole body was read: the connection closes once the client has read
 * the answer (the rest of the body is drained, bounded), instead of a reset that would lose it.
 */
function releaseBody(request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.readableEnded) return;
  request.raw.unpipe();
  reply.header('connection', 'close');
  closeAfterDraining(request.raw);
}

const BinaryBody = { type: 'string', format: 'binary' } as const;

const MediaParams = Type.Object({ id: Type.String(), variant: Type.String({ description: 'original or thumbnail' }) });
// Not validated beyond presence: any malformed signature is the same 404 as a wrong one.
const MediaQuery = Type.Object({
  v: Type.Optional(Type.Unknown({ description: 'The viewer the URL was issued to' })),
  e: Type.Optional(Type.Unknown({ description: 'Expiry, unix seconds' })),
  s: Type.Optional(Type.Unknown({ description: 'Signature' })),
});

/** The media route's error responses: 404 for every URL that does not serve, and 416 for a range past the end. */
function mediaErrors() {
  const errors = responses({}, [404, 416], false);
  errors[416] = { ...errors[416]!, description: 'bad_request: the range is not satisfiable (Content-Range: bytes */size)' };
  return errors;
}

/** A request for a media URL. */
type MediaRequest = FastifyRequest<{ Params: Static<typeof MediaParams>; Querystring: Static<typeof MediaQuery> }>;

/** Media routes under `/api/v1`. */
export function mediaRoutes(deps: Deps): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    // In this scope every body is the raw file, left unread for the handler to stream.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    const authenticate = requireAuth(deps);

    app.post('/uploads', {
      preHandler: async (request, reply) => {
        try {
          await authenticate.call(app, request, reply);
        } catch (error) {
          releaseBody(request, reply);
          throw error;
        }
      },
      schema: doc('media', 'Upload a photo, video, voice message or file (the raw body)', {
        description:
          'The request body is the file itself, with its Content-Type (a hint only: the kind comes from the bytes). ' +
          'Streamed to storage; larger than FAMICHAT_UPLOAD_MAX_BYTES: 413 payload_too_large (details.max_bytes), answered before ' +
          'the connection closes, nothing kept. An upload that would take the caller\'s uploads over their quota ' +
          '(FAMICHAT_UPLOAD_QUOTA_BYTES, counting every upload of theirs): 413 payload_too_large with ' +
          'details {reason: "quota_exceeded", quota_bytes, used_bytes} (a retry does not help, so it is not a 429). ' +
          'Uploads started per minute are limited: 429 rate_limited. Images are stored with their metadata removed and ' +
          'orientation applied; an image over FAMICHAT_IMAGE_MAX_PIXELS is 422 validation_failed; bytes with an image\'s ' +
          'magic number that do not decode are stored as kind "file" (application/octet-stream). HEIC is stored as a file. ' +
          'Storage unreachable or full: 503 unavailable with Retry-After. The upload is swept after 24 h unless a message ' +
          'carries it or it is a profile picture.',
        querystring: Type.Object({
          filename: Type.Optional(Type.String({ maxLength: 1024, description: 'The file name shown to people; sanitized, at most 255 bytes kept' })),
          duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Audio or video length, used when the server cannot read it' })),
        }),
        consumes: ['*/*'],
        body: Type.Unsafe<unknown>({ ...BinaryBody, description: 'The file' }),
        response: responses({ 201: ref('Attachment') }, [429]),
      }),
      // The body is never parsed (the handler streams it): validation sees it as the empty string its schema allows.
      preValidation: (request, _reply, next) => {
        request.body = '';
        next();
      },
    }, async (request, reply) => {
      const length = request.headers['content-length'];
      try {
        const view = await createUpload(deps, {
          uploaderId: request.caller.userId,
          body: request.raw,
          declaredLength: length === undefined ? undefined : Number(length),
          declaredType: request.headers['content-type'],
          filename: request.query.filename,
          durationMs: request.query.duration_ms,
        });
        reply.code(201);
        return ok(view);
      } catch (error) {
        releaseBody(request, reply);
        throw error;
      }
    });

    const serve = async (request: MediaRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { id, variant } = request.params;
      if (!UUID.test(id) || (variant !== 'original' && variant !== 'thumbnail')) throw mediaNotFound();
      await deps.media.ready();
      const viewerId = deps.media.verify(id, variant, request.query);
      if (viewerId === null) throw mediaNotFound();
      const upload = await canSeeUpload(deps.db, id, viewerId);
      const key = variant === 'original' ? upload?.storage_key : upload?.thumbnail_key;
      if (!upload || !key) throw mediaNotFound();

      let size = upload.size_bytes;
      let etag = upload.etag;
      let type = upload.mime_type;
      let disposition: 'inline' | 'attachment' = upload.kind === 'file' ? 'attachment' : 'inline';
      if (variant === 'thumbnail') {
        const stat = await deps.storage.stat(key);
        if (!stat) throw mediaNotFound();
        size = stat.size;
        etag = thumbnailEtag(etag);
        type = THUMBNAIL_MIME;
        disposition = 'inline';
      }
      const remaining = Math.max(0, Number(request.query.e) - Math.floor(Date.now() / 1000));
      reply
        .header('etag', etag)
        .header('cache-control', `private, max-age=${remaining}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', MEDIA_CSP)
        .header('content-disposition', contentDisposition(disposition, upload.filename))
        .header('accept-ranges', 'bytes');
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();

      const ifRange = request.headers['if-range'];
      const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, size) : null;
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`).removeHeader('content-disposition');
        return sendError(request, reply, 416, { code: 'bad_request', message: `The range is not satisfiable: the file has ${size} bytes.` });
      }
      reply.type(type);
      if (range) {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
      } else {
        reply.code(200).header('content-length', String(size));
      }
      if (request.method === 'HEAD') return reply.send();
      const stream = await deps.storage.get(key, range ?? undefined);
      if (!stream) {
        reply.removeHeader('content-length').removeHeader('content-range').removeHeader('content-disposition');
        throw mediaNotFound();
      }
      return reply.send(stream);
    };
    // HEAD: the same headers without the body (and without reading the object); not a separate operation in the document.
    app.head('/media/:id/:variant', { schema: { hide: true, params: MediaParams, querystring: MediaQuery } }, serve);
    app.get('/media/:id/:variant', {
      exposeHeadRoute: false,
      schema: doc('media', 'A stored file or its thumbnail, for the viewer its signed URL was issued to (public: the URL is the capability)', {
        description:
          'The URL comes from an Attachment (url, thumbnail_url) or a User (avatar_url), signed for one viewer (v, e, s). ' +
          'Every fetch re-checks that the viewer may still see the upload; a wrong, expired or forged URL, an unknown upload ' +
          'and one the viewer may no longer see are the same 404. Range requests (one range) get 206, an unsatisfiable one 416; ' +
          'If-None-Match with the ETag gets 304. Served with Cache-Control: private, X-Content-Type-Options: nosniff, ' +
          'Content-Disposition inline (image, video, audio) or attachment (other files) and a sandboxing Content-Security-Policy.',
        security: [],
        params: MediaParams,
        querystring: MediaQuery,
        produces: ['*/*'],
        response: {
          200: { ...BinaryBody, description: 'The bytes, with the stored Content-Type' },
          206: { ...BinaryBody, description: 'The requested range (Content-Range)' },
          304: { type: 'null', description: 'Not modified (If-None-Match)' },
          ...mediaErrors(),
        },
      }),
    }, serve);
    done();
  };
}

/**
 * TypeBox schemas of the envelopes and route helpers; with the API objects of contract/objects.ts they
 * validate requests, shape responses and generate the OpenAPI document.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import {
  Attachment,
  Branding,
  Conversation,
  Family,
  FamilyDetail,
  Invite,
  InvitePreview,
  Me,
  Member,
  Message,
  Id,
  Nullable,
  OpenInvite,
  PasswordReset,
  PasswordResetPreview,
  Session,
  Theme,
  User,
} from '../contract/objects.js';
import { ERROR_CODES } from '../errors.js';

/** Telemetry metadata on every response. */
export const Meta = Type.Object(
  {
    request_id: Type.String(),
    trace_id: Type.String({ description: 'OpenTelemetry trace id (32 hex)' }),
    duration_ms: Type.Number(),
    page: Type.Optional(
      Type.Object({
        has_more: Type.Boolean(),
        first_seq: Type.Optional(Nullable(Type.Integer())),
        last_seq: Type.Optional(Nullable(Type.Integer())),
      }),
    ),
  },
  { $id: 'Meta' },
);

/** The success envelope around `data`. */
export const envelope = <T extends TSchema>(data: T) =>
  Type.Object({ data, meta: Type.Ref('Meta') }, { additionalProperties: false });

/** The error envelope. */
export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(ERROR_CODES, { type: 'string', description: 'snake_case error code from the contract' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    meta: Type.Ref('Meta'),
  },
  { $id: 'Error' },
);

/** What logging in (or resetting a password) returns: the caller, a bearer token and its session. */
export const AuthResult = Type.Object({ user: Type.Ref('Me'), token: Type.String(), session_id: Id });

/** Every named schema, registered once with Fastify (for `$ref`) and listed in OpenAPI components. */
export const SHARED_SCHEMAS = [Meta, ErrorEnvelope, User, Me, Family, Member, FamilyDetail, Attachment, Message, Conversation, Session, Invite, OpenInvite, InvitePreview, PasswordReset, PasswordResetPreview, Theme, Branding];

/**
 * A route's schema with its OpenAPI tag and summary first (what every route has), then the rest: request
 * schemas, `responses(...)`, a description.
 */
export function doc<S extends object>(tag: string, summary: string, schema: S): { tags: string[]; summary: string } & S {
  return { tags: [tag], summary, ...schema };
}

/** Reference to a shared schema by id. */
export const ref = (id: string) => Type.Ref(id);

/** Path parameter `:id`. */
export const IdParams = Type.Object({ id: Type.String() });

/** Statuses and descriptions of the error responses, for the OpenAPI document. */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'bad_request: malformed JSON or wrong content type',
  401: 'unauthorized: missing, unknown, expired or revoked token',
  403: 'forbidden (or no_shared_family): not allowed',
  404: 'not_found: unknown, or not visible to the caller',
  409: 'conflict: details.reason says which',
  410: 'gone: invite or password-reset link expired, used, withdrawn or replaced, or its creator no longer a family admin',
  413: 'payload_too_large: a message body over 8192 bytes of UTF-8, or a request body over the server limit',
  422: 'validation_failed: details.fields maps field to reason',
  429: 'rate_limited: see Retry-After and details.retry_in_ms',
  500: 'internal',
  503: 'unavailable: the database is unreachable; see Retry-After',
};

/** Marks the `response` schema of a route that needs no token (see {@link markPublicRoutes}). */
const PUBLIC = Symbol('public-route');

/**
 * The `response` schema of a route: its success responses plus the listed error statuses
 * (400, 413, 422, 500 and 503 are always included, since any request body may be malformed or over
 * the server's limit; 401 when `auth`).
 */
export function responses(
  success: Record<number, TSchema | null>,
  errors: number[] = [],
  auth = true,
): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const [status, schema] of Object.entries(success)) {
    out[Number(status)] =
      schema === null ? Type.Null({ description: 'No content' }) : { ...envelope(schema), description: 'Success' };
  }
  const all = new Set([400, 413, 422, 500, 503, ...(auth ? [401] : []), ...errors]);
  for (const status of [...all].sort()) {
    // Errors are JSON envelopes whatever the route produces on success (e.g. text/css), so their
    // media type is given explicitly rather than taken from the route's `produces`.
    out[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: Type.Ref('Error') } },
    };
  }
  if (!auth) Object.defineProperty(out, PUBLIC, { value: true });
  return out;
}

/**
 * Documents the routes that need no token (their `response` built by {@link responses} with
 * `auth = false`, or with no error responses at all, like `/metrics`) as public in the OpenAPI
 * document (`security: []`), overriding the document-wide bearer requirement.
 * Must be installed before the routes are registered.
 */
export function markPublicRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { response?: Record<string | symbol, unknown>; security?: unknown } | undefined;
    if (!schema?.response || schema.security !== undefined) return;
    if (schema.response[PUBLIC] === true || !('401' in schema.response)) schema.security = [];
  });
}

/**
 * TypeBox schemas of the API objects and envelopes; they validate requests, shape responses and
 * generate the OpenAPI document.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import { ERROR_CODES } from '../errors.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Id = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' });

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

/** A user as others see them. */
export const User = Type.Object(
  { id: Id, username: Type.String(), display_name: Type.String(), created_at: Time },
  { $id: 'User' },
);

/** The caller's own profile. */
export const Me = Type.Object(
  {
    id: Id,
    username: Type.String(),
    display_name: Type.String(),
    created_at: Time,
    preferences: Type.Object({ theme: Nullable(Type.String()) }),
    is_instance_admin: Type.Boolean(),
  },
  { $id: 'Me' },
);

/** A family, with the caller's role. */
export const Family = Type.Object(
  {
    id: Id,
    name: Type.String(),
    created_at: Time,
    role: Type.Enum(['admin', 'member']),
  },
  { $id: 'Family' },
);

/** A family member. */
export const Member = Type.Object(
  { user: Type.Ref('User'), role: Type.Enum(['admin', 'member']), joined_at: Time },
  { $id: 'Member' },
);

/** A family with members and its family conversation. */
export const FamilyDetail = Type.Object(
  {
    id: Id,
    name: Type.String(),
    created_at: Time,
    role: Type.Enum(['admin', 'member']),
    members: Type.Array(Type.Ref('Member')),
    conversation_id: Id,
  },
  { $id: 'FamilyDetail' },
);

/** A message. */
export const Message = Type.Object(
  {
    id: Id,
    conversation_id: Id,
    seq: Type.Integer({ minimum: 1 }),
    sender_id: Id,
    body: Type.String(),
    client_id: Nullable(Type.String()),
    inserted_at: Time,
    edited_at: Nullable(Time),
    deleted_at: Nullable(Time),
  },
  { $id: 'Message' },
);

/** A conversation as the caller sees it. */
export const Conversation = Type.Object(
  {
    id: Id,
    type: Type.Enum(['direct', 'self', 'group', 'family']),
    title: Type.String(),
    family_id: Nullable(Id),
    participants: Type.Array(Type.Ref('User')),
    latest_message_seq: Type.Integer(),
    last_message: Nullable(Type.Ref('Message')),
    last_message_at: Nullable(Time),
    unread_count: Type.Integer(),
    hidden: Type.Boolean(),
    created_at: Time,
    read_up_to: Type.Object({}, {
      additionalProperties: Type.Integer({ minimum: 0 }),
      description:
        "Every current participant's read cursor (the highest seq they have read), keyed by user id, so \"seen by\" survives a reload. " +
        'Cursors only move forward: a client merging updates keeps the higher value per user.',
    }),
  },
  { $id: 'Conversation' },
);

/** A session of the caller. */
export const Session = Type.Object(
  {
    id: Id,
    device_name: Nullable(Type.String()),
    created_at: Time,
    last_seen_at: Time,
    current: Type.Boolean(),
  },
  { $id: 'Session' },
);

/** A created invite. */
export const Invite = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Extension: names the invite to withdraw it' }),
    token: Type.String({ description: 'Shown once; the invite link is /invite/<token>' }),
    expires_at: Time,
    role: Type.Enum(['admin', 'member']),
  },
  { $id: 'Invite' },
);

/** An open invite as its family's admins see it (never its token). */
export const OpenInvite = Type.Object(
  {
    id: Id,
    role: Type.Enum(['admin', 'member']),
    created_by: Type.Ref('User'),
    created_at: Time,
    expires_at: Time,
  },
  { $id: 'OpenInvite' },
);

/** What an invite link leads to, shown before the registration form. */
export const InvitePreview = Type.Object(
  {
    family_name: Type.String(),
    role: Type.Enum(['admin', 'member']),
    invited_by: Type.String({ description: "The display name of the invite's creator" }),
    expires_at: Time,
  },
  { $id: 'InvitePreview' },
);

/** A created password-reset link. */
export const PasswordReset = Type.Object(
  {
    token: Type.String({ description: 'Shown once; the reset link is /reset/<token>' }),
    expires_at: Time,
  },
  { $id: 'PasswordReset' },
);

/** Whose password a reset link resets, shown before the form. */
export const PasswordResetPreview = Type.Object(
  { username: Type.String(), display_name: Type.String(), expires_at: Time },
  { $id: 'PasswordResetPreview' },
);

/** What logging in (or resetting a password) returns: the caller, a bearer token and its session. */
export const AuthResult = Type.Object({ user: Type.Ref('Me'), token: Type.String(), session_id: Id });

/** A theme: design tokens. */
export const Theme = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scheme: Type.Enum(['light', 'dark']),
    tokens: Type.Record(Type.String(), Type.String(), {
      description: 'color.background, color.surface, color.text, color.accent, color.bubble.mine, color.bubble.theirs, font.family, radius (required); color.text.muted, color.accent.text, color.bubble.mine.text, color.bubble.theirs.text, color.border (optional)',
    }),
  },
  { $id: 'Theme' },
);

/** The deployment's branding. */
export const Branding = Type.Object(
  {
    app_name: Type.String(),
    tagline: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
    default_theme: Type.String(),
    themes: Type.Array(Type.Ref('Theme')),
  },
  { $id: 'Branding' },
);

/** Every named schema, registered once with Fastify (for `$ref`) and listed in OpenAPI components. */
export const SHARED_SCHEMAS = [Meta, ErrorEnvelope, User, Me, Family, Member, FamilyDetail, Message, Conversation, Session, Invite, OpenInvite, InvitePreview, PasswordReset, PasswordResetPreview, Theme, Branding];

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

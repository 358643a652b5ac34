/**
 * The API's objects as TypeBox schemas, and the view types every layer uses, derived from them: one definition
 * that validates and documents a response (http/schemas.ts registers these) and types the code building it.
 * A leaf: it imports nothing of the server, so every layer may use it.
 * @module
 */
import type { Static, TSchema } from 'typebox';
import { Type } from 'typebox';

/** `schema`, or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A UUID. */
export const Id = Type.String({ format: 'uuid' });
/** A timestamp as the API writes it. */
export const Time = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' });
/** A role in a family (also an invite's). */
const FamilyRole = Type.Enum(['admin', 'member']);

/** A user as others see them. */
export const User = Type.Object(
  {
    id: Id,
    username: Type.String(),
    display_name: Type.String(),
    avatar_url: Nullable(Type.String({ description: "A short-lived URL of the profile picture, issued to the viewer (like an attachment's)" })),
    created_at: Time,
  },
  { $id: 'User' },
);

/** The caller's own profile. */
export const Me = Type.Object(
  {
    id: Id,
    username: Type.String(),
    display_name: Type.String(),
    avatar_url: Nullable(Type.String()),
    created_at: Time,
    preferences: Type.Object({ theme: Nullable(Type.String()) }),
    is_instance_admin: Type.Boolean(),
  },
  { $id: 'Me' },
);

/** What a family shows to each of its members, the detail view included. */
const FAMILY_FIELDS = { id: Id, name: Type.String(), created_at: Time, role: FamilyRole };

/** A family, with the caller's role. */
export const Family = Type.Object(FAMILY_FIELDS, { $id: 'Family' });

/** A family member. */
export const Member = Type.Object(
  { user: Type.Ref('User'), role: FamilyRole, joined_at: Time },
  { $id: 'Member' },
);

/** A family with members and its family conversation. */
export const FamilyDetail = Type.Object(
  { ...FAMILY_FIELDS, members: Type.Array(Type.Ref('Member')), conversation_id: Id },
  { $id: 'FamilyDetail' },
);

/** A photo, video, voice message or file: an upload, attached to at most one message. */
export const Attachment = Type.Object(
  {
    id: Id,
    kind: Type.Enum(['image', 'video', 'audio', 'file'], { description: 'From the content (magic bytes), never from the name or declared type' }),
    mime_type: Type.String(),
    filename: Type.String(),
    size_bytes: Type.Integer({ minimum: 0 }),
    width: Nullable(Type.Integer({ minimum: 1 })),
    height: Nullable(Type.Integer({ minimum: 1 })),
    duration_ms: Nullable(Type.Integer({ minimum: 0 })),
    url: Type.String({ description: 'Relative URL issued to this viewer, valid for at least an hour; no Authorization header needed' }),
    thumbnail_url: Nullable(Type.String({ description: 'At most 640 px on the longer side (images; videos when the server has ffmpeg)' })),
  },
  { $id: 'Attachment' },
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
    attachments: Type.Array(Type.Ref('Attachment')),
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
    // TypeBox types an object schema by its properties alone: this one is a map of user id to cursor.
    read_up_to: Type.Unsafe<Record<string, number>>(
      Type.Object({}, {
        additionalProperties: Type.Integer({ minimum: 0 }),
        description:
          "Every current participant's read cursor (the highest seq they have read), keyed by user id, so \"seen by\" survives a reload. " +
          'Cursors only move forward: a client merging updates keeps the higher value per user.',
      }),
    ),
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
    role: FamilyRole,
  },
  { $id: 'Invite' },
);

/** An open invite as its family's admins see it (never its token). */
export const OpenInvite = Type.Object(
  {
    id: Id,
    role: FamilyRole,
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
    role: FamilyRole,
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

/** The named objects a `Type.Ref` may point to, so the view types resolve references to them. */
type Named = { User: typeof User; Member: typeof Member; Message: typeof Message; Theme: typeof Theme; Attachment: typeof Attachment };

/** A user as other people see them. */
export type UserView = Static<typeof User>;
/** The caller's own view of themselves. */
export type MeView = Static<typeof Me>;
/** A family as one of its members sees it. */
export type FamilyView = Static<typeof Family>;
/** A member of a family. */
export type MemberView = Static<typeof Member, Named>;
/** A family with its members and its family conversation. */
export type FamilyDetailView = Static<typeof FamilyDetail, Named>;
/** A message as the API shows it. */
export type MessageView = Static<typeof Message, Named>;
/** The API view of an attachment. */
export type AttachmentView = Static<typeof Attachment>;
/** A conversation as one participant sees it. */
export type ConversationView = Static<typeof Conversation, Named>;
/** A session as listed to its owner. */
export type SessionView = Static<typeof Session>;
/** A created invite; the token is shown only here. */
export type InviteView = Static<typeof Invite>;
/** An open invite as its family's admins see it (never its token). */
export type OpenInviteView = Static<typeof OpenInvite, Named>;
/** What the invite page shows before the registration form. */
export type InvitePreviewView = Static<typeof InvitePreview>;
/** A created password-reset link; the token is shown only here. */
export type PasswordResetView = Static<typeof PasswordReset>;
/** Whose password a reset link resets. */
export type PasswordResetPreviewView = Static<typeof PasswordResetPreview>;
/** A theme as clients see it. */
export type ThemeView = Static<typeof Theme>;
/** The branding clients see. */
export type BrandingView = Static<typeof Branding, Named>;

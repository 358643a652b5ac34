/**
 * Object types of the Famichat API, taken from the generated OpenAPI types (`api-types.ts`).
 * @module
 */
import type { components, paths } from './api-types.js';

type Schemas = components['schemas'];
/** A user as others see them. */
export type User = Schemas['User'];
/** The caller: a user with preferences and the instance admin flag. */
export type Me = Schemas['Me'];
/** A family with the caller's role. */
export type Family = Schemas['Family'];
/** A family with its members and its family conversation. */
export type FamilyDetail = Schemas['FamilyDetail'];
/** A family member and their role. */
export type Member = Schemas['Member'];
/** A conversation as the caller sees it (title, unread count, last message). */
export type Conversation = Schemas['Conversation'];
/** A message; `seq` increases by one per message in its conversation. */
export type Message = Schemas['Message'];
/** A stored file as a message carries it (or an upload answered it): kind, type, name, size, dimensions, URLs. */
export type Attachment = Schemas['Attachment'];
/** The same object under the server's name for it. */
export type AttachmentView = Attachment;
/** An attachment's kind, from its content: image, video, audio or file. */
export type AttachmentKind = Attachment['kind'];
/** A login session of the caller. */
export type Session = Schemas['Session'];
/** A new invite: its token makes the link `/invite/<token>`. */
export type Invite = Schemas['Invite'];
/** An open invite as its family's admins see it (no token). */
export type OpenInvite = Schemas['OpenInvite'];
/** What an invite link leads to: family name, role, who invites, expiry. */
export type InvitePreview = Schemas['InvitePreview'];
/** A new password-reset link: its token makes the link `/reset/<token>`. */
export type PasswordReset = Schemas['PasswordReset'];
/** Whose password a reset link resets. */
export type PasswordResetPreview = Schemas['PasswordResetPreview'];
/** A theme: design tokens. */
export type Theme = Schemas['Theme'];
/** The deployment's white-label settings. */
export type Branding = Schemas['Branding'];
/** The envelope's meta object. */
export type Meta = Schemas['Meta'];
/** A family role. */
export type Role = Member['role'];
/** What login returns (register and setup add the family), as the OpenAPI document describes it. */
export type AuthResult = paths['/api/v1/auth/login']['post']['responses'][200]['content']['application/json']['data'];
/** The SDK's own shape of a page of messages (not an API object): the messages and whether more exist. */
export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

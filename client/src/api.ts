/**
 * A small typed client of the REST API: openapi-fetch over the `paths` generated from the server's OpenAPI
 * document, so a wrong path, body or response shape is a compile error. It unwraps the `{data, meta}`
 * envelope and turns `{error}` answers into a typed {@link ApiError}.
 * @module
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './api-types.js';
import type { Attachment, Me, Message, MessagePage, Meta, Role } from './types.js';
import type { RawAnswer, UploadOptions } from './upload.js';
import { UploadAborted, fetchUpload, uploadQuery, xhrUpload } from './upload.js';

/**
 * The error codes of the API contract (the OpenAPI document's enum), plus `network` when the server could not be
 * reached and `aborted` when the caller cancelled an upload.
 */
export type ApiErrorCode = components['schemas']['Error']['error']['code'] | 'network' | 'aborted';

/** An error answer of the API (or a network failure, code `network`, status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    /** When to try again (from the `Retry-After` header, or `details.retry_in_ms`), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** `details.fields` of a validation error: field -> reason. */
  get fields(): Record<string, string> {
    const fields = this.details?.fields;
    return fields && typeof fields === 'object' ? (fields as Record<string, string>) : {};
  }
}

/** Options of {@link createApi}. */
export interface ApiOptions {
  /** Origin of the server, e.g. `https://chat.example.org`; empty for the page's own origin (browsers only). */
  baseUrl?: string;
  /** The current bearer token, read on every request. */
  getToken?: () => string | null | undefined;
  /** Called when a request with a token is answered 401 (the session ended). */
  onUnauthorized?: () => void;
  /** The fetch implementation, called with a `Request` (tests pass their own). */
  fetch?: (request: Request) => Promise<Response>;
}

/** A message to send: text, attachments (ids of the sender's own uploads, at most 10), or both. */
export interface SendMessageBody {
  /** The text; may be empty when there are attachments. */
  body?: string;
  /** Makes the send idempotent: a retry with the same id returns the original message. */
  client_id?: string;
  /** Ids of uploads (`uploadFile`) to attach, at most 10. */
  attachment_ids?: string[];
}

/** A successful answer: the envelope's data and meta. */
export interface Envelope<T> {
  /** The answer itself. */
  data: T;
  /** Request id, trace id, duration and paging. */
  meta: Meta;
}

/** The per-call options {@link createApi} hands openapi-fetch: the token header and a fetch that keeps the response. */
// A type alias, not an interface: openapi-fetch's init parameter needs the implicit index signature.
type CallInit = {
  headers: Record<string, string>;
  fetch: (request: Request) => Promise<Response>;
};

/** What an openapi-fetch call resolves to; `data` is the success body (undefined for a 204). */
interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** Creates an API client. Every method returns the envelope's `data` or throws an {@link ApiError}. */
export function createApi(options: ApiOptions = {}) {
  const client = createClient<paths>({ baseUrl: (options.baseUrl ?? '').replace(/\/$/, '') });
  const doFetch = options.fetch ?? ((request: Request) => fetch(request));

  // The one place that adds the token and maps network failures, error answers and a lost session.
  async function send<D>(call: (init: CallInit) => Promise<Answer<D>>): Promise<Answer<D>> {
    const token = options.getToken?.();
    let response: Response | undefined;
    const init: CallInit = {
      headers: token ? { accept: 'application/json', authorization: `Bearer ${token}` } : { accept: 'application/json' },
      fetch: async (request) => (response = await doFetch(request)),
    };
    let answer: Answer<D>;
    try {
      answer = await call(init);
    } catch (error) {
      if (response) throw failure(response, undefined); // answered, but the body was not JSON
      throw new ApiError('network', 0, `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (answer.response.ok) return answer;
    if (answer.response.status === 401 && token) options.onUnauthorized?.();
    throw failure(answer.response, answer.error);
  }
  // A success with an envelope: its body, or an `internal` error when the server sent none.
  async function envelope<T>(call: (init: CallInit) => Promise<Answer<Envelope<T>>>): Promise<Envelope<T>> {
    const answer = await send(call);
    if (answer.data === undefined) throw failure(answer.response, undefined);
    return answer.data;
  }
  const data = async <T>(call: (init: CallInit) => Promise<Answer<Envelope<T>>>): Promise<T> => (await envelope(call)).data;
  const none = async (call: (init: CallInit) => Promise<Answer<unknown>>): Promise<void> => {
    await send(call);
  };
  // Raw body and progress: openapi-fetch has neither, so the upload is its own request with the same mapping.
  async function uploadFile(blob: Blob, upload: UploadOptions): Promise<Attachment> {
    const token = options.getToken?.();
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': blob.type || 'application/octet-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    const url = `${(options.baseUrl ?? '').replace(/\/$/, '')}/api/v1/uploads?${uploadQuery(upload)}`;
    let answer: RawAnswer;
    try {
      answer =
        !options.fetch && typeof XMLHttpRequest !== 'undefined'
          ? await xhrUpload(url, blob, headers, upload)
          : await fetchUpload(doFetch, url, blob, headers, upload);
    } catch (error) {
      if (error instanceof UploadAborted) throw new ApiError('aborted', 0, error.message);
      throw error;
    }
    if (answer.status === 0) throw new ApiError('network', 0, 'The server could not be reached (the upload was interrupted).');
    let parsed: unknown;
    try {
      parsed = answer.contentType?.includes('json') ? JSON.parse(answer.body) : undefined;
    } catch {
      parsed = undefined;
    }
    const response = new Response(null, { status: answer.status, headers: answer.retryAfter ? { 'retry-after': answer.retryAfter } : {} });
    if (answer.status >= 200 && answer.status < 300) {
      const attachment = (parsed as { data?: Attachment } | undefined)?.data;
      if (!attachment) throw failure(response, undefined);
      return attachment;
    }
    if (answer.status === 401 && token) options.onUnauthorized?.();
    throw failure(response, parsed);
  }
  // openapi-fetch fills `{id}` & co. from `params.path`, URL-encoding each value.
  const path = <P extends Record<string, string>>(params: P) => ({ params: { path: params } });

  return {
    setupStatus: () => data((init) => client.GET('/api/v1/setup', init)),
    setup: (body: { username: string; password: string; display_name: string; family_name: string }) =>
      data((init) => client.POST('/api/v1/setup', { ...init, body })),
    login: (body: { username: string; password: string; device_name?: string }) => data((init) => client.POST('/api/v1/auth/login', { ...init, body })),
    register: (body: { invite_token: string; username: string; password: string; display_name: string }) =>
      data((init) => client.POST('/api/v1/auth/register', { ...init, body })),
    logout: () => none((init) => client.DELETE('/api/v1/auth/session', init)),
    me: () => data((init) => client.GET('/api/v1/me', init)),
    updateMe: (body: { display_name?: string; preferences?: { theme?: string | null } }) => data((init) => client.PATCH('/api/v1/me', { ...init, body })),
    sessions: () => data((init) => client.GET('/api/v1/me/sessions', init)),
    /** Logs one of the caller's sessions out: its token stops working and its sockets close. */
    revokeSession: (sessionId: string) => none((init) => client.DELETE('/api/v1/me/sessions/{id}', { ...init, ...path({ id: sessionId }) })),
    /** Logs out every other device of the caller (all sessions but this one). */
    revokeOtherSessions: () => none((init) => client.DELETE('/api/v1/me/sessions', init)),
    /** Changes the caller's password; a wrong current one is `validation_failed` with `fields.current_password`. */
    changePassword: (body: { current_password: string; new_password: string }) =>
      none((init) => client.POST('/api/v1/me/password', { ...init, body })),
    /** A single-use password-reset link for a family member (family admins); the link is `/reset/<token>`. */
    createPasswordReset: (familyId: string, userId: string) =>
      data((init) =>
        client.POST('/api/v1/families/{id}/members/{user_id}/password-reset', { ...init, ...path({ id: familyId, user_id: userId }) }),
      ),
    /** Whose password a reset link resets (no token needed); `gone` when it can no longer be used. */
    previewPasswordReset: (token: string) => data((init) => client.GET('/api/v1/password-resets/{token}', { ...init, ...path({ token }) })),
    /** Sets a new password with a reset link and logs in (every older session of that person ends). */
    resetPassword: (body: { token: string; password: string }) => data((init) => client.POST('/api/v1/auth/password-reset', { ...init, body })),
    families: () => data((init) => client.GET('/api/v1/families', init)),
    family: (familyId: string) => data((init) => client.GET('/api/v1/families/{id}', { ...init, ...path({ id: familyId }) })),
    createFamily: (name: string) => data((init) => client.POST('/api/v1/families', { ...init, body: { name } })),
    createInvite: (familyId: string, role: Role = 'member') =>
      data((init) => client.POST('/api/v1/families/{id}/invites', { ...init, ...path({ id: familyId }), body: { role } })),
    /** The family's open invites (family admins), without their tokens. */
    invites: (familyId: string) => data((init) => client.GET('/api/v1/families/{id}/invites', { ...init, ...path({ id: familyId }) })),
    /** Withdraws an invite (family admins): it can no longer be used. */
    revokeInvite: (familyId: string, inviteId: string) =>
      none((init) => client.DELETE('/api/v1/families/{id}/invites/{invite_id}', { ...init, ...path({ id: familyId, invite_id: inviteId }) })),
    /** What an invite link leads to (no token needed); `gone` when it can no longer be used. */
    previewInvite: (token: string) => data((init) => client.GET('/api/v1/invites/{token}', { ...init, ...path({ token }) })),
    setRole: (familyId: string, userId: string, role: Role) =>
      data((init) => client.PATCH('/api/v1/families/{id}/members/{user_id}', { ...init, ...path({ id: familyId, user_id: userId }), body: { role } })),
    removeMember: (familyId: string, userId: string) =>
      none((init) => client.DELETE('/api/v1/families/{id}/members/{user_id}', { ...init, ...path({ id: familyId, user_id: userId }) })),
    conversations: (includeHidden = false) =>
      data((init) => client.GET('/api/v1/conversations', { ...init, params: { query: { include_hidden: includeHidden } } })),
    conversation: (conversationId: string) => data((init) => client.GET('/api/v1/conversations/{id}', { ...init, ...path({ id: conversationId }) })),
    createDirect: (participantId: string) =>
      data((init) => client.POST('/api/v1/conversations', { ...init, body: { type: 'direct', participant_id: participantId } })),
    createSelf: () => data((init) => client.POST('/api/v1/conversations', { ...init, body: { type: 'self' } })),
    createGroup: (familyId: string, title: string, participantIds: string[]) =>
      data((init) =>
        client.POST('/api/v1/conversations', { ...init, body: { type: 'group', family_id: familyId, title, participant_ids: participantIds } }),
      ),
    updateConversation: (conversationId: string, body: { hidden?: boolean; title?: string }) =>
      data((init) => client.PATCH('/api/v1/conversations/{id}', { ...init, ...path({ id: conversationId }), body })),
    /** Adds a family member to a group (group admins). */
    addParticipant: (conversationId: string, userId: string) =>
      data((init) => client.POST('/api/v1/conversations/{id}/participants', { ...init, ...path({ id: conversationId }), body: { user_id: userId } })),
    /** Removes someone from a group (group admins), or leaves it (one's own id). */
    removeParticipant: (conversationId: string, userId: string) =>
      none((init) =>
        client.DELETE('/api/v1/conversations/{id}/participants/{user_id}', { ...init, ...path({ id: conversationId, user_id: userId }) }),
      ),
    /** A page of messages, ascending by seq: the latest, or those before/after a seq. */
    messages: async (conversationId: string, cursor: { before?: number; after?: number; limit?: number } = {}): Promise<MessagePage> => {
      const query = { limit: cursor.limit, before: cursor.before, after: cursor.after };
      const page = await envelope((init) => client.GET('/api/v1/conversations/{id}/messages', { ...init, params: { path: { id: conversationId }, query } }));
      return { messages: page.data, hasMore: page.meta.page?.has_more ?? false };
    },
    /** Sends a message: its text (and client_id), or a {@link SendMessageBody} with attachments. */
    sendMessage: (conversationId: string, message: string | SendMessageBody, clientId?: string): Promise<Message> => {
      const fields: SendMessageBody = typeof message === 'string' ? { body: message } : { ...message };
      if (clientId) fields.client_id = clientId;
      if (fields.attachment_ids?.length === 0) delete fields.attachment_ids;
      // The contract's send body gains `attachment_ids` with the media routes; until the types are regenerated, cast.
      const body = { ...fields, body: fields.body ?? '' } as { body: string; client_id?: string };
      return data((init) => client.POST('/api/v1/conversations/{id}/messages', { ...init, ...path({ id: conversationId }), body }));
    },
    /**
     * Uploads a file (`POST /api/v1/uploads`) with its type as Content-Type; resolves with the stored attachment,
     * to send with `sendMessage(id, {attachment_ids})`. Progress in browsers (XMLHttpRequest); a cancelled upload
     * rejects with code `aborted`.
     */
    uploadFile: (blob: Blob, upload: UploadOptions): Promise<Attachment> => uploadFile(blob, upload),
    /** Sets the caller's profile picture from an image upload's id, or removes it with `null`. */
    setAvatar: (uploadId: string | null): Promise<Me> =>
      data((init) => client.PATCH('/api/v1/me', { ...init, body: { avatar_upload_id: uploadId } as { display_name?: string } })),
    editMessage: (conversationId: string, messageId: string, body: string) =>
      data((init) =>
        client.PATCH('/api/v1/conversations/{id}/messages/{message_id}', { ...init, ...path({ id: conversationId, message_id: messageId }), body: { body } }),
      ),
    deleteMessage: (conversationId: string, messageId: string) =>
      none((init) => client.DELETE('/api/v1/conversations/{id}/messages/{message_id}', { ...init, ...path({ id: conversationId, message_id: messageId }) })),
    markRead: (conversationId: string, seq: number) =>
      data((init) => client.POST('/api/v1/conversations/{id}/read', { ...init, ...path({ id: conversationId }), body: { seq } })),
    branding: () => data((init) => client.GET('/api/v1/branding', init)),
    theme: (themeId: string) => data((init) => client.GET('/api/v1/themes/{id}', { ...init, ...path({ id: themeId }) })),
  };
}

/** The API client {@link createApi} returns. */
export type Api = ReturnType<typeof createApi>;

// An error answer as ApiError: the envelope's code and message, or a code from the status when there is no envelope.
function failure(response: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } } | undefined)?.error;
  const retryAfterMs = retryAfter(response, error?.details);
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError(error.code as ApiErrorCode, response.status, error.message, error.details, retryAfterMs);
  }
  return new ApiError(response.ok ? 'internal' : statusCode(response.status), response.status, `Unexpected answer from the server (HTTP ${response.status}).`, undefined, retryAfterMs);
}

// When to try again: `details.retry_in_ms`, else the Retry-After header (seconds, or an HTTP date).
function retryAfter(response: Response, details: Record<string, unknown> | undefined): number | undefined {
  const inMs = Number(details?.retry_in_ms);
  if (details?.retry_in_ms !== undefined && Number.isFinite(inMs)) return inMs;
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function statusCode(status: number): ApiErrorCode {
  const codes: Record<number, ApiErrorCode> = {
    400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 410: 'gone',
    413: 'payload_too_large', 422: 'validation_failed', 429: 'rate_limited', 503: 'unavailable',
  };
  return codes[status] ?? 'internal';
}

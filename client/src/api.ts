/**
 * A small typed fetch wrapper over the REST API: it unwraps the `{data, meta}` envelope and turns
 * `{error}` responses into a typed {@link ApiError}.
 * @module
 */
import type {
  AuthResult,
  Branding,
  Conversation,
  Family,
  FamilyDetail,
  Invite,
  InvitePreview,
  Me,
  Message,
  MessagePage,
  Meta,
  OpenInvite,
  Role,
  Session,
  Theme,
} from './types.js';

/** The error codes of the API contract, plus `network` when the server could not be reached. */
export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'no_shared_family'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'validation_failed'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'
  | 'network'
  | (string & {});

/** An error answer of the API (or a network failure, code `network`, status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
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
  /** Origin of the server, e.g. `https://chat.example.org`; empty for the page's own origin. */
  baseUrl?: string;
  /** The current bearer token, read on every request. */
  getToken?: () => string | null | undefined;
  /** Called when a request with a token is answered 401 (the session ended). */
  onUnauthorized?: () => void;
  /** The fetch implementation (tests pass their own). */
  fetch?: typeof fetch;
}

/** A successful answer: the envelope's data and meta. */
export interface Envelope<T> {
  data: T;
  meta: Meta;
}

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Creates an API client. Every method returns the envelope's `data` or throws an {@link ApiError}. */
export function createApi(options: ApiOptions = {}) {
  const base = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: Method, path: string, body?: unknown): Promise<Envelope<T>> {
    const token = options.getToken?.();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(`${base}/api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError('network', 0, `The server could not be reached (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (response.status === 204) return { data: undefined as T, meta: {} as Meta };
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new ApiError(response.ok ? 'internal' : statusCode(response.status), response.status, `Unexpected answer from the server (HTTP ${response.status}).`);
    }
    const envelope = parsed as { data?: T; meta?: Meta; error?: { code: string; message: string; details?: Record<string, unknown> } };
    if (!response.ok || envelope.error) {
      const error = envelope.error ?? { code: statusCode(response.status), message: `HTTP ${response.status}` };
      if (response.status === 401 && token) options.onUnauthorized?.();
      throw new ApiError(error.code, response.status, error.message, error.details);
    }
    return { data: envelope.data as T, meta: envelope.meta as Meta };
  }
  const data = async <T>(method: Method, path: string, body?: unknown) => (await request<T>(method, path, body)).data;
  const id = encodeURIComponent;

  return {
    request,
    setupStatus: () => data<{ needs_setup: boolean }>('GET', '/setup'),
    setup: (body: { username: string; password: string; display_name: string; family_name: string }) =>
      data<AuthResult & { family: Family }>('POST', '/setup', body),
    login: (body: { username: string; password: string; device_name?: string }) => data<AuthResult>('POST', '/auth/login', body),
    register: (body: { invite_token: string; username: string; password: string; display_name: string }) =>
      data<AuthResult & { family: Family }>('POST', '/auth/register', body),
    logout: () => data<void>('DELETE', '/auth/session'),
    me: () => data<Me>('GET', '/me'),
    updateMe: (body: { display_name?: string; preferences?: { theme?: string | null } }) => data<Me>('PATCH', '/me', body),
    sessions: () => data<Session[]>('GET', '/me/sessions'),
    families: () => data<Family[]>('GET', '/families'),
    family: (familyId: string) => data<FamilyDetail>('GET', `/families/${id(familyId)}`),
    createFamily: (name: string) => data<Family>('POST', '/families', { name }),
    createInvite: (familyId: string, role: Role = 'member') => data<Invite>('POST', `/families/${id(familyId)}/invites`, { role }),
    /** The family's open invites (family admins), without their tokens. */
    invites: (familyId: string) => data<OpenInvite[]>('GET', `/families/${id(familyId)}/invites`),
    /** Withdraws an invite (family admins): it can no longer be used. */
    revokeInvite: (familyId: string, inviteId: string) => data<void>('DELETE', `/families/${id(familyId)}/invites/${id(inviteId)}`),
    /** What an invite link leads to (no token needed); `gone` when it can no longer be used. */
    previewInvite: (token: string) => data<InvitePreview>('GET', `/invites/${id(token)}`),
    setRole: (familyId: string, userId: string, role: Role) => data<unknown>('PATCH', `/families/${id(familyId)}/members/${id(userId)}`, { role }),
    removeMember: (familyId: string, userId: string) => data<void>('DELETE', `/families/${id(familyId)}/members/${id(userId)}`),
    conversations: (includeHidden = false) => data<Conversation[]>('GET', `/conversations?include_hidden=${includeHidden}`),
    conversation: (conversationId: string) => data<Conversation>('GET', `/conversations/${id(conversationId)}`),
    createDirect: (participantId: string) => data<Conversation>('POST', '/conversations', { type: 'direct', participant_id: participantId }),
    createSelf: () => data<Conversation>('POST', '/conversations', { type: 'self' }),
    createGroup: (familyId: string, title: string, participantIds: string[]) =>
      data<Conversation>('POST', '/conversations', { type: 'group', family_id: familyId, title, participant_ids: participantIds }),
    updateConversation: (conversationId: string, body: { hidden?: boolean; title?: string }) =>
      data<Conversation>('PATCH', `/conversations/${id(conversationId)}`, body),
    /** A page of messages, ascending by seq: the latest, or those before/after a seq. */
    messages: async (conversationId: string, cursor: { before?: number; after?: number; limit?: number } = {}): Promise<MessagePage> => {
      const query = new URLSearchParams();
      if (cursor.limit !== undefined) query.set('limit', String(cursor.limit));
      if (cursor.before !== undefined) query.set('before', String(cursor.before));
      if (cursor.after !== undefined) query.set('after', String(cursor.after));
      const qs = query.toString();
      const page = await request<Message[]>('GET', `/conversations/${id(conversationId)}/messages${qs ? `?${qs}` : ''}`);
      return { messages: page.data, hasMore: page.meta.page?.has_more ?? false };
    },
    sendMessage: (conversationId: string, body: string, clientId?: string) =>
      data<Message>('POST', `/conversations/${id(conversationId)}/messages`, { body, ...(clientId ? { client_id: clientId } : {}) }),
    editMessage: (conversationId: string, messageId: string, body: string) =>
      data<Message>('PATCH', `/conversations/${id(conversationId)}/messages/${id(messageId)}`, { body }),
    deleteMessage: (conversationId: string, messageId: string) =>
      data<void>('DELETE', `/conversations/${id(conversationId)}/messages/${id(messageId)}`),
    markRead: (conversationId: string, seq: number) => data<{ seq: number }>('POST', `/conversations/${id(conversationId)}/read`, { seq }),
    branding: () => data<Branding>('GET', '/branding'),
    theme: (themeId: string) => data<Theme>('GET', `/themes/${id(themeId)}`),
  };
}

/** The API client {@link createApi} returns. */
export type Api = ReturnType<typeof createApi>;

function statusCode(status: number): ApiErrorCode {
  const codes: Record<number, ApiErrorCode> = {
    400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 410: 'gone',
    413: 'payload_too_large', 422: 'validation_failed', 429: 'rate_limited', 503: 'unavailable',
  };
  return codes[status] ?? 'internal';
}

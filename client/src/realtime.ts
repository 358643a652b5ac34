/**
 * Real time over the official `phoenix` client: one socket, join helpers for the three topics
 * (`message:<type>:<id>`, `user:<id>`, `family:<id>` with Presence), catch-up on every (re)join with
 * `after_seq`, and a send that reports offline/timeout as retryable so the {@link Outbox} resends it.
 * @module
 */
import type { Channel, SocketConnectOption } from 'phoenix';
import { Presence, Socket } from 'phoenix';
import type { SendResult } from './outbox.js';
import type { Conversation, Message, User } from './types.js';

/** Connection state of the socket. */
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/** Options of {@link RealtimeClient}. */
export interface RealtimeOptions {
  /** The socket endpoint, e.g. `wss://chat.example.org/socket` or `/socket` (made absolute from the page). */
  url: string;
  token: string;
  /** Extra phoenix Socket options (Node passes `transport: WebSocket` from `ws`). */
  socketOptions?: Partial<SocketConnectOption>;
  /** How long a push waits for its reply before it counts as lost (and is resent). */
  pushTimeoutMs?: number;
  /** Called when the server closes the socket because the session was revoked (close code 1008). */
  onSessionEnded?: () => void;
}

/** Handlers of a conversation channel. */
export interface ConversationHandlers {
  /** The highest seq already shown: sent as `after_seq` on every (re)join. */
  afterSeq: () => number;
  /** Catch-up page of a (re)join. `hasMore`: page on over HTTP with `after`. */
  onJoin?: (reply: { latest_seq: number; messages: Message[]; has_more: boolean }) => void;
  onJoinError?: (reason: string) => void;
  /** The server closed the channel (`phx_close`): the caller was removed from the conversation. */
  onClosed?: () => void;
  onMessage?: (message: Message) => void;
  onUpdated?: (message: Message) => void;
  onDeleted?: (message: Message) => void;
  onTyping?: (userId: string) => void;
  onRead?: (userId: string, seq: number) => void;
}

/** A joined conversation channel. */
export interface ConversationChannel {
  readonly channel: Channel;
  /** Whether the channel is joined (pushes go out now). */
  isJoined(): boolean;
  /** Sends a message (with the ids of its uploads, if any); offline or timed out: a retryable failure. */
  send(body: string, clientId: string, attachmentIds?: readonly string[]): Promise<SendResult>;
  typing(): void;
  read(seq: number): Promise<number | undefined>;
  leave(): void;
}

/** One entry of a family's presence list. */
export interface PresenceEntry {
  userId: string;
  devices: number;
  onlineAt: string | undefined;
}

const RETRYABLE = new Set(['rate_limited', 'timeout', 'offline', 'unavailable']);

/** The socket and its channels. */
export class RealtimeClient {
  readonly socket: Socket;
  private statusValue: ConnectionStatus = 'connecting';
  private readonly listeners = new Set<(status: ConnectionStatus) => void>();
  private readonly pushTimeoutMs: number;
  /** Between connect() and disconnect(): the socket is meant to be up whenever the network is. */
  private started = false;

  constructor(options: RealtimeOptions) {
    this.pushTimeoutMs = options.pushTimeoutMs ?? 10_000;
    this.socket = new Socket(options.url, {
      params: { token: options.token },
      reconnectAfterMs: (tries: number) => [250, 500, 1000, 2000, 5000][tries - 1] ?? 10_000,
      rejoinAfterMs: (tries: number) => [250, 1000, 2000][tries - 1] ?? 5000,
      ...options.socketOptions,
    });
    this.socket.onOpen(() => this.setStatus('open'));
    this.socket.onError(() => this.setStatus('closed'));
    this.socket.onClose((event: unknown) => {
      this.setStatus('closed');
      if ((event as { code?: number } | undefined)?.code === 1008) options.onSessionEnded?.();
    });
  }

  /** The current connection state. */
  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  connect(): void {
    this.started = true;
    this.setStatus('connecting');
    this.socket.connect();
  }

  disconnect(): void {
    this.started = false;
    this.socket.disconnect();
    this.setStatus('closed');
  }

  /**
   * Whether the device has a network (a browser's `online` / `offline` events). Offline closes the socket at
   * once rather than waiting ~60 s for the heartbeat to time out; back online reconnects now, not after the
   * backoff. Channels rejoin (catching up with `after_seq`) when the socket opens.
   */
  setNetwork(online: boolean): void {
    if (!this.started) return;
    if (!online) {
      this.socket.disconnect();
      this.setStatus('closed');
    } else if (!this.socket.isConnected()) {
      this.setStatus('connecting');
      // A clean disconnect first cancels the scheduled reconnect, which would tear down the new connection.
      this.socket.disconnect(() => {
        if (this.started) this.socket.connect();
      });
    }
  }

  /** Joins `message:<type>:<id>`; rejoins (with a fresh `after_seq`) after every reconnect. */
  joinConversation(conversation: Pick<Conversation, 'id' | 'type'>, handlers: ConversationHandlers): ConversationChannel {
    const channel = this.socket.channel(`message:${conversation.type}:${conversation.id}`, () => ({ after_seq: handlers.afterSeq() }));
    channel.on('new_msg', (p: { message: Message }) => handlers.onMessage?.(p.message));
    channel.on('message_updated', (p: { message: Message }) => handlers.onUpdated?.(p.message));
    channel.on('message_deleted', (p: { message: Message }) => handlers.onDeleted?.(p.message));
    channel.on('typing', (p: { user_id: string }) => handlers.onTyping?.(p.user_id));
    channel.on('read', (p: { user_id: string; seq: number }) => handlers.onRead?.(p.user_id, p.seq));
    let leaving = false;
    channel.onClose(() => {
      if (!leaving) handlers.onClosed?.();
    });
    channel
      .join()
      .receive('ok', (reply: { latest_seq: number; messages: Message[]; has_more: boolean }) => handlers.onJoin?.(reply))
      .receive('error', (reply: { reason?: string }) => handlers.onJoinError?.(reply.reason ?? 'error'));
    const timeout = this.pushTimeoutMs;
    const socket = this.socket;
    return {
      channel,
      isJoined: () => channel.state === 'joined' && socket.isConnected(),
      send: (body, clientId, attachmentIds) =>
        new Promise<SendResult>((resolve) => {
          // Never let phoenix buffer the push: the outbox resends it after the rejoin, with the same client_id.
          if (!(channel.state === 'joined' && socket.isConnected())) {
            resolve({ ok: false, retryable: true, reason: 'offline' });
            return;
          }
          channel
            .push('new_msg', { body, client_id: clientId, ...(attachmentIds?.length ? { attachment_ids: [...attachmentIds] } : {}) }, timeout)
            .receive('ok', (reply: { message: Message }) => resolve({ ok: true, message: reply.message }))
            .receive('error', (reply: { reason?: string; retry_in_ms?: number }) => {
              const reason = reply.reason ?? 'error';
              resolve({ ok: false, retryable: RETRYABLE.has(reason), reason, ...(reply.retry_in_ms !== undefined ? { retryInMs: reply.retry_in_ms } : {}) });
            })
            .receive('timeout', () => resolve({ ok: false, retryable: true, reason: 'timeout' }));
        }),
      typing: () => {
        if (channel.state === 'joined' && socket.isConnected()) channel.push('typing', {});
      },
      read: (seq) =>
        new Promise<number | undefined>((resolve) => {
          if (!(channel.state === 'joined' && socket.isConnected())) return resolve(undefined);
          channel
            .push('read', { seq }, timeout)
            .receive('ok', (reply: { seq: number }) => resolve(reply.seq))
            .receive('error', () => resolve(undefined))
            .receive('timeout', () => resolve(undefined));
        }),
      leave: () => {
        leaving = true;
        channel.leave();
      },
    };
  }

  /** Joins `user:<id>`: conversation list updates, and conversations the user was removed from. */
  joinUser(
    userId: string,
    handlers: {
      onCreated?: (c: Conversation) => void;
      onUpdated?: (c: Conversation) => void;
      onRemoved?: (conversationId: string) => void;
      onJoin?: () => void;
    },
  ): Channel {
    const channel = this.socket.channel(`user:${userId}`, {});
    channel.on('conversation_created', (p: { conversation: Conversation }) => handlers.onCreated?.(p.conversation));
    channel.on('conversation_updated', (p: { conversation: Conversation }) => handlers.onUpdated?.(p.conversation));
    channel.on('conversation_removed', (p: { conversation_id: string }) => handlers.onRemoved?.(p.conversation_id));
    channel.join().receive('ok', () => handlers.onJoin?.());
    return channel;
  }

  /** Joins `family:<id>`: who is online (Presence) and members joining or leaving. */
  joinFamily(
    familyId: string,
    handlers: { onPresence?: (online: PresenceEntry[]) => void; onMemberJoined?: (u: User) => void; onMemberLeft?: (u: User) => void },
  ): Channel {
    const channel = this.socket.channel(`family:${familyId}`, {});
    const presence = new Presence(channel);
    presence.onSync(() => {
      handlers.onPresence?.(
        presence.list((id: string, entry: { metas: Array<{ online_at?: string }> }) => ({
          userId: id,
          devices: entry.metas.length,
          onlineAt: entry.metas[0]?.online_at,
        })),
      );
    });
    channel.on('member_joined', (p: { user: User }) => handlers.onMemberJoined?.(p.user));
    channel.on('member_left', (p: { user: User }) => handlers.onMemberLeft?.(p.user));
    channel.join();
    return channel;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const listener of this.listeners) listener(status);
  }
}

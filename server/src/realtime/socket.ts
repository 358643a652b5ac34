/**
 * One WebSocket connection speaking Phoenix Channels v2: heartbeats, joins, leaves, pushes, replies,
 * limits (channels per socket, outbound buffer), and closing channels when access is revoked.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { REVOCATIONS_TOPIC, revokedRecently } from '../accounts/sessions.js';
import { ACCESS_REVOKED_TOPIC } from '../chat/access.js';
import { isDatabaseUnavailable } from '../db/connect.js';
import { channelsJoined, socketsOpen } from '../telemetry/metrics.js';
import type { Channel, ChannelDeps, SocketContext } from './channels.js';
import { join } from './channels.js';
import type { Ref } from './protocol.js';
import { decode, encode, isBadFrame, reply } from './protocol.js';

/** Per-socket limits. */
export interface SocketLimits {
  maxChannels: number;
  /** Bytes queued for a slow reader before the socket is dropped. */
  maxBufferedBytes: number;
}

interface Joined {
  joinRef: Ref;
  channel: Channel;
}

/** A connected, authenticated socket. */
export class Connection implements SocketContext {
  readonly id = randomUUID();
  lastSeen = Date.now();
  private readonly channels = new Map<string, Joined>();
  private readonly joining = new Set<string>();
  /** Channels (`kind:resourceId`) whose access was revoked while a join was in progress. */
  private readonly revokedWhileJoining = new Set<string>();
  private readonly stops: (() => void)[] = [];
  private closed = false;
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws`, corked while a turn of the event loop writes to it. */
    private readonly raw: Duplex,
    readonly userId: string,
    readonly sessionId: string,
    private readonly node: ChannelDeps,
    private readonly limits: SocketLimits,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    socketsOpen.inc();
    ws.on('message', (data, isBinary) => {
      this.lastSeen = Date.now();
      if (isBinary) return;
      // The socket keeps ws's default binaryType ('nodebuffer'): a message is one Buffer.
      void this.receive((data as Buffer).toString('utf8'));
    });
    ws.on('close', () => this.cleanup());
    ws.on('error', () => this.cleanup());
    // Revoking the session closes the socket; leaving a conversation or family closes its channel.
    this.stops.push(
      node.hub.listenKeyed(REVOCATIONS_TOPIC, 'session_id', sessionId, () => this.close(1008, 'session revoked')),
      node.hub.listenKeyed(ACCESS_REVOKED_TOPIC, 'user_id', userId, (event) => {
        const { conversation_id: conversationId, family_id: familyId } = event.payload as {
          conversation_id?: string;
          family_id?: string;
        };
        // A join past its access check but not yet registered must not outlive the revocation either.
        if (this.joining.size > 0) {
          if (conversationId) this.revokedWhileJoining.add(`message:${conversationId}`);
          if (familyId) this.revokedWhileJoining.add(`family:${familyId}`);
        }
        for (const [topic, joined] of this.channels) {
          const id = joined.channel.resourceId;
          if ((joined.channel.kind === 'message' && id === conversationId) || (joined.channel.kind === 'family' && id === familyId)) {
            this.closeChannel(topic, joined);
          }
        }
      }),
    );
    // The upgrade authenticated the session before this socket listened for its revocation: one announced
    // in between is remembered by the node (no query per socket).
    if (revokedRecently(node.deps, sessionId)) process.nextTick(() => this.close(1008, 'session revoked'));
  }

  /**
   * Sends a text frame (a string, or a Buffer of UTF-8 encoded once for many sockets), dropping the socket
   * if the client does not read fast enough.
   */
  send(text: string | Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.ws.terminate();
      this.cleanup();
      return;
    }
    // The frames this turn sends (a group commit's messages, their replies) leave in one write, not one each.
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(text, { binary: false });
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.raw.uncork();
  };

  /** Closes the socket with a code and reason. */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    this.cleanup();
  }

  private async receive(text: string): Promise<void> {
    const frame = decode(text);
    if (isBadFrame(frame)) {
      if (frame.topic !== null && frame.ref !== null) {
        this.send(reply(frame.joinRef, frame.ref, frame.topic, 'error', { reason: frame.error }));
      }
      return;
    }
    const { joinRef, ref, topic, event, payload } = frame;
    if (topic === 'phoenix' && event === 'heartbeat') {
      this.send(reply(null, ref, 'phoenix', 'ok', {}));
      return;
    }
    try {
      if (event === 'phx_join') await this.join(joinRef, ref, topic, payload);
      else if (event === 'phx_leave') this.leave(joinRef, ref, topic);
      else await this.push(joinRef, ref, topic, event, payload);
    } catch (error) {
      // An unexpected failure fails this request only, never the socket; an unreachable database says so.
      // retry_in_ms matches the HTTP API's Retry-After for the same condition.
      const response = isDatabaseUnavailable(error) ? { reason: 'unavailable', retry_in_ms: 5000 } : { reason: 'internal' };
      this.send(reply(joinRef, ref, topic, 'error', response));
    }
  }

  private async join(joinRef: Ref, ref: Ref, topic: string, payload: Record<string, unknown>): Promise<void> {
    const existing = this.channels.get(topic);
    // Phoenix semantics: a second join of the same topic replaces the first.
    if (existing) this.closeChannel(topic, existing);
    if (this.channels.size + this.joining.size >= this.limits.maxChannels || this.joining.has(topic)) {
      this.send(reply(joinRef, ref, topic, 'error', { reason: this.joining.has(topic) ? 'already joining' : 'too_many_channels' }));
      return;
    }
    this.joining.add(topic);
    let result;
    let revoked = false;
    try {
      result = await join(this.node, this, topic, joinRef, payload);
      if ('channel' in result) revoked = this.revokedWhileJoining.has(`${result.channel.kind}:${result.channel.resourceId}`);
    } finally {
      this.joining.delete(topic);
      if (this.joining.size === 0) this.revokedWhileJoining.clear();
    }
    if ('reason' in result) {
      this.send(reply(joinRef, ref, topic, 'error', { reason: result.reason }));
      return;
    }
    if (this.closed || revoked) {
      result.channel.stop();
      // Removed while joining: the same refusal as a join after the removal.
      if (revoked) this.send(reply(joinRef, ref, topic, 'error', { reason: 'not_found' }));
      return;
    }
    this.channels.set(topic, { joinRef, channel: result.channel });
    channelsJoined.inc({ kind: result.channel.kind });
    this.send(reply(joinRef, ref, topic, 'ok', result.response));
    result.channel.afterJoin();
  }

  private leave(joinRef: Ref, ref: Ref, topic: string): void {
    const joined = this.channels.get(topic);
    this.send(reply(joinRef, ref, topic, 'ok', {}));
    if (joined) this.closeChannel(topic, joined);
  }

  private async push(joinRef: Ref, ref: Ref, topic: string, event: string, payload: Record<string, unknown>): Promise<void> {
    const joined = this.channels.get(topic);
    if (!joined) {
      this.send(reply(joinRef, ref, topic, 'error', { reason: 'unmatched topic' }));
      return;
    }
    const { status, response } = await joined.channel.handleIn(event, payload);
    this.send(reply(joinRef, ref, topic, status, response));
  }

  private closeChannel(topic: string, joined: Joined): void {
    this.channels.delete(topic);
    joined.channel.stop();
    channelsJoined.dec({ kind: joined.channel.kind });
    this.send(encode(joined.joinRef, joined.joinRef, topic, 'phx_close', {}));
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    socketsOpen.dec();
    for (const joined of this.channels.values()) {
      joined.channel.stop();
      channelsJoined.dec({ kind: joined.channel.kind });
    }
    this.channels.clear();
    for (const stop of this.stops) stop();
    this.onClosed(this);
  }
}

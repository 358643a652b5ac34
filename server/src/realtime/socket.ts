/**
 * One WebSocket connection speaking Phoenix Channels (v2, or v1): heartbeats, joins, leaves, pushes, replies,
 * limits (channels per socket, outbound buffer), and closing channels when access is revoked.
 *
 * Ordering, as in Phoenix (one channel process per topic): the frames of one topic are handled in arrival
 * order through that topic's lane; heartbeats and other topics never wait behind it. A leave or push whose
 * join_ref is not the topic's current one is ignored (no reply).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { REVOCATIONS_TOPIC, revokedRecently } from '../accounts/sessions.js';
import { ACCESS_REVOKED_TOPIC } from '../chat/topics.js';
import { isDatabaseUnavailable } from '../db/connect.js';
import { channelsJoined, socketsOpen } from '../telemetry/metrics.js';
import type { Channel, ChannelDeps, SocketContext } from './channel.js';
import { join } from './channels.js';
import type { Frame, Ref, Serializer } from './protocol.js';
import { isBadFrame, reply } from './protocol.js';

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

/** A push's reply slot: undefined while the push runs, null when it gets no reply (stale join_ref). */
interface PendingReply {
  text: string | null | undefined;
}

/**
 * The frames of one topic. `new_msg` pushes start in arrival order without waiting for each other (the group
 * commit stores sends in the order they start, and `sends` releases their replies in that order); a join, a
 * leave or any other push runs alone, after everything before it and before anything after it.
 */
interface Lane {
  /** A join, leave or other push is running: nothing else of the topic starts until it ends. */
  exclusive: boolean;
  /** Pushes started and not replied to yet, in arrival order. */
  sends: PendingReply[];
  /** Frames not started yet, in arrival order. */
  waiting: Frame[];
  /** Inside pump(): a frame settled at once does not recurse into it (a deep queue must not make a deep stack). */
  pumping: boolean;
}

/** The reply to a failure no handler expected: an unreachable database says so, anything else is `internal`. */
function failure(error: unknown): object {
  // retry_in_ms matches the HTTP API's Retry-After for the same condition.
  return isDatabaseUnavailable(error) ? { reason: 'unavailable', retry_in_ms: 5000 } : { reason: 'internal' };
}

/** A connected, authenticated socket. */
export class Connection implements SocketContext {
  readonly id = randomUUID();
  lastSeen = Date.now();
  private readonly channels = new Map<string, Joined>();
  /** Per topic with frames in flight or joined: its lane (dropped once idle and not joined). */
  private readonly lanes = new Map<string, Lane>();
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
    /** The wire format the client asked for with `vsn`. */
    readonly serializer: Serializer,
    private readonly node: ChannelDeps,
    private readonly limits: SocketLimits,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    socketsOpen.inc();
    ws.on('message', (data, isBinary) => {
      this.lastSeen = Date.now();
      if (isBinary) return;
      // The socket keeps ws's default binaryType ('nodebuffer'): a message is one Buffer.
      this.receive((data as Buffer).toString('utf8'));
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
    this.ws.send(this.signed(text), { binary: false });
  }

  /** A frame with its unsigned media URLs signed for this socket's user (a shared frame is re-encoded only when it has some). */
  private signed(frame: string | Buffer): string | Buffer {
    if (typeof frame === 'string') return this.node.deps.media.signJson(frame, this.userId);
    return frame.includes(MARKER_BYTES) ? this.node.deps.media.signJson(frame.toString('utf8'), this.userId) : frame;
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

  private receive(text: string): void {
    const frame = this.serializer.decode(text);
    if (isBadFrame(frame)) {
      if (frame.topic !== null && frame.ref !== null) {
        this.send(reply(this.serializer, frame.joinRef, frame.ref, frame.topic, 'error', { reason: frame.error }));
      }
      return;
    }
    if (frame.topic === 'phoenix' && frame.event === 'heartbeat') {
      this.send(reply(this.serializer, null, frame.ref, 'phoenix', 'ok', {}));
      return;
    }
    let lane = this.lanes.get(frame.topic);
    if (!lane) this.lanes.set(frame.topic, (lane = { exclusive: false, sends: [], waiting: [], pumping: false }));
    // The hot path (an idle lane, or new_msg after new_msg) starts at once: no queueing, no promise chain.
    if (lane.waiting.length === 0 && this.mayStart(lane, frame)) this.start(lane, frame);
    else lane.waiting.push(frame);
  }

  /** Whether `frame` may start now: nothing exclusive runs, and it is a `new_msg` or the lane is idle. */
  private mayStart(lane: Lane, frame: Frame): boolean {
    return !lane.exclusive && (frame.event === 'new_msg' || lane.sends.length === 0);
  }

  private start(lane: Lane, frame: Frame): void {
    if (frame.event === 'phx_leave') {
      this.leave(frame);
      this.pump(frame.topic, lane);
    } else if (frame.event === 'phx_join') {
      lane.exclusive = true;
      void this.join(lane, frame);
    } else {
      // new_msg is pipelined, not serialised: the group commit stores sends in start order (seq), `sends` replies in order.
      const exclusive = frame.event !== 'new_msg';
      if (exclusive) lane.exclusive = true;
      const pending: PendingReply = { text: undefined };
      lane.sends.push(pending);
      void this.push(lane, frame, pending, exclusive);
    }
  }

  /** Records a push's reply and sends the replies now due, in arrival order; then starts what may start. */
  private settle(lane: Lane, topic: string, pending: PendingReply, text: string | null, exclusive: boolean): void {
    pending.text = text;
    if (exclusive) lane.exclusive = false;
    for (let head = lane.sends[0]; head && head.text !== undefined; head = lane.sends[0]) {
      lane.sends.shift();
      if (head.text !== null) this.send(head.text);
    }
    this.pump(topic, lane);
  }

  /** Starts the lane's waiting frames that may start, in order; forgets the lane once idle and not joined. */
  private pump(topic: string, lane: Lane): void {
    if (this.closed || lane.pumping) return;
    lane.pumping = true;
    while (lane.waiting.length > 0 && this.mayStart(lane, lane.waiting[0]!)) this.start(lane, lane.waiting.shift()!);
    lane.pumping = false;
    this.dropIdleLane(topic, lane);
  }

  private dropIdleLane(topic: string, lane: Lane): void {
    if (!lane.exclusive && lane.sends.length === 0 && lane.waiting.length === 0 && !this.channels.has(topic)) {
      this.lanes.delete(topic);
    }
  }

  /** Whether a frame's join_ref is not the channel's current one (a channel joined without one takes any). */
  private isStale(joined: Joined, joinRef: Ref): boolean {
    return joined.joinRef !== null && joinRef !== joined.joinRef;
  }

  /** Runs a join alone in its lane, then lets the lane go on. Never rejects. */
  private async join(lane: Lane, frame: Frame): Promise<void> {
    await this.tryJoin(frame);
    lane.exclusive = false;
    this.pump(frame.topic, lane);
  }

  private async tryJoin({ joinRef, ref, topic, payload }: Frame): Promise<void> {
    const existing = this.channels.get(topic);
    // Phoenix semantics: a second join of the same topic replaces the first.
    if (existing) this.closeChannel(topic, existing);
    if (this.channels.size + this.joining.size >= this.limits.maxChannels) {
      this.send(reply(this.serializer, joinRef, ref, topic, 'error', { reason: 'too_many_channels' }));
      return;
    }
    this.joining.add(topic);
    let result;
    let revoked = false;
    try {
      result = await join(this.node, this, topic, joinRef, payload);
      if ('channel' in result) revoked = this.revokedWhileJoining.has(`${result.channel.kind}:${result.channel.resourceId}`);
    } catch (error) {
      // An unexpected failure fails this join only, never the socket.
      this.send(reply(this.serializer, joinRef, ref, topic, 'error', failure(error)));
      return;
    } finally {
      this.joining.delete(topic);
      if (this.joining.size === 0) this.revokedWhileJoining.clear();
    }
    if ('reason' in result) {
      this.send(reply(this.serializer, joinRef, ref, topic, 'error', { reason: result.reason }));
      return;
    }
    if (this.closed || revoked) {
      result.channel.stop();
      // Removed while joining: the same refusal as a join after the removal.
      if (revoked) this.send(reply(this.serializer, joinRef, ref, topic, 'error', { reason: 'not_found' }));
      return;
    }
    this.channels.set(topic, { joinRef, channel: result.channel });
    channelsJoined.inc({ kind: result.channel.kind });
    this.send(reply(this.serializer, joinRef, ref, topic, 'ok', result.response));
    result.channel.afterJoin();
  }

  private leave({ joinRef, ref, topic }: Frame): void {
    const joined = this.channels.get(topic);
    if (joined && this.isStale(joined, joinRef)) return;
    this.send(reply(this.serializer, joinRef, ref, topic, 'ok', {}));
    if (joined) this.closeChannel(topic, joined);
  }

  /** Runs a push and settles its reply slot (its reply, or null when it gets none). Never rejects. */
  private async push(lane: Lane, frame: Frame, pending: PendingReply, exclusive: boolean): Promise<void> {
    const { joinRef, ref, topic, event, payload } = frame;
    const joined = this.channels.get(topic);
    let text: string | null;
    if (!joined) text = reply(this.serializer, joinRef, ref, topic, 'error', { reason: 'unmatched topic' });
    else if (this.isStale(joined, joinRef)) text = null;
    else {
      try {
        const { status, response } = await joined.channel.handleIn(event, payload);
        text = reply(this.serializer, joinRef, ref, topic, status, response);
      } catch (error) {
        // An unexpected failure fails this request only, never the socket.
        text = reply(this.serializer, joinRef, ref, topic, 'error', failure(error));
      }
    }
    this.settle(lane, topic, pending, text, exclusive);
  }

  private closeChannel(topic: string, joined: Joined): void {
    this.channels.delete(topic);
    joined.channel.stop();
    channelsJoined.dec({ kind: joined.channel.kind });
    this.send(this.serializer.encode(joined.joinRef, joined.joinRef, topic, 'phx_close', {}));
    const lane = this.lanes.get(topic);
    if (lane) this.dropIdleLane(topic, lane);
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
    this.lanes.clear();
    for (const stop of this.stops) stop();
    this.onClosed(this);
  }
}

/** How an unsigned media URL's marker appears in a serialized frame. */
const MARKER_BYTES = Buffer.from('\\u0001');

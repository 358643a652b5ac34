/**
 * Mounts the Phoenix Channels endpoint `/socket/websocket` on the HTTP app: authenticated upgrade
 * (403 for a bad token), one {@link Connection} per socket, idle sockets closed after 60 s of silence,
 * every socket closed with 1001 "going away" on shutdown.
 * @module
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../accounts/sessions.js';
import { readLatestSeq, readPage } from '../chat/messages.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { Hub } from './hub.js';
import { Presence } from './presence.js';
import { serializerFor } from './protocol.js';
import type { SocketLimits } from './socket.js';
import { Connection } from './socket.js';
import { TypingThrottle } from './typing.js';

/** Messages read per query when the hub catches up after a bus outage. */
const CATCH_UP_PAGE = 200;

/** Real-time settings. */
export interface RealtimeOptions extends Partial<SocketLimits> {
  /** Largest accepted frame in bytes (larger: the socket is closed with 1009). */
  maxFrameBytes?: number;
  /** A socket that sends nothing (not even a heartbeat) for this long is closed. */
  idleTimeoutMs?: number;
  presenceWindowMs?: number;
  presenceNodeTimeoutMs?: number;
  /** One `typing` per user per conversation per this window (default 2 s). */
  typingWindowMs?: number;
}

/** The real-time side of one node, for tests and shutdown. */
export interface Realtime {
  hub: Hub;
  presence: Presence;
  connections: Set<Connection>;
}

/** Registers the WebSocket endpoint and returns the node's real-time state. */
export async function registerRealtime(app: FastifyInstance, deps: Deps, options: RealtimeOptions = {}): Promise<Realtime> {
  const hub = new Hub(deps.bus, {
    catchUp: async (conversationId, afterSeq) => (await readPage(deps.db, conversationId, { limit: CATCH_UP_PAGE, after: afterSeq })).messages,
    latestSeq: (conversationId) => readLatestSeq(deps.db, conversationId),
  });
  const settings = deps.config.realtime;
  const nodeTimeoutMs = options.presenceNodeTimeoutMs ?? settings.presenceNodeTimeoutMs;
  const presence = new Presence(deps.bus, hub, {
    ...(options.presenceWindowMs !== undefined ? { windowMs: options.presenceWindowMs } : {}),
    nodeTimeoutMs,
    heartbeatMs: Math.max(100, Math.floor(nodeTimeoutMs / 3)),
  });
  const connections = new Set<Connection>();
  const limits: SocketLimits = {
    maxChannels: options.maxChannels ?? settings.maxChannels,
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
  };
  const idleTimeoutMs = options.idleTimeoutMs ?? settings.idleTimeoutMs;
  const node = { deps, hub, presence, typing: new TypingThrottle(options.typingWindowMs) };

  await app.register(websocket, {
    options: { maxPayload: options.maxFrameBytes ?? settings.maxFrameBytes },
    errorHandler(error, socket, request) {
      // A client breaking the wire protocol (a frame over maxPayload, a bad opcode) is not a server failure: ws has
      // already sent the close code (1009 for a big frame) and ends the socket, so one warn line without a stack.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
        request.log.warn({ ws_error: code }, `websocket closed by the server: ${error.message}`);
        return;
      }
      request.log.error(error);
      socket.terminate();
    },
    // Replaces the plugin's default (a close without a code): clients get 1001 "going away" and reconnect elsewhere.
    preClose(this: FastifyInstance, done: () => void) {
      for (const connection of [...connections]) connection.close(1001, 'server shutting down');
      this.websocketServer.close(() => done());
    },
  });

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (now - connection.lastSeen > idleTimeoutMs) connection.close(1000, 'heartbeat timeout');
    }
  }, Math.min(10_000, idleTimeoutMs / 2));
  sweeper.unref();

  app.addHook('onClose', () => {
    clearInterval(sweeper);
    for (const connection of [...connections]) connection.close(1001, 'server shutting down');
    presence.close();
    hub.close();
  });

  await app.register((scope, _options, done) => {
    scope.addHook('preValidation', async (request) => {
      // The wire format first: a client speaking another protocol version learns that, whatever its token.
      if (!serializerFor((request.query as { vsn?: unknown }).vsn)) {
        throw new AppError('bad_request', 'Unsupported vsn: this server speaks the Phoenix Channels protocol 1.0.0 and 2.0.0.');
      }
      const token = (request.query as { token?: unknown }).token;
      try {
        const caller = await authenticate(deps, typeof token === 'string' ? token : undefined);
        // The socket signs the media URLs of its frames synchronously: the key must be there first.
        await deps.media.ready();
        request.caller = caller;
      } catch (error) {
        if (error instanceof AppError && error.code === 'unauthorized') {
          throw new AppError('forbidden', 'The socket token is missing, unknown, expired or revoked.');
        }
        throw error;
      }
    });
    scope.get('/socket/websocket', { websocket: true, schema: { hide: true } }, (socket, request) => {
      const serializer = serializerFor((request.query as { vsn?: unknown }).vsn)!;
      const connection = new Connection(socket, request.raw.socket, request.caller.userId, request.caller.sessionId, serializer, node, limits, (c) =>
        connections.delete(c),
      );
      connections.add(connection);
    });
    done();
  });

  return { hub, presence, connections };
}

/**
 * Prometheus metrics: one registry per process, served at `/metrics`.
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process-wide metrics registry. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'famichat_' });

/** HTTP request latency by method, route pattern and status. */
export const httpDuration = new Histogram({
  name: 'famichat_http_request_duration_seconds',
  help: 'HTTP request latency by route',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** Messages stored, by transport. */
export const messagesSent = new Counter({
  name: 'famichat_messages_sent_total',
  help: 'Messages stored',
  labelNames: ['transport'] as const,
  registers: [registry],
});

/** Open WebSocket connections on this node. */
export const socketsOpen = new Gauge({
  name: 'famichat_sockets_open',
  help: 'Open WebSocket connections',
  registers: [registry],
});

/** Joined channels on this node, by topic kind. */
export const channelsJoined = new Gauge({
  name: 'famichat_channels_joined',
  help: 'Joined channels by topic kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

/** Time from a broadcast being published to its delivery to local sockets. */
export const broadcastFanout = new Histogram({
  name: 'famichat_broadcast_fanout_seconds',
  help: 'Broadcast fan-out latency (publish to local delivery)',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});

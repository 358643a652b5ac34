/**
 * Prometheus metrics: one registry per process, served at `/metrics`.
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process-wide metrics registry. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'famichat_' });

/** What every metric here shares: the `famichat_` name, help, labels, and this registry. */
const options = <L extends string>(name: string, help: string, labelNames: readonly L[]) => ({
  name: `famichat_${name}`,
  help,
  labelNames,
  registers: [registry],
});

/** HTTP request latency by method, route pattern and status. */
export const httpDuration = new Histogram({
  ...options('http_request_duration_seconds', 'HTTP request latency by route', ['method', 'route', 'status'] as const),
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** Messages stored, by transport. */
export const messagesSent = new Counter(options('messages_sent_total', 'Messages stored', ['transport'] as const));

/** Open WebSocket connections on this node. */
export const socketsOpen = new Gauge(options('sockets_open', 'Open WebSocket connections', []));

/** Joined channels on this node, by topic kind. */
export const channelsJoined = new Gauge(options('channels_joined', 'Joined channels by topic kind', ['kind'] as const));

/** Time from a broadcast being published to its delivery to local sockets. */
export const broadcastFanout = new Histogram({
  ...options('broadcast_fanout_seconds', 'Broadcast fan-out latency (publish to local delivery)', []),
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
});

// Builds the real application on a test database and offers a small typed HTTP client over inject().
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Bus } from '../../src/bus/bus.js';
import { createLocalBus } from '../../src/bus/bus.js';
import type { Config } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import type { Realtime, RealtimeOptions } from '../../src/realtime/server.js';
import type { TestDatabase } from './db.js';
import { createTestDatabase } from './db.js';

/** A response as tests look at it. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A running test application. */
export interface TestApp {
  app: FastifyInstance;
  domain: Deps;
  realtime: Realtime;
  bus: Bus;
  db: TestDatabase;
  config: Config;
  /** An HTTP client with `token` as bearer (or none), calling from `remoteAddress` (default 127.0.0.1). */
  as(token?: string, remoteAddress?: string): Api;
  /** Starts listening on a free loopback port; returns the socket URL for the phoenix client. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** HTTP verbs against the app. */
export interface Api {
  get(path: string, headers?: Record<string, string>): Promise<Res>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  patch(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  put(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  delete(path: string, headers?: Record<string, string>): Promise<Res>;
}

/**
 * Starts the app on a database of its own; `env` overrides configuration variables. With `nodeOf`, a second
 * node of that app instead: the same database and bus (closing it leaves the database to its first node).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { logger?: any; bus?: Bus; realtime?: RealtimeOptions; nodeOf?: TestApp } = {},
): Promise<TestApp> {
  const db: TestDatabase = options.nodeOf ? { ...options.nodeOf.db, drop: () => Promise.resolve() } : await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', FAMICHAT_SEND_BURST: '1000', FAMICHAT_SEND_PER_MINUTE: '100000', FAMICHAT_LOGIN_LIMIT_PER_IP: '100000', FAMICHAT_REGISTER_LIMIT_PER_IP: '100000', ...env });
  const bus = options.bus ?? options.nodeOf?.bus ?? createLocalBus();
  const { app, domain, realtime } = await buildApp({
    config,
    database: db.database,
    bus,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.realtime ? { realtime: options.realtime } : {}),
  });
  await app.ready();
  const call = async (method: string, path: string, token: string | undefined, remoteAddress: string | undefined, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url: path,
      ...(remoteAddress ? { remoteAddress } : {}),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers } as Res;
  };
  return {
    app,
    domain,
    realtime,
    bus,
    db,
    config,
    as: (token, remoteAddress) => ({
      get: (path, headers) => call('GET', path, token, remoteAddress, undefined, headers),
      post: (path, body, headers) => call('POST', path, token, remoteAddress, body, headers),
      patch: (path, body, headers) => call('PATCH', path, token, remoteAddress, body, headers),
      put: (path, body, headers) => call('PUT', path, token, remoteAddress, body, headers),
      delete: (path, headers) => call('DELETE', path, token, remoteAddress, undefined, headers),
    }),
    listen: async () => {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      return `${address.replace('http', 'ws')}/socket`;
    },
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

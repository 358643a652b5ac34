// Operations: liveness, readiness (and what an unreachable database or bus looks like), Prometheus metrics,
// the configuration loader, and the rate limiter.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { Bus } from '../src/bus/bus.js';
import { createLocalBus } from '../src/bus/bus.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import { AppError } from '../src/errors.js';
import { RateLimiter, enforce } from '../src/rate-limit.js';
import type { Res, TestApp } from './helpers/app.js';
import { createTestDatabase } from './helpers/db.js';
import { family, familyConversation, withInstance } from './helpers/fixtures.js';

const { t, admin, conv } = await family();

/** A raw inject on `app`, parsed like the test client does. */
async function get(app: TestApp['app'], url: string, headers: Record<string, string> = {}): Promise<Res> {
  const res = await app.inject({ method: 'GET', url, headers });
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    /* text */
  }
  return { status: res.statusCode, body, headers: res.headers };
}

function expectUnavailable(res: Res): void {
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('unavailable');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.meta.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(res.headers['x-request-id']).toBe(res.body.meta.request_id);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

describe('health and readiness', () => {
  it('answers /healthz with 200 while the process runs', async () => {
    const res = await t.as().get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ status: 'ok' });
    expect(res.body.meta.request_id).toBe(res.headers['x-request-id']);
  });

  it('answers /readyz with 200 and the checks when the database and the bus answer', async () => {
    const res = await t.as().get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ status: 'ok', checks: { database: 'ok', bus: 'ok' } });
  });

  it('answers /readyz with 503 unavailable and Retry-After once the database is closed, while /healthz stays 200', async () => {
    const db = await createTestDatabase();
    const { app } = await buildApp({ config: t.config, database: db.database, bus: createLocalBus() });
    await app.ready();
    let closed = false;
    try {
      expect((await get(app, '/readyz')).status).toBe(200);
      await db.database.close();
      closed = true;
      const res = await get(app, '/readyz');
      expectUnavailable(res);
      expect(res.body.error.details.checks).toEqual({ database: 'unavailable', bus: 'ok' });
      expect(typeof res.body.meta.duration_ms).toBe('number');
      expect((await get(app, '/healthz')).status).toBe(200);
    } finally {
      await app.close();
      // An embedded database is gone once closed; a PostgreSQL one still has to be dropped.
      if (db.url !== undefined || !closed) await db.drop();
    }
  });

  it.each([
    ['refuses', () => Promise.reject(new Error('bus unreachable'))],
    ['hangs', () => new Promise<void>(() => undefined)],
  ])('answers /readyz with 503 when the bus %s, without hanging', async (_label, ping) => {
    const deadBus: Bus = { ...createLocalBus(), ping };
    const { app } = await buildApp({ config: t.config, database: t.db.database, bus: deadBus });
    await app.ready();
    try {
      const started = Date.now();
      const res = await get(app, '/readyz');
      expect(Date.now() - started).toBeLessThan(10_000);
      expectUnavailable(res);
      expect(res.body.error.details.checks).toEqual({ database: 'ok', bus: 'unavailable' });
    } finally {
      await app.close();
    }
  });

  it('answers API requests with 503 unavailable and Retry-After when PostgreSQL cannot be reached, and logs no SQL', async () => {
    const database = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/famichat_nowhere', migrate: false });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const { app } = await buildApp({ config: t.config, database, bus: createLocalBus(), logger });
    await app.ready();
    try {
      expectUnavailable(await get(app, '/readyz'));
      expectUnavailable(await get(app, '/api/v1/me', { authorization: 'Bearer fcs_some_token_value' }));
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json', 'x-request-id': 'ops-login-db-down' },
        payload: JSON.stringify({ username: 'ops_distinct_name', password: 'correct horse' }),
      });
      expectUnavailable({ status: login.statusCode, body: login.json(), headers: login.headers });
      const warn = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === 'ops-login-db-down' && l.msg === 'database unavailable');
      expect(warn).toBeDefined();
      const text = lines.join('\n');
      for (const leak of ['ops_distinct_name', 'correct horse', 'fcs_some_token_value', 'select ', 'SELECT ']) expect(text).not.toContain(leak);
    } finally {
      await app.close();
      await database.close();
    }
  });
});

describe('metrics', () => {
  async function metrics(): Promise<string> {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.body;
  }

  const sentTotal = (text: string) => {
    const match = /^famichat_messages_sent_total\{transport="http"\} (\d+)/m.exec(text);
    return match ? Number(match[1]) : 0;
  };

  it('serves the Prometheus text format with the HTTP latency histogram labelled by route pattern', async () => {
    await t.as(admin.token).get('/api/v1/me');
    await t.as(admin.token).get(`/api/v1/conversations/${conv}/messages?limit=3`);
    await t.as(admin.token).get('/api/v1/random-path-xyz-123');
    const text = await metrics();
    expect(text).toContain('# TYPE famichat_http_request_duration_seconds histogram');
    expect(text).toMatch(/^famichat_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/me"[^}]*\} \d+/m);
    expect(text).toMatch(/^famichat_http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/api\/v1\/conversations\/:id\/messages"[^}]*status="200"[^}]*\} [1-9]/m);
    expect(text).toMatch(/route="unmatched"/);
    // Route patterns, never raw paths: ids and unknown paths do not become label values.
    expect(text).not.toContain(conv);
    expect(text).not.toContain('random-path-xyz-123');
    for (const name of ['famichat_sockets_open', 'famichat_channels_joined', 'famichat_broadcast_fanout_seconds', 'famichat_process_cpu_seconds_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('counts each stored message once in famichat_messages_sent_total, and not an idempotent retry', async () => {
    const before = sentTotal(await metrics());
    const first = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'counted', client_id: 'metrics-1' });
    expect(first.status).toBe(201);
    expect(sentTotal(await metrics())).toBe(before + 1);
    const retry = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'counted', client_id: 'metrics-1' });
    expect(retry.status).toBe(200);
    const refused = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: ' ' });
    expect(refused.status).toBe(422);
    expect(sentTotal(await metrics())).toBe(before + 1);
  });
});

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './data',
      redisUrl: undefined,
      redisPrefix: 'famichat:',
      logLevel: 'info',
      trustProxy: false,
      bodyLimit: 64 * 1024,
      sessionTtlMs: 90 * 24 * 3600 * 1000,
      inviteTtlMs: 72 * 3600 * 1000,
      rateLimits: {
        loginPerUsername: 10,
        loginPerAccount: 200,
        loginPerIp: 50,
        loginWindowMs: 15 * 60 * 1000,
        registerPerIp: 20,
        registerWindowMs: 15 * 60 * 1000,
        sendBurst: 20,
        sendBurstWindowMs: 10_000,
        sendPerMinute: 120,
      },
    });
  });

  it('reads every setting from the environment, treating an empty value as unset', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://famichat@db:5432/famichat',
      REDIS_URL: 'rediss://cache:6380',
      FAMICHAT_REDIS_PREFIX: 'famichat-staging:',
      FAMICHAT_PUBLIC_URL: 'https://chat.example.com/',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'yes',
      FAMICHAT_DATA_DIR: '/var/lib/famichat',
      FAMICHAT_BODY_LIMIT: '1048576',
      FAMICHAT_SESSION_TTL_DAYS: '7',
      FAMICHAT_INVITE_TTL_HOURS: '1',
      FAMICHAT_SEND_BURST: '5',
      FAMICHAT_SEND_BURST_WINDOW_SECONDS: '2',
      FAMICHAT_SEND_PER_MINUTE: '30',
      FAMICHAT_LOGIN_LIMIT_PER_USERNAME: '3',
      FAMICHAT_LOGIN_LIMIT_PER_IP: '9',
      FAMICHAT_LOGIN_WINDOW_SECONDS: '60',
      FAMICHAT_LOGIN_LIMIT_PER_ACCOUNT: '40',
      FAMICHAT_REGISTER_LIMIT_PER_IP: '4',
      FAMICHAT_REGISTER_WINDOW_SECONDS: '120',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://famichat@db:5432/famichat',
      redisUrl: 'rediss://cache:6380',
      redisPrefix: 'famichat-staging:',
      publicUrl: 'https://chat.example.com',
      logLevel: 'warn',
      trustProxy: true,
      dataDir: '/var/lib/famichat',
      bodyLimit: 1048576,
      sessionTtlMs: 7 * 24 * 3600 * 1000,
      inviteTtlMs: 3600 * 1000,
      rateLimits: {
        loginPerUsername: 3,
        loginPerAccount: 40,
        loginPerIp: 9,
        loginWindowMs: 60_000,
        registerPerIp: 4,
        registerWindowMs: 120_000,
        sendBurst: 5,
        sendBurstWindowMs: 2000,
        sendPerMinute: 30,
      },
    });
    expect(loadConfig({ PORT: '', TRUST_PROXY: 'false', DATABASE_URL: '' })).toMatchObject({ port: 4000, trustProxy: false, databaseUrl: undefined });
  });

  it('reports every invalid value at once, naming each variable', () => {
    const env = {
      PORT: 'eighty',
      FAMICHAT_BODY_LIMIT: '10',
      DATABASE_URL: 'mysql://db/famichat',
      REDIS_URL: 'not a url',
      FAMICHAT_REDIS_PREFIX: 'has spaces',
      TRUST_PROXY: 'maybe',
      LOG_LEVEL: 'loud',
      FAMICHAT_SEND_BURST: '0',
      FAMICHAT_SESSION_TTL_DAYS: '1.5',
      FAMICHAT_REGISTER_LIMIT_PER_IP: '0',
      FAMICHAT_LOGIN_LIMIT_PER_ACCOUNT: 'many',
    };
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(Object.keys(env).length);
    for (const name of Object.keys(env)) {
      expect(problems.filter((p) => p.startsWith(name)), name).toHaveLength(1);
      expect((error as ConfigError).message).toContain(name);
    }
  });

  it.each([['PORT', '65536'], ['PORT', '-1'], ['FAMICHAT_BODY_LIMIT', '52428801'], ['FAMICHAT_LOGIN_WINDOW_SECONDS', '0']])(
    'refuses %s=%s as out of range',
    (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    },
  );
});

describe('rate limiting', () => {
  function clock(start = 1_000_000) {
    let now = start;
    return { now: () => now, advance: (ms: number) => void (now += ms) };
  }

  /** A limiter of `max` hits per `windowMs` on a clock of its own (`c`, to move time on). */
  function limiterOn(max: number, windowMs: number) {
    const c = clock();
    return { c, limiter: new RateLimiter({ max, windowMs }, c.now) };
  }

  it('allows max hits per fixed window, then says how long until the window ends', () => {
    const { c, limiter } = limiterOn(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(limiter.check('a')).toBe(0);
      limiter.hit('a');
    }
    expect(limiter.check('a')).toBe(1000);
    c.advance(400);
    expect(limiter.check('a')).toBe(600);
    expect(limiter.check('b')).toBe(0);
    c.advance(599);
    expect(limiter.check('a')).toBe(1);
    c.advance(1);
    expect(limiter.check('a')).toBe(0);
    limiter.hit('a');
    expect(limiter.check('a')).toBe(0);
  });

  it('keeps limiting correctly when it sweeps expired windows from a very large table', () => {
    const { c, limiter } = limiterOn(1, 1000);
    for (let i = 0; i <= 100_000; i++) limiter.hit(`k${i}`);
    expect(limiter.check('k5')).toBe(1000);
    c.advance(500);
    limiter.hit('half');
    expect(limiter.check('k5')).toBe(500);
    c.advance(600);
    limiter.hit('late'); // a new window in a table over 100,000 keys: the expired ones are swept
    expect(limiter.check('k5')).toBe(0);
    expect(limiter.check('half')).toBe(400);
    expect(limiter.check('late')).toBe(1000);
  });

  it('forgets a key on reset', () => {
    const { limiter } = limiterOn(1, 60_000);
    limiter.hit('user');
    expect(limiter.check('user')).toBe(60_000);
    limiter.reset('user');
    expect(limiter.check('user')).toBe(0);
  });

  it('enforces every limiter, throwing rate_limited with the longest wait, and does not count refused hits', () => {
    const c = clock();
    const burst = new RateLimiter({ max: 2, windowMs: 1000 }, c.now);
    const minute = new RateLimiter({ max: 5, windowMs: 60_000 }, c.now);
    enforce([burst, minute], 'u', 'messages');
    enforce([burst, minute], 'u', 'messages');
    c.advance(250);
    const refused = (() => {
      try {
        enforce([burst, minute], 'u', 'messages');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('rate_limited');
    expect((refused as AppError).details).toEqual({ retry_in_ms: 750 });
    expect((refused as AppError).message).toMatch(/messages/);
    // The refused hits did not count against the minute: three more fit in later bursts.
    for (let i = 0; i < 10; i++) expect(() => enforce([burst, minute], 'u', 'messages')).toThrow(AppError);
    c.advance(750);
    enforce([burst, minute], 'u', 'messages');
    enforce([burst, minute], 'u', 'messages');
    c.advance(1000);
    enforce([burst, minute], 'u', 'messages');
    // Now the minute is full: the wait is the minute's, the longer one.
    try {
      enforce([burst, minute], 'u', 'messages');
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).details).toEqual({ retry_in_ms: 60_000 - 2000 });
    }
    expect(() => enforce([burst, minute], 'other', 'messages')).not.toThrow();
  });

  it('answers a send over the burst limit with 429 rate_limited, Retry-After and details.retry_in_ms', () =>
    withInstance({ FAMICHAT_SEND_BURST: '2', FAMICHAT_SEND_BURST_WINDOW_SECONDS: '30' }, async ({ t: limited, admin: owner, familyId }) => {
      const c = await familyConversation(limited, owner, familyId);
      for (let i = 0; i < 2; i++) expect((await limited.as(owner.token).post(`/api/v1/conversations/${c}/messages`, { body: `m${i}` })).status).toBe(201);
      const res = await limited.as(owner.token).post(`/api/v1/conversations/${c}/messages`, { body: 'one too many' });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate_limited');
      const wait = res.body.error.details.retry_in_ms;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(30_000);
      expect(Number(res.headers['retry-after'])).toBe(Math.ceil(wait / 1000));
      const page = await limited.as(owner.token).get(`/api/v1/conversations/${c}/messages`);
      expect(page.body.data.map((m: { body: string }) => m.body)).toEqual(['m0', 'm1']);
    }));
});

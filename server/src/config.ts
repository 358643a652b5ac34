/**
 * Every setting Famichat reads from the environment, validated once at start-up, with defaults.
 * @module
 */
import type { BrandingDefaults } from './branding/defaults.js';
import { readBrandingEnv } from './branding/defaults.js';

/** Validated settings. Every field has a default except the optional service URLs. */
export interface Config {
  /** `production` turns on the strict checks of production mode. */
  nodeEnv: string;
  port: number;
  host: string;
  /** PostgreSQL URL; when absent the embedded PGlite database in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Redis URL for the cross-node bus; when absent the bus is in-process. */
  redisUrl: string | undefined;
  /** Prefix of every Redis channel (`FAMICHAT_REDIS_PREFIX`), so several deployments can share one Redis. */
  redisPrefix: string;
  /**
   * The public origin people reach Famichat at (`FAMICHAT_PUBLIC_URL`, e.g. `https://chat.example.com`),
   * without a trailing slash; required in production.
   */
  publicUrl: string | undefined;
  logLevel: string;
  /** Trust `X-Forwarded-*` headers from a reverse proxy. */
  trustProxy: boolean;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  sessionTtlMs: number;
  inviteTtlMs: number;
  rateLimits: RateLimitConfig;
  realtime: RealtimeConfig;
  branding: BrandingDefaults;
  media: MediaConfig;
}

/** Uploads and where their bytes are stored. */
export interface MediaConfig {
  /** The media directory (`FAMICHAT_MEDIA_DIR`, default `<data dir>/media`), used unless S3 is configured. */
  dir: string;
  /** Largest upload, in bytes (`FAMICHAT_UPLOAD_MAX_BYTES`, default 100 MiB). */
  uploadMaxBytes: number;
  /** Bytes one user may keep uploaded (`FAMICHAT_UPLOAD_QUOTA_BYTES`, default 10 GiB). */
  quotaBytes: number;
  /** Uploads one user may start per minute (`FAMICHAT_UPLOADS_PER_MINUTE`). */
  uploadsPerMinute: number;
  /** Largest image accepted for processing, in pixels (width × height; `FAMICHAT_IMAGE_MAX_PIXELS`); larger: 422. */
  imageMaxPixels: number;
  /** S3-compatible object storage (`FAMICHAT_S3_BUCKET` and friends); when absent, the media directory. */
  s3: S3Config | undefined;
}

/** An S3-compatible store (AWS S3, MinIO, Garage, R2, ...). */
export interface S3Config {
  bucket: string;
  /** `FAMICHAT_S3_ENDPOINT`, e.g. `http://minio:9000`; absent for AWS itself. */
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** Path-style URLs (`FAMICHAT_S3_FORCE_PATH_STYLE`, default true: what MinIO and Garage expect). */
  forcePathStyle: boolean;
  /** Key prefix inside the bucket (`FAMICHAT_S3_PREFIX`, default `media/`). */
  prefix: string;
}

/** WebSocket limits and presence timing. */
export interface RealtimeConfig {
  maxChannels: number;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  /** After this long without a heartbeat from another node, its presences are dropped. */
  presenceNodeTimeoutMs: number;
}

/** Rate-limit settings: login attempts, failed registrations per IP, and message sends per user. */
export interface RateLimitConfig {
  /** Login attempts for one username from one address (`FAMICHAT_LOGIN_LIMIT_PER_USERNAME`). */
  loginPerUsername: number;
  /** Failed logins for one username from all addresses together: the brute-force cap of one account. */
  loginPerAccount: number;
  loginPerIp: number;
  loginWindowMs: number;
  /** Failed registrations (bad invite, taken username, bad input) per address. */
  registerPerIp: number;
  registerWindowMs: number;
  sendBurst: number;
  sendBurstWindowMs: number;
  sendPerMinute: number;
}

/** What is wrong with S3 settings: the bucket's name, or only one of the two keys. */
export function s3ConfigProblems(s3: S3Config): string[] {
  const problems: string[] = [];
  // S3's bucket naming rules (MinIO, Garage and R2 follow them): 3-63 lowercase letters, digits, dots, hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket)) {
    problems.push(`FAMICHAT_S3_BUCKET must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens (got "${s3.bucket}")`);
  }
  if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
    problems.push('FAMICHAT_S3_ACCESS_KEY_ID and FAMICHAT_S3_SECRET_ACCESS_KEY go together: set both, or neither (to use the AWS default credentials)');
  }
  return problems;
}

/** Thrown by {@link loadConfig} with every problem found, so an operator can fix them all at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the settings from `env`.
 * @throws {ConfigError} listing every invalid variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const str = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')}// URL`);
      return undefined;
    }
  };
  const bool = (name: string): boolean => {
    const raw = str(name);
    if (raw === undefined) return false;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return false;
  };
  // A public origin: http(s), no path, query or fragment; returned without the trailing slash.
  const origin = (name: string): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username || parsed.password) {
      problems.push(`${name} must be the public http:// or https:// origin, like https://chat.example.com (got "${raw}")`);
      return undefined;
    }
    return parsed.origin;
  };
  const redisPrefix = str('FAMICHAT_REDIS_PREFIX') ?? 'famichat:';
  if (!/^[\w.:-]{1,64}$/.test(redisPrefix)) {
    problems.push(`FAMICHAT_REDIS_PREFIX must be 1-64 letters, digits or _ . : - (got "${redisPrefix}")`);
  }
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }
  const config: Config = {
    nodeEnv: str('NODE_ENV') ?? 'development',
    port: int('PORT', 4000, 0, 65535),
    host: str('HOST') ?? '127.0.0.1',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: str('FAMICHAT_DATA_DIR') ?? './data',
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix,
    publicUrl: origin('FAMICHAT_PUBLIC_URL'),
    logLevel,
    trustProxy: bool('TRUST_PROXY'),
    bodyLimit: int('FAMICHAT_BODY_LIMIT', 64 * 1024, 1024, 50 * 1024 * 1024),
    sessionTtlMs: int('FAMICHAT_SESSION_TTL_DAYS', 90, 1, 3650) * 24 * 3600 * 1000,
    inviteTtlMs: int('FAMICHAT_INVITE_TTL_HOURS', 72, 1, 24 * 365) * 3600 * 1000,
    rateLimits: {
      loginPerUsername: int('FAMICHAT_LOGIN_LIMIT_PER_USERNAME', 10, 1),
      loginPerAccount: int('FAMICHAT_LOGIN_LIMIT_PER_ACCOUNT', 200, 1),
      loginPerIp: int('FAMICHAT_LOGIN_LIMIT_PER_IP', 50, 1),
      loginWindowMs: int('FAMICHAT_LOGIN_WINDOW_SECONDS', 15 * 60, 1) * 1000,
      registerPerIp: int('FAMICHAT_REGISTER_LIMIT_PER_IP', 20, 1),
      registerWindowMs: int('FAMICHAT_REGISTER_WINDOW_SECONDS', 15 * 60, 1) * 1000,
      sendBurst: int('FAMICHAT_SEND_BURST', 20, 1),
      sendBurstWindowMs: int('FAMICHAT_SEND_BURST_WINDOW_SECONDS', 10, 1) * 1000,
      sendPerMinute: int('FAMICHAT_SEND_PER_MINUTE', 120, 1),
    },
    realtime: {
      maxChannels: int('FAMICHAT_WS_MAX_CHANNELS', 100, 1, 10_000),
      maxFrameBytes: int('FAMICHAT_WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      idleTimeoutMs: int('FAMICHAT_WS_IDLE_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
      presenceNodeTimeoutMs: int('FAMICHAT_PRESENCE_NODE_TIMEOUT_MS', 15_000, 300, 600_000),
    },
    branding: readBrandingEnv(env, problems),
    media: {
      dir: str('FAMICHAT_MEDIA_DIR') ?? `${str('FAMICHAT_DATA_DIR') ?? './data'}/media`,
      uploadMaxBytes: int('FAMICHAT_UPLOAD_MAX_BYTES', 100 * 1024 * 1024, 1),
      quotaBytes: int('FAMICHAT_UPLOAD_QUOTA_BYTES', 10 * 1024 * 1024 * 1024, 1),
      uploadsPerMinute: int('FAMICHAT_UPLOADS_PER_MINUTE', 60, 1),
      imageMaxPixels: int('FAMICHAT_IMAGE_MAX_PIXELS', 100_000_000, 1),
      s3: str('FAMICHAT_S3_BUCKET') === undefined
        ? undefined
        : {
            bucket: str('FAMICHAT_S3_BUCKET')!,
            endpoint: url('FAMICHAT_S3_ENDPOINT', ['http:', 'https:']),
            region: str('FAMICHAT_S3_REGION') ?? 'us-east-1',
            accessKeyId: str('FAMICHAT_S3_ACCESS_KEY_ID'),
            secretAccessKey: str('FAMICHAT_S3_SECRET_ACCESS_KEY'),
            forcePathStyle: str('FAMICHAT_S3_FORCE_PATH_STYLE') === undefined ? true : bool('FAMICHAT_S3_FORCE_PATH_STYLE'),
            prefix: str('FAMICHAT_S3_PREFIX') ?? 'media/',
          },
    },
  };
  if (config.media.s3) problems.push(...s3ConfigProblems(config.media.s3));
  else if (['FAMICHAT_S3_ENDPOINT', 'FAMICHAT_S3_ACCESS_KEY_ID', 'FAMICHAT_S3_SECRET_ACCESS_KEY', 'FAMICHAT_S3_PREFIX'].some((name) => str(name) !== undefined)) {
    problems.push('FAMICHAT_S3_BUCKET is required when any other FAMICHAT_S3_ setting is set (without it, uploads are stored in FAMICHAT_MEDIA_DIR)');
  }
  if (config.nodeEnv === 'production') {
    // Production mode: no fallbacks for what an operator must decide (see docs/deployment.md).
    if (env.DATABASE_URL === undefined || env.DATABASE_URL === '') {
      problems.push('DATABASE_URL is required in production (postgres://user:password@host:5432/database); the embedded database is for development');
    }
    if (env.FAMICHAT_PUBLIC_URL === undefined || env.FAMICHAT_PUBLIC_URL === '') {
      problems.push('FAMICHAT_PUBLIC_URL is required in production: the public origin people reach Famichat at, like https://chat.example.com');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

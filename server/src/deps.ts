/**
 * What the domain functions are given: plain dependencies and this node's state (caches, the send batcher),
 * built once per app by {@link createDeps} and passed as one argument.
 * @module
 */
import { SessionCache } from './accounts/session-cache.js';
import { BrandingCache } from './branding/branding-cache.js';
import type { Bus } from './bus/bus.js';
import { SendBatcher } from './chat/send-batch.js';
import { ShapeCache } from './chat/shape-cache.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { MediaSigner } from './media/urls.js';
import type { Storage } from './media/storage.js';
import { RateLimiter } from './rate-limit.js';

/** The rate limiters of one server process. */
export interface Limiters {
  /** Login attempts per username and address. */
  loginPerUsername: RateLimiter;
  /** Failed logins per username, from every address. */
  loginPerAccount: RateLimiter;
  loginPerIp: RateLimiter;
  /** Failed registrations per address. */
  registerPerIp: RateLimiter;
  /** Failed password resets (with a reset link) per address: the same limits as registrations. */
  resetPerIp: RateLimiter;
  sendBurst: RateLimiter;
  sendPerMinute: RateLimiter;
  /** Uploads started per user and minute. */
  uploadsPerMinute: RateLimiter;
}

/** Dependencies of the domain (accounts, chat, branding). */
export interface Deps {
  db: Db;
  bus: Bus;
  config: Config;
  limiters: Limiters;
  /** This node's group commit of sends. */
  sends: SendBatcher;
  /** This node's cached conversation shapes. */
  shapes: ShapeCache;
  /** This node's checked tokens and heard revocations. */
  sessions: SessionCache;
  /** This node's cached branding. */
  branding: BrandingCache;
  /** Where uploads' bytes are stored. */
  storage: Storage;
  /** Signs and verifies the viewers' media URLs. */
  media: MediaSigner;
}

/** Builds the domain's dependencies and this node's state, once per app. */
export function createDeps(db: Db, bus: Bus, config: Config, storage: Storage, media: MediaSigner): Deps {
  return {
    db,
    bus,
    config,
    limiters: createLimiters(config),
    sends: new SendBatcher(db),
    shapes: new ShapeCache(),
    sessions: new SessionCache(),
    branding: new BrandingCache(),
    storage,
    media,
  };
}

/** Creates the rate limiters from the configuration. */
export function createLimiters(config: Config): Limiters {
  const r = config.rateLimits;
  return {
    loginPerUsername: new RateLimiter({ max: r.loginPerUsername, windowMs: r.loginWindowMs }),
    loginPerAccount: new RateLimiter({ max: r.loginPerAccount, windowMs: r.loginWindowMs }),
    loginPerIp: new RateLimiter({ max: r.loginPerIp, windowMs: r.loginWindowMs }),
    registerPerIp: new RateLimiter({ max: r.registerPerIp, windowMs: r.registerWindowMs }),
    resetPerIp: new RateLimiter({ max: r.registerPerIp, windowMs: r.registerWindowMs }),
    sendBurst: new RateLimiter({ max: r.sendBurst, windowMs: r.sendBurstWindowMs }),
    sendPerMinute: new RateLimiter({ max: r.sendPerMinute, windowMs: 60_000 }),
    uploadsPerMinute: new RateLimiter({ max: config.media.uploadsPerMinute, windowMs: 60_000 }),
  };
}

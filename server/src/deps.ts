/**
 * What the domain functions are given: plain dependencies, passed as one argument.
 * @module
 */
import type { Bus } from './bus/bus.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
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
  sendBurst: RateLimiter;
  sendPerMinute: RateLimiter;
}

/** Dependencies of the domain (accounts, chat, branding). */
export interface Deps {
  db: Db;
  bus: Bus;
  config: Config;
  limiters: Limiters;
}

/** Creates the rate limiters from the configuration. */
export function createLimiters(config: Config): Limiters {
  const r = config.rateLimits;
  return {
    loginPerUsername: new RateLimiter({ max: r.loginPerUsername, windowMs: r.loginWindowMs }),
    loginPerAccount: new RateLimiter({ max: r.loginPerAccount, windowMs: r.loginWindowMs }),
    loginPerIp: new RateLimiter({ max: r.loginPerIp, windowMs: r.loginWindowMs }),
    registerPerIp: new RateLimiter({ max: r.registerPerIp, windowMs: r.registerWindowMs }),
    sendBurst: new RateLimiter({ max: r.sendBurst, windowMs: r.sendBurstWindowMs }),
    sendPerMinute: new RateLimiter({ max: r.sendPerMinute, windowMs: 60_000 }),
  };
}

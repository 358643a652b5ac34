/**
 * Fixed-window rate limiting, in process. Used for login attempts (per username and address, per
 * account, per address), failed registrations (per address) and message sends (per user, shared by
 * HTTP and WebSocket).
 * @module
 */
import { isIPv6 } from 'node:net';
import { AppError } from './errors.js';

/** One limit: at most `max` hits per `windowMs`. */
export interface Limit {
  max: number;
  windowMs: number;
}

/** Counts hits per key in fixed windows. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: Limit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns 0 when a hit for `key` would be allowed now, else the milliseconds until it would be. */
  check(key: string): number {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.limit.windowMs || window.count < this.limit.max) return 0;
    return Math.max(1, window.start + this.limit.windowMs - now);
  }

  /** Counts a hit for `key`. */
  hit(key: string): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.limit.windowMs) {
      if (this.windows.size > 100_000) this.sweep(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
  }

  /** Takes back one hit for `key` in its current window (a hit counted up front for what turned out to succeed). */
  unhit(key: string): void {
    const window = this.windows.get(key);
    if (window && window.count > 0 && this.now() - window.start < this.limit.windowMs) window.count--;
  }

  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.limit.windowMs) this.windows.delete(key);
    }
  }
}

/**
 * The rate-limit key of a client address: an IPv4 address as is, an IPv6 address by its /64 prefix,
 * since one subscriber is usually given a whole /64 and could otherwise rotate through it.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The error for a refused hit, retryable in `retryInMs`. */
export function rateLimited(retryInMs: number, what: string): AppError {
  return new AppError('rate_limited', `Too many ${what}; try again in ${Math.ceil(retryInMs / 1000)} s.`, {
    retry_in_ms: retryInMs,
  });
}

/**
 * Checks every limiter for `key` and throws when any refuses.
 * A refused hit is not counted against the other limiters.
 * @throws {AppError} `rate_limited` with `details.retry_in_ms`.
 */
export function enforce(limiters: RateLimiter[], key: string, what: string): void {
  const retryInMs = Math.max(0, ...limiters.map((limiter) => limiter.check(key)));
  if (retryInMs === 0) {
    for (const limiter of limiters) limiter.hit(key);
  } else {
    throw rateLimited(retryInMs, what);
  }
}

/**
 * Runs `attempt` under a budget of failures per `key`: refused while the budget is spent; the attempt is
 * counted as a failure up front and taken back when it succeeds, so concurrent failures cannot overshoot the
 * limit (an unexpected error counts too).
 * @throws {AppError} `rate_limited`, or whatever `attempt` throws.
 */
export async function limitFailures<T>(limiter: RateLimiter, key: string, what: string, attempt: () => Promise<T>): Promise<T> {
  const wait = limiter.check(key);
  if (wait > 0) throw rateLimited(wait, what);
  limiter.hit(key);
  const result = await attempt();
  limiter.unhit(key);
  return result;
}

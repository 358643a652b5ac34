/**
 * Fixed-window rate limiting, in process. Used for login attempts (per username, per IP) and
 * message sends (per user, shared by HTTP and WebSocket).
 * @module
 */
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
 * Checks every limiter for `key` and throws when any refuses.
 * A refused hit is not counted against the other limiters.
 * @throws {AppError} `rate_limited` with `details.retry_in_ms`.
 */
export function enforce(limiters: RateLimiter[], key: string, what: string): void {
  const retryInMs = Math.max(0, ...limiters.map((limiter) => limiter.check(key)));
  if (retryInMs === 0) {
    for (const limiter of limiters) limiter.hit(key);
  } else {
    throw new AppError('rate_limited', `Too many ${what}; try again in ${Math.ceil(retryInMs / 1000)} s.`, {
      retry_in_ms: retryInMs,
    });
  }
}

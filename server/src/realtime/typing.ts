/**
 * The node's typing throttle: at most one `typing` broadcast per user per conversation per window, whichever
 * of the user's sockets on this node sends it; the rest are dropped.
 * @module
 */

/** The default window: one `typing` per user per conversation every 2 s. */
export const TYPING_WINDOW_MS = 2000;

/** Remembers who typed where in the last window; memory holds only the keys of that window. */
export class TypingThrottle {
  /** `userId conversationId` -> when its last typing went out; insertion order is time order, oldest first. */
  private readonly last = new Map<string, number>();

  constructor(
    private readonly windowMs = TYPING_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this user's `typing` in this conversation goes out now (and starts a new window if so). */
  allow(userId: string, conversationId: string): boolean {
    const now = this.now();
    // Oldest first: forgetting the expired ones stops at the first one still in its window.
    for (const [key, at] of this.last) {
      if (now - at < this.windowMs) break;
      this.last.delete(key);
    }
    const key = `${userId} ${conversationId}`;
    if (this.last.has(key)) return false;
    this.last.set(key, now);
    return true;
  }

  /** Number of keys remembered (for tests: it never grows past the window's). */
  get size(): number {
    return this.last.size;
  }
}

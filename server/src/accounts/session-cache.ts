/**
 * A node's memory of sessions: the tokens it checked in the last few seconds, and the revocations it heard in
 * the last minute. Built once per app (see `buildApp`) and reached as `deps.sessions`.
 * @module
 */

/** Who is calling: the authenticated user and the session their token belongs to. */
export interface Caller {
  userId: string;
  sessionId: string;
}

/** A checked token, by its hash. */
export interface CachedSession {
  caller: Caller;
  expiresAt: number;
  lastSeenAt: number;
  checkedAt: number;
}

// A revocation heard this recently still closes a socket whose upgrade authenticated the session just before.
const RECENT_REVOCATION_MS = 60_000;

/** The session memory of one node. */
export class SessionCache {
  /** Checked tokens by token hash, oldest first. */
  readonly checked = new Map<string, CachedSession>();
  /** Revoked session ids and when this node heard of it, oldest first. */
  private readonly revoked = new Map<string, number>();

  /** Forgets a revoked session's tokens and remembers the revocation for a minute. */
  forget(sessionId: string): void {
    for (const [hash, entry] of this.checked) if (entry.caller.sessionId === sessionId) this.checked.delete(hash);
    const now = Date.now();
    this.revoked.delete(sessionId);
    this.revoked.set(sessionId, now);
    // Oldest first (insertion order): drop what is past the window.
    for (const [id, at] of this.revoked) {
      if (now - at <= RECENT_REVOCATION_MS) break;
      this.revoked.delete(id);
    }
  }

  /** Whether this node heard in the last minute that the session was revoked. */
  revokedRecently(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }
}

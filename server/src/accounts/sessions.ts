/**
 * Sessions: login, bearer-token authentication, listing and revoking one's sessions, logout.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Topic } from '../bus/bus.js';
import { publish, subscribe } from '../bus/bus.js';
import type { Executor } from '../db/connect.js';
import { firstRow, rows } from '../db/connect.js';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../errors.js';
import { addressKey, enforce, rateLimited } from '../rate-limit.js';
import { withSpan } from '../telemetry/tracing.js';
import { verifyPassword } from './passwords.js';
import type { Caller } from './session-cache.js';
import { hashToken, newToken } from './tokens.js';
import type { UserRow } from './users.js';
import { USER_COLUMNS, toMe } from './users.js';
import type { MeView, SessionView } from '../contract/objects.js';


/** Who is calling (see session-cache.ts). */
export type { Caller } from './session-cache.js';

/** Creates a session for `userId` and returns its one-time-visible token. */
export async function createSession(
  ex: Executor,
  userId: string,
  deviceName: string | null,
  ttlMs: number,
): Promise<{ token: string; sessionId: string }> {
  const token = newToken('fcs');
  const sessionId = randomUUID();
  await ex.execute(sql`INSERT INTO sessions (id, user_id, token_hash, device_name, expires_at)
    VALUES (${sessionId}, ${userId}, ${hashToken(token)}, ${deviceName}, ${new Date(Date.now() + ttlMs)})`);
  return { token, sessionId };
}

/** Login input. */
export interface LoginInput {
  username: string;
  password: string;
  device_name?: string | undefined;
}

/**
 * Checks a username and password and opens a session.
 *
 * Limits: attempts per username *and address* (so a flood from one address never locks the owner out
 * at another), attempts per address (across usernames), and failures per username from all addresses
 * together, much higher: the cap on guessing one account's password from many addresses. That last cap
 * can lock an account out, but only for someone failing from more addresses than it allows per window.
 * @throws {AppError} `rate_limited` past the login limits; `unauthorized` for a wrong username or password (identical).
 */
export async function login(
  deps: Deps,
  input: LoginInput,
  ip: string,
): Promise<{ user: MeView; token: string; session_id: string }> {
  return withSpan('accounts.login', {}, async (span) => {
    const username = input.username.trim().toLowerCase();
    const attempt = passwordAttempt(deps, username, ip, () =>
      enforce([deps.limiters.loginPerIp], `ip:${addressKey(ip)}`, 'login attempts from this address'),
    );
    const row = await firstRow<UserRow & { password_hash: string }>(
      deps.db,
      sql`SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = ${username}`,
    );
    if (!(await verifyPassword(row?.password_hash, input.password)) || !row) {
      attempt.failed();
      throw new AppError('unauthorized', 'Wrong username or password.');
    }
    attempt.succeeded();
    const deviceName = input.device_name?.trim().slice(0, 100) || null;
    const { token, sessionId } = await createSession(deps.db, row.id, deviceName, deps.config.sessionTtlMs);
    span.setAttributes({ 'famichat.user_id': row.id, 'famichat.session_id': sessionId });
    return { user: await toMe(deps, row), token, session_id: sessionId };
  });
}

/** A password attempt counted by the login limits; report its outcome once the password was checked. */
export interface PasswordAttempt {
  /** The password was wrong: one more failure against the account, from any address. */
  failed(): void;
  /** The password was right: this username and address start afresh. */
  succeeded(): void;
}

/**
 * Counts an attempt at `username`'s password from `ip` against the login limits (per username and address,
 * and failures per account from every address), after `alsoCheck` (more limits of the caller's) passed. A
 * login and a password change share them, so neither is a way around the other's limit.
 * @throws {AppError} `rate_limited`.
 */
export function passwordAttempt(deps: Deps, username: string, ip: string, alsoCheck: () => void = () => {}): PasswordAttempt {
  const { loginPerUsername, loginPerAccount } = deps.limiters;
  const pairKey = `u:${username}|ip:${addressKey(ip)}`;
  const accountKey = `u:${username}`;
  const accountWait = Math.max(loginPerUsername.check(pairKey), loginPerAccount.check(accountKey));
  if (accountWait > 0) throw rateLimited(accountWait, 'login attempts for this account');
  alsoCheck();
  loginPerUsername.hit(pairKey);
  return {
    // Only failures count across addresses: the owner's own logins never use up the account's cap.
    failed: () => loginPerAccount.hit(accountKey),
    succeeded: () => loginPerUsername.reset(pairKey),
  };
}

// last_seen_at (and the sliding expiry) is written at most once a minute per session.
const TOUCH_INTERVAL_MS = 60_000;
// A node trusts a token it checked for this long; revocations reach every node at once through the bus,
// so this only bounds how long a revocation lost with the bus (a Redis outage) can go unnoticed.
const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 50_000;

/** The bus topic on which every node hears of every revocation `{session_id}`: it drops the session from its cache and closes its sockets. */
export const REVOCATIONS_TOPIC: Topic<{ revoked: { session_id: string } }> = 'session-revocations';

/**
 * Whether this node heard in the last minute that the session was revoked. A socket's upgrade may
 * authenticate a session just before its revocation is announced, while the socket does not listen for
 * revocations yet: the socket asks this once it does.
 */
export function revokedRecently(deps: Deps, sessionId: string): boolean {
  return deps.sessions.revokedRecently(sessionId);
}

/** Drops revoked sessions from this node's cache when any node revokes one (call once per app). */
export function watchRevocations(deps: Deps): () => void {
  return subscribe(deps.bus, REVOCATIONS_TOPIC, (event) => {
    const id = event.payload.session_id;
    if (typeof id === 'string') deps.sessions.forget(id);
  });
}

/**
 * Resolves a bearer token to its caller: from this node's cache when it checked the token in the last
 * few seconds (no query), else from the database.
 * @throws {AppError} `unauthorized` for an unknown, expired or revoked token.
 */
export async function authenticate(deps: Deps, token: string | undefined): Promise<Caller> {
  if (!token) throw new AppError('unauthorized', 'A bearer token is required.');
  const hash = hashToken(token);
  const cache = deps.sessions.checked;
  const now = Date.now();
  let entry = cache.get(hash);
  if (!entry || now - entry.checkedAt > CACHE_TTL_MS || now >= entry.expiresAt) {
    cache.delete(hash);
    const row = await firstRow<{ id: string; user_id: string; last_seen_at: Date; expires_at: Date }>(
      deps.db,
      sql`SELECT id, user_id, last_seen_at, expires_at FROM sessions
          WHERE token_hash = ${hash} AND revoked_at IS NULL AND expires_at > now()`,
      'authenticate',
    );
    if (!row) throw new AppError('unauthorized', 'The token is unknown, expired or revoked.');
    entry = {
      caller: { userId: row.user_id, sessionId: row.id },
      expiresAt: new Date(row.expires_at).getTime(),
      lastSeenAt: new Date(row.last_seen_at).getTime(),
      checkedAt: now,
    };
    cache.set(hash, entry);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  if (now - entry.lastSeenAt > TOUCH_INTERVAL_MS) {
    entry.lastSeenAt = now;
    entry.expiresAt = now + deps.config.sessionTtlMs;
    await deps.db.execute(sql`UPDATE sessions SET last_seen_at = now(),
      expires_at = now() + make_interval(secs => ${deps.config.sessionTtlMs / 1000}) WHERE id = ${entry.caller.sessionId}`);
  }
  return entry.caller;
}

/** Lists the caller's active sessions, most recently seen first. */
export async function listSessions(deps: Deps, caller: Caller): Promise<SessionView[]> {
  const list = await rows<{ id: string; device_name: string | null; created_at: Date; last_seen_at: Date }>(
    deps.db,
    sql`SELECT id, device_name, created_at, last_seen_at FROM sessions
        WHERE user_id = ${caller.userId} AND revoked_at IS NULL AND expires_at > now()
        ORDER BY last_seen_at DESC, created_at DESC`,
  );
  return list.map((s) => ({
    id: s.id,
    device_name: s.device_name,
    created_at: new Date(s.created_at).toISOString(),
    last_seen_at: new Date(s.last_seen_at).toISOString(),
    current: s.id === caller.sessionId,
  }));
}

/**
 * Revokes one of the caller's sessions: its token stops working at once and its sockets are closed.
 * @throws {AppError} `not_found` when the session is not the caller's or is already revoked.
 */
export async function revokeSession(deps: Deps, caller: Caller, sessionId: string): Promise<void> {
  const row = await firstRow<{ id: string }>(
    deps.db,
    sql`UPDATE sessions SET revoked_at = now()
        WHERE id = ${sessionId} AND user_id = ${caller.userId} AND revoked_at IS NULL RETURNING id`,
  );
  if (!row) throw notFound('session');
  await announceRevoked(deps, [sessionId]);
}

/**
 * Revokes every session of the caller except the calling one ("log out other devices"): their tokens stop
 * working at once and their sockets are closed on every node.
 */
export async function revokeOtherSessions(deps: Deps, caller: Caller): Promise<void> {
  await announceRevoked(deps, await endSessions(deps.db, caller.userId, caller.sessionId));
}

/**
 * Marks every live session of `userId` revoked, except `keepSessionId` (null: all of them), and returns their
 * ids; part of the caller's transaction when a password changes. Announce them with {@link announceRevoked}
 * once the transaction committed.
 */
export async function endSessions(ex: Executor, userId: string, keepSessionId: string | null): Promise<string[]> {
  const ended = await rows<{ id: string }>(
    ex,
    sql`UPDATE sessions SET revoked_at = now()
        WHERE user_id = ${userId} AND revoked_at IS NULL AND id IS DISTINCT FROM ${keepSessionId}::uuid RETURNING id`,
  );
  return ended.map((s) => s.id);
}

/** Tells every node (this one at once) that these sessions are revoked: each drops them from its cache and closes their sockets. */
export async function announceRevoked(deps: Deps, sessionIds: string[]): Promise<void> {
  for (const id of sessionIds) {
    deps.sessions.forget(id);
    await publish(deps.bus, { topic: REVOCATIONS_TOPIC, event: 'revoked', payload: { session_id: id } });
  }
}

/**
 * Bearer, invite and password-reset tokens: random, shown once, stored only as SHA-256 hashes.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

/** A new random token (256 bits, base64url) with a short prefix naming its kind (session, invite, password reset). */
export function newToken(prefix: 'fcs' | 'fci' | 'fcr'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

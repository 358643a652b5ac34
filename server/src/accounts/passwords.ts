/**
 * Password hashing with argon2id. Only hashes are stored.
 * @module
 */
import type { Algorithm } from '@node-rs/argon2';
import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id (a const enum, which isolated modules cannot read) is 2.
const OPTIONS = { algorithm: 2 as Algorithm } as const;

/** Hashes a password with argon2id (random salt, the library's recommended cost). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified against when the username is unknown, so both failures take the same time.
let dummyHash: Promise<string> | undefined;

/** Checks `password` against `storedHash`; with no hash, spends the same time and returns false. */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    dummyHash ??= hashPassword('famichat-timing-equaliser');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}

/**
 * How a user appears to other people: the one public view, shared by accounts and chat (a leaf: it imports
 * only the contract, so every layer may use it).
 * @module
 */
import type { UserView } from './contract/objects.js';

/** The public view of a user row. */
export function toUser(row: { id: string; username: string; display_name: string; created_at: Date }): UserView {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    created_at: new Date(row.created_at).toISOString(),
  };
}

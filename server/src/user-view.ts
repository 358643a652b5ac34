/**
 * How a user appears to other people: the one public view, shared by accounts and chat (a leaf: it imports
 * nothing of the server, so every layer may use it).
 * @module
 */

/** A user as other people see them. */
export interface UserView {
  id: string;
  username: string;
  display_name: string;
  created_at: string;
}

/** The public view of a user row. */
export function toUser(row: { id: string; username: string; display_name: string; created_at: Date }): UserView {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    created_at: new Date(row.created_at).toISOString(),
  };
}

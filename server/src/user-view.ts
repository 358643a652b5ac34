/**
 * How a user appears to other people: the one public view, shared by accounts and chat (a leaf: it imports
 * only the contract, so every layer may use it).
 * @module
 */
import type { UserView } from './contract/objects.js';
import { unsignedUrl } from './media/urls.js';

/** The public view of a user row (`avatar_upload_id`: the profile picture's upload, when set). */
export function toUser(row: { id: string; username: string; display_name: string; created_at: Date; avatar_upload_id: string | null }): UserView {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    avatar_url: row.avatar_upload_id ? unsignedUrl(row.avatar_upload_id, 'thumbnail') : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

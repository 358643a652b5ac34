// Setting and removing the caller's profile picture: the image goes up with the SDK's uploadFile (POST
// /api/v1/uploads), then setAvatar makes it the picture (PATCH /api/v1/me {avatar_upload_id}).
import type { Me } from '@famichat/client';
import { store } from '../../state/app';

/** Uploads `file` and makes it the caller's profile picture; resolves to the updated Me. */
export async function setProfilePicture(file: File): Promise<Me> {
  const upload = await store.api.uploadFile(file, { filename: file.name || 'picture' });
  return store.api.setAvatar(upload.id);
}

/** Removes the caller's profile picture (initials again); resolves to the updated Me. */
export function removeProfilePicture(): Promise<Me> {
  return store.api.setAvatar(null);
}

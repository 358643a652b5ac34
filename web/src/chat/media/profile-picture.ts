// Setting and removing the caller's profile picture: the image goes to POST /api/v1/uploads, then
// PATCH /api/v1/me {avatar_upload_id}. Raw requests with the app's token for now.
// TODO(composer): switch to the SDK's uploadFile()/setAvatar() once they are merged.
import type { ApiErrorCode, Me } from '@famichat/client';
import { ApiError } from '@famichat/client';
import { store } from '../../state/app';

/** Sends a request with the session's token; returns the envelope's data or throws an ApiError. */
async function request<T>(method: string, path: string, body: BodyInit, contentType: string): Promise<T> {
  const token = store.state.token;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: { accept: 'application/json', 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  } catch (e) {
    throw new ApiError('network', 0, `The server could not be reached (${e instanceof Error ? e.message : String(e)}).`);
  }
  const json = (await response.json().catch(() => undefined)) as { data?: T; error?: { code: string; message: string; details?: Record<string, unknown> } } | undefined;
  if (response.ok && json?.data !== undefined) return json.data;
  const error = json?.error;
  throw new ApiError((error?.code ?? 'internal') as ApiErrorCode, response.status, error?.message ?? `Unexpected answer from the server (HTTP ${response.status}).`, error?.details);
}

/** Uploads `file` and makes it the caller's profile picture; resolves to the updated Me. */
export async function setProfilePicture(file: File): Promise<Me> {
  const upload = await request<{ id: string; kind: string }>('POST', `/uploads?filename=${encodeURIComponent(file.name || 'picture')}`, file, file.type || 'application/octet-stream');
  return request<Me>('PATCH', '/me', JSON.stringify({ avatar_upload_id: upload.id }), 'application/json');
}

/** Removes the caller's profile picture (initials again); resolves to the updated Me. */
export function removeProfilePicture(): Promise<Me> {
  return request<Me>('PATCH', '/me', JSON.stringify({ avatar_upload_id: null }), 'application/json');
}

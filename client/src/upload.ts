/**
 * Uploading a file: `POST /api/v1/uploads?filename=&duration_ms=` with the file itself as the body. In a browser
 * it goes over XMLHttpRequest, the one browser API that reports upload progress; elsewhere over fetch.
 * @module
 */

/** Options of one upload. */
export interface UploadOptions {
  /** The file's name as the family sees it (the server keeps it for downloads). */
  filename: string;
  /** A recording's length measured by the client (voice messages), used when the server cannot read it. */
  durationMs?: number;
  /** Called as the body goes out: bytes sent so far and the total. */
  onProgress?: (sent: number, total: number) => void;
  /** Aborts the upload (it then rejects with an ApiError of code `aborted`). */
  signal?: AbortSignal;
}

/** What one raw upload request answered: status, two headers and the body text. Status 0: no answer (network). */
export interface RawAnswer {
  /** The HTTP status (0 when the server could not be reached). */
  status: number;
  /** The `Content-Type` header. */
  contentType: string | null;
  /** The `Retry-After` header. */
  retryAfter: string | null;
  /** The body as text. */
  body: string;
}

/** Thrown by a transport when the signal aborted the request. */
export class UploadAborted extends Error {
  override readonly name = 'UploadAborted';
}

/** The query string of an upload: the name, and the duration when known. */
export function uploadQuery(options: Pick<UploadOptions, 'filename' | 'durationMs'>): string {
  const query = new URLSearchParams({ filename: options.filename });
  if (options.durationMs !== undefined) query.set('duration_ms', String(Math.max(0, Math.round(options.durationMs))));
  return query.toString();
}

/** Sends `blob` with XMLHttpRequest (progress events for the body), resolving with the answer whatever its status. */
export function xhrUpload(url: string, blob: Blob, headers: Record<string, string>, options: UploadOptions): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    if (options.signal?.aborted) return reject(new UploadAborted('The upload was cancelled.'));
    options.signal?.addEventListener('abort', abort, { once: true });
    const done = () => options.signal?.removeEventListener('abort', abort);
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.lengthComputable ? event.total : blob.size);
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, contentType: xhr.getResponseHeader('content-type'), retryAfter: xhr.getResponseHeader('retry-after'), body: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      resolve({ status: 0, contentType: null, retryAfter: null, body: '' });
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      done();
      reject(new UploadAborted('The upload was cancelled.'));
    };
    options.onProgress?.(0, blob.size);
    xhr.send(blob);
  });
}

/** Sends `blob` with fetch (no progress but the start and the end), resolving with the answer whatever its status. */
export async function fetchUpload(
  doFetch: (request: Request) => Promise<Response>,
  url: string,
  blob: Blob,
  headers: Record<string, string>,
  options: UploadOptions,
): Promise<RawAnswer> {
  options.onProgress?.(0, blob.size);
  let response: Response;
  try {
    response = await doFetch(new Request(url, { method: 'POST', headers, body: blob, ...(options.signal ? { signal: options.signal } : {}) }));
  } catch (error) {
    if (options.signal?.aborted) throw new UploadAborted('The upload was cancelled.');
    void error;
    return { status: 0, contentType: null, retryAfter: null, body: '' };
  }
  const body = await response.text();
  if (response.ok) options.onProgress?.(blob.size, blob.size);
  return { status: response.status, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body };
}

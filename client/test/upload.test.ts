// The SDK's upload call (fetch transport, as outside a browser), sends with attachments, the avatar, and how
// upload errors map: code, the server's message, Retry-After.
import { describe, expect, it } from 'vitest';
import { ApiError, createApi, uploadQuery } from '../src/index.js';

const meta = { request_id: 'r', trace_id: '0'.repeat(32), duration_ms: 1 };
const attachment = {
  id: 'u1', kind: 'image', mime_type: 'image/png', filename: 'cat.png', size_bytes: 4, width: 1, height: 1, duration_ms: null,
  url: '/api/v1/media/u1/original?s=x', thumbnail_url: '/api/v1/media/u1/thumbnail?s=x',
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

interface Call { url: string; method: string; headers: Record<string, string>; body: Uint8Array }
function recording(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchImpl = async (request: Request) => {
    const call = { url: request.url, method: request.method, headers: Object.fromEntries(request.headers), body: new Uint8Array(await request.arrayBuffer()) };
    calls.push(call);
    return respond(call);
  };
  return { calls, fetchImpl };
}

describe('uploadFile', () => {
  it('posts the bytes with their type, the name and duration in the query, and returns the attachment', async () => {
    const { calls, fetchImpl } = recording(() => json(201, { data: attachment, meta }));
    const api = createApi({ baseUrl: 'http://h/', getToken: () => 'tok', fetch: fetchImpl });
    const progress: Array<[number, number]> = [];
    const result = await api.uploadFile(new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' }), {
      filename: 'Voice message 2026-12-01 14-05.webm', durationMs: 1234.6, onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(result).toEqual(attachment);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.url).toBe('http://h/api/v1/uploads?filename=Voice+message+2026-12-01+14-05.webm&duration_ms=1235');
    expect(calls[0]!.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'image/png' });
    expect([...calls[0]!.body]).toEqual([1, 2, 3, 4]);
    expect(progress).toEqual([[0, 4], [4, 4]]);
  });

  it('sends a typeless blob as application/octet-stream and leaves out an unknown duration', async () => {
    const { calls, fetchImpl } = recording(() => json(201, { data: attachment, meta }));
    await createApi({ baseUrl: 'http://h', fetch: fetchImpl }).uploadFile(new Blob(['x']), { filename: 'notes' });
    expect(calls[0]!.headers['content-type']).toBe('application/octet-stream');
    expect(calls[0]!.url).toBe('http://h/api/v1/uploads?filename=notes');
    expect(uploadQuery({ filename: 'a&b.txt', durationMs: -5 })).toBe('filename=a%26b.txt&duration_ms=0');
  });

  it("maps a 413 to payload_too_large with the server's message, and a 503 with its Retry-After", async () => {
    const tooBig = createApi({
      baseUrl: 'http://h',
      fetch: recording(() => json(413, { error: { code: 'payload_too_large', message: 'The file is 120 MB; the limit is 100 MB.' }, meta })).fetchImpl,
    });
    const error = await tooBig.uploadFile(new Blob(['x']), { filename: 'big.mov' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'payload_too_large', status: 413, message: 'The file is 120 MB; the limit is 100 MB.' });

    const full = createApi({
      baseUrl: 'http://h',
      fetch: recording(() => json(503, { error: { code: 'unavailable', message: 'The media storage is full.' }, meta }, { 'retry-after': '30' })).fetchImpl,
    });
    await expect(full.uploadFile(new Blob(['x']), { filename: 'a.jpg' })).rejects.toMatchObject({ code: 'unavailable', message: 'The media storage is full.', retryAfterMs: 30_000 });

    const limited = createApi({
      baseUrl: 'http://h',
      fetch: recording(() => json(429, { error: { code: 'rate_limited', message: 'Slow down.', details: { retry_in_ms: 1500 } }, meta }, { 'retry-after': '2' })).fetchImpl,
    });
    await expect(limited.uploadFile(new Blob(['x']), { filename: 'a.jpg' })).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 1500 });
  });

  it('maps a lost connection to network, a cancel to aborted, a 401 to the session ending, and a bodiless answer by status', async () => {
    const down = createApi({ baseUrl: 'http://h', fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(down.uploadFile(new Blob(['x']), { filename: 'a' })).rejects.toMatchObject({ code: 'network', status: 0 });

    const controller = new AbortController();
    const hanging = createApi({
      baseUrl: 'http://h',
      fetch: (request) => new Promise((_resolve, reject) => request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    });
    const cancelled = hanging.uploadFile(new Blob(['x']), { filename: 'a', signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'aborted' });

    let ended = 0;
    const expired = createApi({ baseUrl: 'http://h', getToken: () => 'old', onUnauthorized: () => ended++, fetch: recording(() => json(401, { error: { code: 'unauthorized', message: 'no' }, meta })).fetchImpl });
    await expect(expired.uploadFile(new Blob(['x']), { filename: 'a' })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(ended).toBe(1);

    const proxy = createApi({ baseUrl: 'http://h', fetch: recording(() => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } })).fetchImpl });
    await expect(proxy.uploadFile(new Blob(['x']), { filename: 'a' })).rejects.toMatchObject({ code: 'internal', status: 502 });
    const empty = createApi({ baseUrl: 'http://h', fetch: recording(() => json(201, { meta })).fetchImpl });
    await expect(empty.uploadFile(new Blob(['x']), { filename: 'a' })).rejects.toMatchObject({ code: 'internal', status: 201 });
  });
});

describe('sending with attachments and the avatar', () => {
  it('sends attachment_ids with the client_id, an empty body allowed, and leaves out an empty list', async () => {
    const { calls, fetchImpl } = recording(() => json(201, { data: { id: 'm1' }, meta }));
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl });
    await api.sendMessage('c1', { attachment_ids: ['u1', 'u2'] }, 'cid');
    await api.sendMessage('c1', { body: 'hi', attachment_ids: [] });
    const bodies = calls.map((c) => JSON.parse(new TextDecoder().decode(c.body)) as unknown);
    expect(bodies).toEqual([{ body: '', attachment_ids: ['u1', 'u2'], client_id: 'cid' }, { body: 'hi' }]);
  });

  it('sets and clears the avatar with PATCH /me', async () => {
    const { calls, fetchImpl } = recording(() => json(200, { data: { id: 'me', avatar_url: null }, meta }));
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl });
    await api.setAvatar('u1');
    await api.setAvatar(null);
    expect(calls.map((c) => [c.method, c.url, JSON.parse(new TextDecoder().decode(c.body)) as unknown])).toEqual([
      ['PATCH', 'http://h/api/v1/me', { avatar_upload_id: 'u1' }],
      ['PATCH', 'http://h/api/v1/me', { avatar_upload_id: null }],
    ]);
  });
});

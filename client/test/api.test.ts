import { describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../src/index.js';

const meta = { request_id: 'r', trace_id: '0'.repeat(32), duration_ms: 1 };
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

// Records each Request openapi-fetch makes as url + init (headers as a plain object, body as text).
function recording(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchImpl = async (request: Request) => {
    const body = await request.text();
    const init: RequestInit = { method: request.method, headers: Object.fromEntries(request.headers), ...(body ? { body } : {}) };
    calls.push({ url: request.url, init });
    return respond(request.url, init);
  };
  return { calls, fetchImpl };
}

describe('createApi', () => {
  it('sends the bearer token and JSON body, and unwraps the envelope', async () => {
    const { calls, fetchImpl } = recording(() => json(201, { data: { id: 'm1', seq: 1 }, meta }));
    const api = createApi({ baseUrl: 'http://h/', getToken: () => 'tok', fetch: fetchImpl });
    const message = await api.sendMessage('c/1', 'hi', 'cid');
    expect(message).toEqual({ id: 'm1', seq: 1 });
    expect(calls[0]!.url).toBe('http://h/api/v1/conversations/c%2F1/messages');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ body: 'hi', client_id: 'cid' });
  });

  it('throws a typed ApiError with code, status, message and details', async () => {
    const { fetchImpl } = recording(() =>
      json(422, { error: { code: 'validation_failed', message: 'The request is not valid.', details: { fields: { username: 'too short' } } }, meta }),
    );
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl });
    const error = await api.login({ username: 'a', password: 'b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'validation_failed', status: 422, message: 'The request is not valid.' });
    expect((error as ApiError).fields).toEqual({ username: 'too short' });
  });

  it('reports a 401 on an authenticated call (the session ended), but not on a failed login', async () => {
    let ended = 0;
    const { fetchImpl } = recording(() => json(401, { error: { code: 'unauthorized', message: 'no' }, meta }));
    let token: string | null = null;
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl, getToken: () => token, onUnauthorized: () => ended++ });
    await expect(api.login({ username: 'a', password: 'b' })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(ended).toBe(0);
    token = 'old';
    await expect(api.me()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    expect(ended).toBe(1);
  });

  it('returns paging info with message pages and builds the keyset query', async () => {
    const { calls, fetchImpl } = recording(() => json(200, { data: [{ seq: 4 }], meta: { ...meta, page: { has_more: true, first_seq: 4, last_seq: 4 } } }));
    const page = await createApi({ baseUrl: 'http://h', fetch: fetchImpl }).messages('c1', { before: 5, limit: 1 });
    expect(page).toEqual({ messages: [{ seq: 4 }], hasMore: true });
    expect(calls[0]!.url).toBe('http://h/api/v1/conversations/c1/messages?limit=1&before=5');
  });

  it('maps 204, network failures and non-JSON errors', async () => {
    const ok = createApi({ baseUrl: 'http://h', fetch: recording(() => new Response(null, { status: 204 })).fetchImpl });
    await expect(ok.logout()).resolves.toBeUndefined();
    const down = createApi({ baseUrl: 'http://h', fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) });
    await expect(down.me()).rejects.toMatchObject({ code: 'network', status: 0 });
    const proxy = createApi({ baseUrl: 'http://h', fetch: recording(() => new Response('<html>Bad gateway</html>', { status: 503 })).fetchImpl });
    await expect(proxy.me()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    const broken = createApi({ baseUrl: 'http://h', fetch: recording(() => new Response('not json', { status: 200 })).fetchImpl });
    await expect(broken.me()).rejects.toMatchObject({ code: 'internal', status: 200 });
  });

  it('lists, withdraws and previews invites on their paths', async () => {
    const open = [{ id: 'i1', role: 'member', created_by: { id: 'u1' }, created_at: 'c', expires_at: 'e' }];
    const preview = { family_name: 'Fam', role: 'admin', invited_by: 'Grandma', expires_at: 'e' };
    const { calls, fetchImpl } = recording((url, init) =>
      init.method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, { data: url.includes('/invites/fci') ? preview : open, meta }),
    );
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl, getToken: () => 'tok' });
    expect(await api.invites('f/1')).toEqual(open);
    await expect(api.revokeInvite('f1', 'i/1')).resolves.toBeUndefined();
    expect(await api.previewInvite('fci_a/b')).toEqual(preview);
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'GET http://h/api/v1/families/f%2F1/invites',
      'DELETE http://h/api/v1/families/f1/invites/i%2F1',
      'GET http://h/api/v1/invites/fci_a%2Fb',
    ]);
    const gone = createApi({ baseUrl: 'http://h', fetch: recording(() => json(410, { error: { code: 'gone', message: 'used' }, meta })).fetchImpl });
    await expect(gone.previewInvite('fci_x')).rejects.toMatchObject({ code: 'gone', status: 410 });
  });
  it('changes the password, logs out devices and handles reset links on their paths', async () => {
    const link = { token: 'fcr_t', expires_at: 'e' };
    const preview = { username: 'kid', display_name: 'Kid', expires_at: 'e' };
    const auth = { user: { id: 'u1' }, token: 'fcs_new', session_id: 's9' };
    const { calls, fetchImpl } = recording((url, init) => {
      if (init.method === 'DELETE' || url.endsWith('/me/password')) return new Response(null, { status: 204 });
      if (url.endsWith('/password-reset') && url.includes('/families/')) return json(201, { data: link, meta });
      return json(200, { data: url.includes('/password-resets/') ? preview : auth, meta });
    });
    const api = createApi({ baseUrl: 'http://h', fetch: fetchImpl, getToken: () => 'tok' });
    await expect(api.changePassword({ current_password: 'old secret', new_password: 'new secret' })).resolves.toBeUndefined();
    await expect(api.revokeOtherSessions()).resolves.toBeUndefined();
    await expect(api.revokeSession('s/1')).resolves.toBeUndefined();
    expect(await api.createPasswordReset('f1', 'u/1')).toEqual(link);
    expect(await api.previewPasswordReset('fcr_a/b')).toEqual(preview);
    expect(await api.resetPassword({ token: 'fcr_t', password: 'new secret' })).toEqual(auth);
    await expect(api.addParticipant('c1', 'u2')).resolves.toEqual(auth);
    await expect(api.removeParticipant('c1', 'u/2')).resolves.toBeUndefined();
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'POST http://h/api/v1/me/password',
      'DELETE http://h/api/v1/me/sessions',
      'DELETE http://h/api/v1/me/sessions/s%2F1',
      'POST http://h/api/v1/families/f1/members/u%2F1/password-reset',
      'GET http://h/api/v1/password-resets/fcr_a%2Fb',
      'POST http://h/api/v1/auth/password-reset',
      'POST http://h/api/v1/conversations/c1/participants',
      'DELETE http://h/api/v1/conversations/c1/participants/u%2F2',
    ]);
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ current_password: 'old secret', new_password: 'new secret' });
    expect(JSON.parse(calls[5]!.init.body as string)).toEqual({ token: 'fcr_t', password: 'new secret' });
    expect(JSON.parse(calls[6]!.init.body as string)).toEqual({ user_id: 'u2' });
    const wrong = createApi({
      baseUrl: 'http://h',
      fetch: recording(() => json(422, { error: { code: 'validation_failed', message: 'wrong', details: { fields: { current_password: 'is not your current password' } } }, meta })).fetchImpl,
    });
    const error = await wrong.changePassword({ current_password: 'x', new_password: 'new secret' }).catch((e: unknown) => e);
    expect((error as ApiError).fields).toEqual({ current_password: 'is not your current password' });
  });
});

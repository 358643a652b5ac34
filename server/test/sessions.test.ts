// Sessions: login (and its rate limits), bearer authentication, logout, listing and revoking sessions, /me.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import { addMember, family, withInstance } from './helpers/fixtures.js';
import { RateLimiter, addressKey } from '../src/rate-limit.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = 'correct horse'; // the fixtures' password

const { t, admin, familyId, members: [bob, carol] } = await family({ members: ['Bob', 'Carol'] });

const login = (username: string, password = PASSWORD, device_name?: string) =>
  t.as().post('/api/v1/auth/login', { username, password, ...(device_name !== undefined ? { device_name } : {}) });

/** Expects a 401 `unauthorized` in the full error envelope. */
function expectUnauthorized(res: { status: number; body: any; headers: Record<string, unknown> }) {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('unauthorized');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.meta.request_id).toBe(res.headers['x-request-id']);
  expect(res.body.meta.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(res.body).not.toHaveProperty('data');
}

describe('login', () => {
  it('returns the user, a working token and the session id', async () => {
    const res = await login(bob.username);
    expect(res.status).toBe(200);
    const { user, token, session_id } = res.body.data;
    expect(user).toMatchObject({ id: bob.id, username: bob.username, display_name: 'Bob', preferences: { theme: null }, is_instance_admin: false });
    expect(user.created_at).toMatch(ISO);
    expect(session_id).toMatch(UUID);
    expect(token).not.toBe(bob.token);
    const me = await t.as(token).get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual(user);
    const sessions = await t.as(token).get('/api/v1/me/sessions');
    expect(sessions.body.data.find((s: any) => s.current).id).toBe(session_id);
  });

  it('gives a wrong password and an unknown username the identical 401', async () => {
    const wrongPassword = await login(bob.username, 'not the password');
    const unknownUser = await login('nobody_here', PASSWORD);
    expectUnauthorized(wrongPassword);
    expectUnauthorized(unknownUser);
    expect(wrongPassword.body.error).toEqual(unknownUser.body.error);
    expect(wrongPassword.body.error).not.toHaveProperty('details');
  });

  it('stores the device name and lists it with the session', async () => {
    const res = await login(carol.username, PASSWORD, '  Grandpa’s iPad  ');
    expect(res.status).toBe(200);
    const noDevice = await login(carol.username);
    const sessions = await t.as(res.body.data.token).get('/api/v1/me/sessions');
    const listed = sessions.body.data.find((s: any) => s.id === res.body.data.session_id);
    expect(listed).toMatchObject({ device_name: 'Grandpa’s iPad', current: true });
    const other = sessions.body.data.find((s: any) => s.id === noDevice.body.data.session_id);
    expect(other).toMatchObject({ device_name: null, current: false });
  });

  it('rejects a missing username or password with 422', async () => {
    const res = await t.as().post('/api/v1/auth/login', { username: bob.username });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toHaveProperty('password');
  });
});

/** A login attempt from a given client address. */
async function loginFrom(app: TestApp, ip: string, username: string, password: string) {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username, password }),
  });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
}

function expectRateLimited(res: { status: number; body: any; headers: Record<string, unknown> }) {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  const retryInMs = res.body.error.details.retry_in_ms;
  expect(retryInMs).toBeGreaterThan(0);
  expect(retryInMs).toBeLessThanOrEqual(15 * 60_000);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(Math.abs(retryAfter - retryInMs / 1000)).toBeLessThanOrEqual(1);
}

describe('login rate limits', () => {
  it('limits attempts per username from one address: the 4th of 3 allowed is refused with 429, even with the right password', () =>
    withInstance({ FAMICHAT_LOGIN_LIMIT_PER_USERNAME: '3' }, async ({ t: r, admin: a, familyId: f }) => {
      const other = await addMember(r, a, f);
      for (let i = 0; i < 3; i++) expect((await loginFrom(r, '10.0.0.1', a.username, 'wrong password')).status).toBe(401);
      expectRateLimited(await loginFrom(r, '10.0.0.1', a.username, 'wrong password'));
      expectRateLimited(await loginFrom(r, '10.0.0.1', a.username.toUpperCase(), PASSWORD));
      // Other accounts from that address, and that account from other addresses, are not affected.
      expect((await loginFrom(r, '10.0.0.1', other.username, PASSWORD)).status).toBe(200);
      expect((await loginFrom(r, '10.0.0.2', a.username, PASSWORD)).status).toBe(200);
      // The existing session keeps working.
      expect((await r.as(a.token).get('/api/v1/me')).status).toBe(200);
    }));

  it('never lets a flood of wrong passwords from one address lock the owner out at another (default limits)', () =>
    withInstance({ FAMICHAT_LOGIN_LIMIT_PER_IP: '' }, async ({ t: r, admin: a }) => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await loginFrom(r, '203.0.113.66', a.username, `guess ${i}`)).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      expectRateLimited(await loginFrom(r, '203.0.113.66', a.username, PASSWORD));
      const owner = await loginFrom(r, '198.51.100.20', a.username, PASSWORD);
      expect(owner.status).toBe(200);
      expect(owner.body.data.user.id).toBe(a.id);
      expect((await r.as(owner.body.data.token).get('/api/v1/me')).status).toBe(200);
    }));

  it('caps failures for one account across all addresses, not counting successes', () =>
    withInstance({ FAMICHAT_LOGIN_LIMIT_PER_ACCOUNT: '3' }, async ({ t: r, admin: a, familyId: f }) => {
      const other = await addMember(r, a, f);
      expect((await loginFrom(r, '10.1.0.1', a.username, PASSWORD)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await loginFrom(r, `10.1.1.${i + 1}`, a.username, 'wrong password')).status).toBe(401);
      expectRateLimited(await loginFrom(r, '10.1.2.1', a.username, PASSWORD));
      expect((await loginFrom(r, '10.1.2.1', other.username, PASSWORD)).status).toBe(200);
    }));

  it('counts an IPv6 client by its /64, so rotating addresses within it does not reset the limit', () =>
    withInstance({ FAMICHAT_LOGIN_LIMIT_PER_USERNAME: '2' }, async ({ t: r, admin: a }) => {
      expect((await loginFrom(r, '2001:db8:1:2::1', a.username, 'wrong password')).status).toBe(401);
      expect((await loginFrom(r, '2001:db8:1:2:ffff::9', a.username, 'wrong password')).status).toBe(401);
      expectRateLimited(await loginFrom(r, '2001:0db8:0001:0002:0:0:0:abcd', a.username, PASSWORD));
      expect((await loginFrom(r, '2001:db8:1:3::1', a.username, PASSWORD)).status).toBe(200);
    }));

  it('limits attempts per IP address across usernames', () =>
    withInstance({ FAMICHAT_LOGIN_LIMIT_PER_IP: '3' }, async ({ t: r, admin: a }) => {
      expect((await loginFrom(r, '192.0.2.7', 'ghost1', 'whatever pw')).status).toBe(401);
      expect((await loginFrom(r, '192.0.2.7', 'ghost2', 'whatever pw')).status).toBe(401);
      expect((await loginFrom(r, '192.0.2.7', a.username, PASSWORD)).status).toBe(200);
      expectRateLimited(await loginFrom(r, '192.0.2.7', a.username, PASSWORD));
      expectRateLimited(await loginFrom(r, '192.0.2.7', 'ghost3', 'whatever pw'));
      // Another address is not affected.
      expect((await loginFrom(r, '192.0.2.8', a.username, PASSWORD)).status).toBe(200);
    }));
});

describe('authentication', () => {
  it('answers a missing or garbage Authorization header with 401 in the error envelope', async () => {
    expectUnauthorized(await t.as().get('/api/v1/me'));
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer not-a-real-token', 'Basic YWRtaW46cGFzcw==', bob.token, `Token ${bob.token}`]) {
      expectUnauthorized(await t.as().get('/api/v1/me', { authorization }));
    }
    expectUnauthorized(await t.as().get('/api/v1/me/sessions'));
    expectUnauthorized(await t.as().patch('/api/v1/me', { display_name: 'x' }));
  });

  it('refuses an expired session with 401', async () => {
    const s = await login(bob.username);
    await t.domain.db.execute(sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${s.body.data.session_id}`);
    expectUnauthorized(await t.as(s.body.data.token).get('/api/v1/me'));
    const listed = await t.as(bob.token).get('/api/v1/me/sessions');
    expect(listed.body.data.map((x: any) => x.id)).not.toContain(s.body.data.session_id);
  });
});

describe('logout', () => {
  it('revokes only the calling token', async () => {
    const a = await login(carol.username);
    const b = await login(carol.username);
    const res = await t.as(a.body.data.token).delete('/api/v1/auth/session');
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectUnauthorized(await t.as(a.body.data.token).get('/api/v1/me'));
    expectUnauthorized(await t.as(a.body.data.token).delete('/api/v1/auth/session'));
    expect((await t.as(b.body.data.token).get('/api/v1/me')).status).toBe(200);
    const listed = await t.as(b.body.data.token).get('/api/v1/me/sessions');
    expect(listed.body.data.map((x: any) => x.id)).not.toContain(a.body.data.session_id);
  });

  it('requires a token', async () => {
    expectUnauthorized(await t.as().delete('/api/v1/auth/session'));
  });
});

describe('my sessions', () => {
  it("lists the caller's active sessions with current true only on the caller's own", async () => {
    const d = await addMember(t, admin, familyId);
    const phone = await login(d.username, PASSWORD, 'Phone');
    const laptop = await login(d.username, PASSWORD, 'Laptop');
    const res = await t.as(phone.body.data.token).get('/api/v1/me/sessions');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
    expect(new Set(res.body.data.map((s: any) => s.id))).toEqual(new Set([d.sessionId, phone.body.data.session_id, laptop.body.data.session_id]));
    for (const s of res.body.data) {
      expect(Object.keys(s).sort()).toEqual(['created_at', 'current', 'device_name', 'id', 'last_seen_at']);
      expect(s.created_at).toMatch(ISO);
      expect(s.last_seen_at).toMatch(ISO);
      expect(s.current).toBe(s.id === phone.body.data.session_id);
    }
    const fromLaptop = await t.as(laptop.body.data.token).get('/api/v1/me/sessions');
    expect(fromLaptop.body.data.filter((s: any) => s.current).map((s: any) => s.id)).toEqual([laptop.body.data.session_id]);
    // Other people's sessions are never listed.
    const bobs = await t.as(bob.token).get('/api/v1/me/sessions');
    expect(bobs.body.data.map((s: any) => s.id)).not.toContain(phone.body.data.session_id);
  });

  it('revokes a session: 204, its token stops working at once, and it is no longer listed', async () => {
    const d = await addMember(t, admin, familyId);
    const tablet = await login(d.username, PASSWORD, 'Tablet');
    expect((await t.as(tablet.body.data.token).get('/api/v1/me')).status).toBe(200);
    const res = await t.as(d.token).delete(`/api/v1/me/sessions/${tablet.body.data.session_id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectUnauthorized(await t.as(tablet.body.data.token).get('/api/v1/me'));
    const listed = await t.as(d.token).get('/api/v1/me/sessions');
    expect(listed.body.data.map((s: any) => s.id)).toEqual([d.sessionId]);
    // Revoking it again: it is gone.
    const again = await t.as(d.token).delete(`/api/v1/me/sessions/${tablet.body.data.session_id}`);
    expect(again.status).toBe(404);
  });

  it("answers another user's session, an unknown id and a malformed id with identical 404s", async () => {
    const d = await addMember(t, admin, familyId);
    const theirs = await t.as(d.token).delete(`/api/v1/me/sessions/${bob.sessionId}`);
    const unknown = await t.as(d.token).delete('/api/v1/me/sessions/00000000-0000-4000-8000-000000000000');
    const malformed = await t.as(d.token).delete('/api/v1/me/sessions/not-a-uuid');
    for (const res of [theirs, unknown, malformed]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(theirs.body.error).toEqual(unknown.body.error);
    expect(malformed.body.error).toEqual(unknown.body.error);
    // Bob's session is untouched.
    expect((await t.as(bob.token).get('/api/v1/me')).status).toBe(200);
  });

  it('moves last_seen_at forward when a session that was idle is used again', async () => {
    const s = await login(carol.username, PASSWORD, 'Old phone');
    const id = s.body.data.session_id;
    await t.domain.db.execute(sql`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id = ${id}`);
    const before = Date.now();
    expect((await t.as(s.body.data.token).get('/api/v1/me')).status).toBe(200);
    const listed = await t.as(carol.token).get('/api/v1/me/sessions');
    const seen = Date.parse(listed.body.data.find((x: any) => x.id === id).last_seen_at);
    expect(seen).toBeGreaterThanOrEqual(before - 5_000);
  });

  it('lets a caller revoke their own current session', async () => {
    const s = await login(carol.username);
    expect((await t.as(s.body.data.token).delete(`/api/v1/me/sessions/${s.body.data.session_id}`)).status).toBe(204);
    expectUnauthorized(await t.as(s.body.data.token).get('/api/v1/me'));
  });
});

describe('me', () => {
  it('returns the caller with preferences and instance-admin flag', async () => {
    const res = await t.as(admin.token).get('/api/v1/me');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data).sort()).toEqual(['avatar_url', 'created_at', 'display_name', 'id', 'is_instance_admin', 'preferences', 'username']);
    expect(res.body.data).toMatchObject({ id: admin.id, username: admin.username, display_name: 'Admin', preferences: { theme: null }, is_instance_admin: true });
  });

  it('changes the display name, trimmed, and others see it', async () => {
    const d = await addMember(t, admin, familyId);
    const res = await t.as(d.token).patch('/api/v1/me', { display_name: '  Aunt Éva 🌻  ' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: d.id, display_name: 'Aunt Éva 🌻', preferences: { theme: null } });
    expect((await t.as(d.token).get('/api/v1/me')).body.data.display_name).toBe('Aunt Éva 🌻');
    const family = await t.as(admin.token).get(`/api/v1/families/${familyId}`);
    expect(family.body.data.members.find((m: any) => m.user.id === d.id).user.display_name).toBe('Aunt Éva 🌻');
  });

  it('rejects a blank or too long display name with 422 and keeps the old one', async () => {
    const d = await addMember(t, admin, familyId, 'member', 'Steady');
    for (const display_name of ['   ', 'n'.repeat(65)]) {
      const res = await t.as(d.token).patch('/api/v1/me', { display_name });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.fields).toHaveProperty('display_name');
    }
    expect((await t.as(d.token).get('/api/v1/me')).body.data.display_name).toBe('Steady');
  });

  it('sets, keeps, validates and resets the theme preference', async () => {
    const d = await addMember(t, admin, familyId, 'member', 'Themer');
    const dark = await t.as(d.token).patch('/api/v1/me', { preferences: { theme: 'dark' } });
    expect(dark.status).toBe(200);
    expect(dark.body.data.preferences).toEqual({ theme: 'dark' });
    expect(dark.body.data.display_name).toBe('Themer');

    const rename = await t.as(d.token).patch('/api/v1/me', { display_name: 'Themer 2' });
    expect(rename.body.data.preferences).toEqual({ theme: 'dark' });

    const bad = await t.as(d.token).patch('/api/v1/me', { preferences: { theme: 'nope' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.fields).toHaveProperty(['preferences.theme']);
    expect((await t.as(d.token).get('/api/v1/me')).body.data.preferences).toEqual({ theme: 'dark' });

    const reset = await t.as(d.token).patch('/api/v1/me', { preferences: { theme: null } });
    expect(reset.status).toBe(200);
    expect(reset.body.data.preferences).toEqual({ theme: null });
    expect((await t.as(d.token).get('/api/v1/me')).body.data.preferences).toEqual({ theme: null });
  });
});

describe('on several nodes', () => {
  it('refuses a token on every node as soon as one node revoked it, though the others had just checked it', async () => {
    const other = await startTestApp({}, { nodeOf: t });
    try {
      const s = await login(carol.username);
      const token = s.body.data.token as string;
      // Both nodes have checked (and remember) the token.
      expect((await t.as(token).get('/api/v1/me')).status).toBe(200);
      expect((await other.as(token).get('/api/v1/me')).status).toBe(200);
      expect((await other.as(carol.token).delete(`/api/v1/me/sessions/${s.body.data.session_id}`)).status).toBe(204);
      expectUnauthorized(await t.as(token).get('/api/v1/me'));
      expectUnauthorized(await other.as(token).get('/api/v1/me'));
      expect((await t.as(carol.token).get('/api/v1/me')).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('rate-limit keys of client addresses', () => {
  it('keeps IPv4 as is, unwraps IPv4-mapped IPv6 and reduces IPv6 to its /64', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:0:0:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('fe80:0:0:0:1::')).toBe('fe80:0:0:0::/64');
    expect(addressKey('not an address')).toBe('not an address');
  });
});

describe('taking back a hit', () => {
  it('frees one hit in the current window only, and never goes below zero', () => {
    let clock = 0;
    const limiter = new RateLimiter({ max: 1, windowMs: 1000 }, () => clock);
    limiter.unhit('k');
    limiter.hit('k');
    expect(limiter.check('k')).toBe(1000);
    limiter.unhit('k');
    limiter.unhit('k');
    expect(limiter.check('k')).toBe(0);
    limiter.hit('k');
    clock = 1500;
    limiter.unhit('k');
    limiter.hit('k');
    expect(limiter.check('k')).toBe(1000);
  });
});

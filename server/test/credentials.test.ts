// Passwords: changing one's own (with the current one), logging out other devices, and password-reset links
// that a family admin gives a member (single use, stored hashed, ending every older session).
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import type { Res } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, createFamily, family } from './helpers/fixtures.js';
import type { Raw } from './helpers/frames.js';
import { closeRawSockets, raw } from './helpers/frames.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PASSWORD = 'correct horse'; // the fixtures' password

const { t, admin, familyId, url } = await family({ familyName: 'Resetters' });
let address = 0;

afterAll(() => closeRawSockets());

/** A fresh address, so one test's rate-limit counts never reach another's. */
const nextAddress = () => `10.9.${Math.floor(++address / 250)}.${address % 250}`;

const login = (username: string, password = PASSWORD, remote = nextAddress()) =>
  t.as(undefined, remote).post('/api/v1/auth/login', { username, password });

/** Logs `person` in once more: a second device. */
async function device(person: Person): Promise<Person> {
  const res = await login(person.username);
  expect(res.status).toBe(200);
  return { ...person, token: res.body.data.token, sessionId: res.body.data.session_id };
}

/** A socket of `person` joined to its user topic, to see it closed. */
async function socketOf(person: Person): Promise<Raw> {
  const socket = await raw(url, person.token);
  expect((await socket.join(`user:${person.id}`)).status).toBe('ok');
  return socket;
}

function expectError(res: Res, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

const resetLink = (caller: Person, userId: string, family = familyId) =>
  t.as(caller.token).post(`/api/v1/families/${family}/members/${userId}/password-reset`);

async function newLink(caller: Person, userId: string, family = familyId): Promise<string> {
  const res = await resetLink(caller, userId, family);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.token as string;
}

const useLink = (token: string, password = 'brand new secret', remote = nextAddress()) =>
  t.as(undefined, remote).post('/api/v1/auth/password-reset', { token, password });

describe('changing one’s password', () => {
  it('needs the current password, keeps the calling session and ends every other one, sockets included', async () => {
    const kim = await addMember(t, admin, familyId, 'member', 'Kim');
    const phone = await device(kim);
    const socket = await socketOf(phone);
    const kept = await socketOf(kim);
    const res = await t.as(kim.token).post('/api/v1/me/password', { current_password: PASSWORD, new_password: 'a better secret' });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await socket.closed).code).not.toBe(1006);
    expectError(await t.as(phone.token).get('/api/v1/me'), 401, 'unauthorized');
    expect((await t.as(kim.token).get('/api/v1/me')).status).toBe(200);
    await kept.flush();
    expect(kept.isClosed()).toBe(false);
    expectError(await login(kim.username), 401, 'unauthorized');
    expect((await login(kim.username, 'a better secret')).status).toBe(200);
  });

  it('answers a wrong current password with 422 beside the field, and changes nothing', async () => {
    const lee = await addMember(t, admin, familyId, 'member', 'Lee');
    const phone = await device(lee);
    const res = await t.as(lee.token).post('/api/v1/me/password', { current_password: 'not it at all', new_password: 'a better secret' });
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.details.fields).toEqual({ current_password: expect.any(String) });
    expect((await t.as(phone.token).get('/api/v1/me')).status).toBe(200);
    expect((await login(lee.username)).status).toBe(200);
  });

  it('refuses a too short or missing new password with 422 before looking at the current one', async () => {
    const api = t.as(admin.token);
    const short = await api.post('/api/v1/me/password', { current_password: 'wrong anyway', new_password: 'short' });
    expectError(short, 422, 'validation_failed');
    expect(Object.keys(short.body.error.details.fields)).toEqual(['new_password']);
    expect((await api.post('/api/v1/me/password', { current_password: PASSWORD })).body.error.details.fields).toHaveProperty('new_password');
    expectError(await api.post('/api/v1/me/password', { current_password: PASSWORD, new_password: 5 }), 422, 'validation_failed');
    expectError(await t.as().post('/api/v1/me/password', { current_password: PASSWORD, new_password: 'a better secret' }), 401, 'unauthorized');
  });

  it('counts wrong current passwords against the account’s login limit (per address), then answers 429', async () => {
    const max = t.config.rateLimits.loginPerUsername;
    const sam = await addMember(t, admin, familyId, 'member', 'Sam');
    const remote = nextAddress();
    const attempt = () => t.as(sam.token, remote).post('/api/v1/me/password', { current_password: 'guess guess', new_password: 'a better secret' });
    for (let i = 0; i < max; i++) expectError(await attempt(), 422, 'validation_failed');
    const limited = await attempt();
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The same limit as logging in from that address: the two are no way around each other.
    expectError(await login(sam.username, PASSWORD, remote), 429, 'rate_limited');
    expect((await login(sam.username)).status).toBe(200);
  });
});

describe('logging out other devices', () => {
  it('revokes every session but the calling one and closes their sockets at once', async () => {
    const max = await addMember(t, admin, familyId, 'member', 'Max');
    const [phone, tablet] = [await device(max), await device(max)];
    const sockets = [await socketOf(phone), await socketOf(tablet)];
    const kept = await socketOf(max);
    expect((await t.as(max.token).delete('/api/v1/me/sessions')).status).toBe(204);
    for (const socket of sockets) expect((await socket.closed).code).not.toBe(1006);
    for (const other of [phone, tablet]) expectError(await t.as(other.token).get('/api/v1/me'), 401, 'unauthorized');
    const listed = await t.as(max.token).get('/api/v1/me/sessions');
    expect(listed.body.data).toEqual([expect.objectContaining({ id: max.sessionId, current: true })]);
    await kept.flush();
    expect(kept.isClosed()).toBe(false);
    // Nothing left to revoke: still 204.
    expect((await t.as(max.token).delete('/api/v1/me/sessions')).status).toBe(204);
    expectError(await t.as().delete('/api/v1/me/sessions'), 401, 'unauthorized');
  });

  it('closes the sockets of the other sessions on every node', async () => {
    const other = await startTestApp({}, { nodeOf: t });
    try {
      const otherUrl = await other.listen();
      const ray = await addMember(t, admin, familyId, 'member', 'Ray');
      const phone = await device(ray);
      const socket = await raw(otherUrl, phone.token);
      expect((await socket.join(`user:${ray.id}`)).status).toBe('ok');
      expect((await t.as(ray.token).delete('/api/v1/me/sessions')).status).toBe(204);
      expect((await socket.closed).code).not.toBe(1006);
      expectError(await other.as(phone.token).get('/api/v1/me'), 401, 'unauthorized');
    } finally {
      await other.close();
    }
  });
});

describe('creating a password-reset link', () => {
  it('gives a family admin a single-use token valid for 24 hours, stored only as its hash', async () => {
    const ada = await addMember(t, admin, familyId, 'member', 'Ada');
    const before = Date.now();
    const res = await resetLink(admin, ada.id);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data).sort()).toEqual(['expires_at', 'token']);
    const { token, expires_at } = res.body.data;
    expect(token).toMatch(/^fcr_[A-Za-z0-9_-]{43}$/);
    expect(expires_at).toMatch(ISO);
    const ttl = new Date(expires_at).getTime() - before;
    expect(ttl).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000 + 1000);
    const stored = await rows<{ token_hash: string; created_by: string; family_id: string }>(
      t.domain.db,
      sql`SELECT token_hash, created_by, family_id FROM password_resets WHERE user_id = ${ada.id}`,
    );
    expect(stored).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex'), created_by: admin.id, family_id: familyId }]);
    const everything = JSON.stringify(await rows(t.domain.db, sql`SELECT * FROM password_resets`));
    expect(everything).not.toContain(token);
  });

  it('is for family admins only: a member gets 403, someone outside the family 404', async () => {
    const [bea, cal] = [await addMember(t, admin, familyId, 'member', 'Bea'), await addMember(t, admin, familyId, 'member', 'Cal')];
    expectError(await resetLink(bea, cal.id), 403, 'forbidden');
    expectError(await resetLink(bea, admin.id), 403, 'forbidden');
    const elsewhere = await createFamily(t, admin, 'Elsewhere');
    const outsider = await addMember(t, admin, elsewhere, 'admin', 'Outsider');
    const unknownFamily = await resetLink(outsider, cal.id);
    expectError(unknownFamily, 404, 'not_found');
    expect((await t.as(outsider.token).post(`/api/v1/families/00000000-0000-4000-8000-000000000000/members/${cal.id}/password-reset`)).body.error)
      .toEqual(unknownFamily.body.error);
  });

  it('answers 404 for a person not in the family, an unknown or a malformed id, alike', async () => {
    const elsewhere = await createFamily(t, admin, 'Apart');
    const stranger = await addMember(t, admin, elsewhere, 'member', 'Stranger');
    const answers = [
      await resetLink(admin, stranger.id),
      await resetLink(admin, '00000000-0000-4000-8000-000000000000'),
      await resetLink(admin, 'not-a-uuid'),
    ];
    for (const res of answers) expectError(res, 404, 'not_found');
    expectError(await resetLink(admin, stranger.id, 'not-a-uuid'), 404, 'not_found');
    expectError(await t.as().post(`/api/v1/families/${familyId}/members/${stranger.id}/password-reset`), 401, 'unauthorized');
  });

  it("lets only the instance admin give one for the instance admin's account", async () => {
    const deputy = await addMember(t, admin, familyId, 'admin', 'Deputy');
    const refused = await resetLink(deputy, admin.id);
    expectError(refused, 403, 'forbidden');
    expect((await resetLink(admin, deputy.id)).status).toBe(201);
    expect((await resetLink(admin, admin.id)).status).toBe(201);
    const other = await addMember(t, admin, familyId, 'member', 'Other');
    expect((await resetLink(deputy, other.id)).status).toBe(201);
  });

  it('voids the older link when a new one is made, also when two are made at once', async () => {
    const dot = await addMember(t, admin, familyId, 'member', 'Dot');
    const first = await newLink(admin, dot.id);
    const second = await newLink(admin, dot.id);
    expectError(await t.as().get(`/api/v1/password-resets/${first}`), 410, 'gone');
    expect((await t.as().get(`/api/v1/password-resets/${second}`)).status).toBe(200);
    const both = await Promise.all([newLink(admin, dot.id), newLink(admin, dot.id)]);
    const open = await Promise.all(both.map((token) => t.as().get(`/api/v1/password-resets/${token}`)));
    expect(open.map((r) => r.status).sort()).toEqual([200, 410]);
    expectError(await t.as().get(`/api/v1/password-resets/${second}`), 410, 'gone');
  });
});

describe('previewing a reset link', () => {
  it("shows whose password it resets, publicly; an unknown token is 404", async () => {
    const eve = await addMember(t, admin, familyId, 'member', 'Eve');
    const token = await newLink(admin, eve.id);
    const res = await t.as().get(`/api/v1/password-resets/${token}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ username: eve.username, display_name: 'Eve', expires_at: expect.stringMatching(ISO) });
    expectError(await t.as().get('/api/v1/password-resets/fcr_unknown'), 404, 'not_found');
  });

  it('answers 410 for an expired link, and for one whose creator is no longer an admin or whose person left', async () => {
    const [fay, gus, deputy] = [
      await addMember(t, admin, familyId, 'member', 'Fay'),
      await addMember(t, admin, familyId, 'member', 'Gus'),
      await addMember(t, admin, familyId, 'admin', 'Deputy 2'),
    ];
    const expired = await newLink(admin, fay.id);
    await t.domain.db.execute(sql`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = ${fay.id}`);
    expectError(await t.as().get(`/api/v1/password-resets/${expired}`), 410, 'gone');
    expectError(await useLink(expired), 410, 'gone');
    const byDeputy = await newLink(deputy, gus.id);
    expect((await t.as(admin.token).patch(`/api/v1/families/${familyId}/members/${deputy.id}`, { role: 'member' })).status).toBe(200);
    expectError(await t.as().get(`/api/v1/password-resets/${byDeputy}`), 410, 'gone');
    const leaving = await newLink(admin, fay.id);
    expect((await t.as(fay.token).delete(`/api/v1/families/${familyId}/members/${fay.id}`)).status).toBe(204);
    expectError(await t.as().get(`/api/v1/password-resets/${leaving}`), 410, 'gone');
  });
});

describe('resetting a password with a link', () => {
  it('sets the password, logs in, and ends every older session with its sockets', async () => {
    const hal = await addMember(t, admin, familyId, 'member', 'Hal');
    const phone = await device(hal);
    const sockets = [await socketOf(hal), await socketOf(phone)];
    const token = await newLink(admin, hal.id);
    const res = await useLink(token, 'my new secret');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      user: expect.objectContaining({ id: hal.id, username: hal.username, display_name: 'Hal', is_instance_admin: false }),
      token: expect.stringMatching(/^fcs_/),
      session_id: expect.any(String),
    });
    for (const socket of sockets) expect((await socket.closed).code).not.toBe(1006);
    for (const old of [hal, phone]) expectError(await t.as(old.token).get('/api/v1/me'), 401, 'unauthorized');
    const sessions = await t.as(res.body.data.token).get('/api/v1/me/sessions');
    expect(sessions.body.data).toEqual([expect.objectContaining({ id: res.body.data.session_id, current: true })]);
    expectError(await login(hal.username), 401, 'unauthorized');
    expect((await login(hal.username, 'my new secret')).status).toBe(200);
    // Single use.
    expectError(await useLink(token, 'another secret'), 410, 'gone');
    expectError(await t.as().get(`/api/v1/password-resets/${token}`), 410, 'gone');
  });

  it('lets exactly one of two resets at once win', async () => {
    const ivy = await addMember(t, admin, familyId, 'member', 'Ivy');
    const token = await newLink(admin, ivy.id);
    const results = await Promise.all([useLink(token, 'first secret'), useLink(token, 'second secret')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await t.as(winner.body.data.token).get('/api/v1/me')).status).toBe(200);
    const won = results[0].status === 200 ? 'first secret' : 'second secret';
    expect((await login(ivy.username, won)).status).toBe(200);
  });

  it('refuses a bad password with 422, an unknown link with 404, and keeps the link usable after a 422', async () => {
    const jo = await addMember(t, admin, familyId, 'member', 'Jo');
    const token = await newLink(admin, jo.id);
    const short = await useLink(token, 'short');
    expectError(short, 422, 'validation_failed');
    expect(short.body.error.details.fields).toHaveProperty('password');
    expectError(await t.as().post('/api/v1/auth/password-reset', { token }), 422, 'validation_failed');
    expectError(await useLink('fcr_unknown'), 404, 'not_found');
    expect((await useLink(token)).status).toBe(200);
  });

  it('withdraws an open link when the person changes their password themselves', async () => {
    const kit = await addMember(t, admin, familyId, 'member', 'Kit');
    const token = await newLink(admin, kit.id);
    expect((await t.as(kit.token).post('/api/v1/me/password', { current_password: PASSWORD, new_password: 'kit’s own secret' })).status).toBe(204);
    expectError(await useLink(token), 410, 'gone');
  });
});

describe('failed resets from one address', () => {
  it('are rate limited like failed registrations, and a success gives its attempt back', async () => {
    const limited = await startTestApp({ FAMICHAT_REGISTER_LIMIT_PER_IP: '3' });
    try {
      const setup = await limited.as().post('/api/v1/setup', { username: 'limit_admin', password: PASSWORD, display_name: 'A', family_name: 'F' });
      const boss: Person = { id: setup.body.data.user.id, username: 'limit_admin', token: setup.body.data.token, sessionId: setup.body.data.session_id };
      const link = await limited.as(boss.token).post(`/api/v1/families/${setup.body.data.family.id}/members/${boss.id}/password-reset`);
      const attempt = (token: string) => limited.as(undefined, '10.77.0.1').post('/api/v1/auth/password-reset', { token, password: 'good password' });
      for (let i = 0; i < 2; i++) expectError(await attempt('fcr_bogus'), 404, 'not_found');
      expect((await attempt(link.body.data.token)).status).toBe(200);
      expectError(await attempt('fcr_bogus'), 404, 'not_found');
      const refused = await attempt('fcr_bogus');
      expectError(refused, 429, 'rate_limited');
      expect(refused.body.error.details.retry_in_ms).toBeGreaterThan(0);
      expectError(await limited.as(undefined, '10.77.0.2').post('/api/v1/auth/password-reset', { token: 'fcr_bogus', password: 'good password' }), 404, 'not_found');
    } finally {
      await limited.close();
    }
  });
});

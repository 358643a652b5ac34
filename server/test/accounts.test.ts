// Accounts: first-run setup, input rules for new users, invites and registration, hashed storage.
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as passwords from '../src/accounts/passwords.js';
import { rows } from '../src/db/connect.js';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import { addMember, createFamily, family, familyConversation, outsider, withInstance } from './helpers/fixtures.js';

// Counts argon2 hashing (the expensive step of registration) while keeping the real function.
vi.mock('../src/accounts/passwords.js', async (importOriginal) => {
  const real = await importOriginal<typeof passwords>();
  return { ...real, hashPassword: vi.fn(real.hashPassword) };
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const { t, admin, familyId, members: [member] } = await family({ familyName: 'Accounts family', members: [undefined] });

/** A fresh member invite token into `family` (default: the main family). */
async function invite(role?: 'admin' | 'member', family = familyId, by = admin): Promise<string> {
  const res = await t.as(by.token).post(`/api/v1/families/${family}/invites`, role ? { role } : {});
  expect(res.status).toBe(201);
  return res.body.data.token as string;
}

/** Runs SQL directly against `app`'s database and returns the rows. */
async function query<T = Record<string, unknown>>(app: TestApp, statement: SQL): Promise<T[]> {
  return rows<T>(app.domain.db, statement);
}

let seq = 0;
const fresh = (prefix = 'u') => `${prefix}${++seq}_${process.pid}`.slice(0, 32);

const register = (token: string, username: string, extra: Record<string, unknown> = {}) =>
  t.as().post('/api/v1/auth/register', { invite_token: token, username, password: 'long enough', display_name: 'Someone', ...extra });

describe('first-run setup', () => {
  let s: TestApp;
  beforeAll(async () => {
    s = await startTestApp();
  });
  afterAll(() => s.close());

  const body = { username: 'founder', password: 'founder password', display_name: '  Grandma Zoë  ', family_name: '  The Founders  ' };

  it('refuses bad setup input with 422 naming each field, and stays not set up', async () => {
    const bad = await s.as().post('/api/v1/setup', { ...body, username: 'x', password: 'short', display_name: '   ' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['display_name', 'password', 'username']);
    const noFamily = await s.as().post('/api/v1/setup', { ...body, family_name: '   ' });
    expect(noFamily.status).toBe(422);
    expect(noFamily.body.error.details.fields).toHaveProperty('family_name');
    const missing = await s.as().post('/api/v1/setup', { username: 'founder' });
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.body.error.details.fields)).toEqual(expect.arrayContaining(['password', 'display_name', 'family_name']));
    const status = await s.as().get('/api/v1/setup');
    expect(status.body.data).toEqual({ needs_setup: true });
  });

  it('says setup is needed, creates the instance admin and their family once, then says it is done', async () => {
    const before = await s.as().get('/api/v1/setup');
    expect(before.status).toBe(200);
    expect(before.body.data).toEqual({ needs_setup: true });

    const res = await s.as().post('/api/v1/setup', body);
    expect(res.status).toBe(201);
    const { user, family, token } = res.body.data;
    expect(user).toMatchObject({ username: 'founder', display_name: 'Grandma Zoë', preferences: { theme: null }, is_instance_admin: true });
    expect(user.id).toMatch(UUID);
    expect(user.created_at).toMatch(ISO);
    expect(family).toMatchObject({ name: 'The Founders', role: 'admin' });
    expect(family.id).toMatch(UUID);
    expect(family.created_at).toMatch(ISO);
    expect(typeof token).toBe('string');

    const me = await s.as(token).get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual(user);
    const families = await s.as(token).get('/api/v1/families');
    expect(families.body.data).toEqual([family]);

    const after = await s.as().get('/api/v1/setup');
    expect(after.body.data).toEqual({ needs_setup: false });
  });

  it('refuses a second setup with 409 already_setup', async () => {
    const again = await s.as().post('/api/v1/setup', { ...body, username: 'usurper' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect(again.body.error.details.reason).toBe('already_setup');
    const login = await s.as().post('/api/v1/auth/login', { username: 'usurper', password: body.password });
    expect(login.status).toBe(401);
  });

  it('lets exactly one of 5 concurrent setups on a fresh instance succeed', async () => {
    const c = await startTestApp();
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          c.as().post('/api/v1/setup', { username: `racer${i}`, password: 'racer password', display_name: `Racer ${i}`, family_name: `Family ${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const losers = results.filter((r) => r.status !== 201);
      expect(losers).toHaveLength(4);
      for (const r of losers) {
        expect(r.status).toBe(409);
        expect(r.body.error.details.reason).toBe('already_setup');
      }
      expect(await query(c, sql`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 1 }]);
      expect(await query(c, sql`SELECT count(*)::int AS n FROM families`)).toEqual([{ n: 1 }]);
    } finally {
      await c.close();
    }
  });
});

describe('username, password and display name rules', () => {
  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(33)],
    ['a space', 'bad name'],
    ['a symbol', 'bad!name'],
    ['a non-ASCII letter', 'émile'],
    ['empty', ''],
  ])('rejects a username that is %s with 422 details.fields.username', async (_what, username) => {
    const token = await invite();
    const res = await register(token, username);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields).toHaveProperty('username');
    // A refused registration does not use up the invite.
    expect((await register(token, fresh())).status).toBe(201);
  });

  it('accepts usernames of 3 and 32 characters of a-z 0-9 _ . -', async () => {
    const three = await register(await invite(), 'a.-');
    expect(three.status).toBe(201);
    const long = `x_.-${process.pid}`.padEnd(32, '9');
    expect(long).toHaveLength(32);
    const res = await register(await invite(), long);
    expect(res.status).toBe(201);
    expect(res.body.data.user.username).toBe(long);
  });

  it('treats usernames case-insensitively: "Bob" and "bob" collide, and login works in any case', async () => {
    const first = await register(await invite(), 'Bob', { password: 'bobs password' });
    expect(first.status).toBe(201);
    const token = await invite();
    const clash = await register(token, 'bob');
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('conflict');
    expect(clash.body.error.details.reason).toBe('username_taken');
    const clash2 = await register(token, 'BOB');
    expect(clash2.status).toBe(409);
    for (const username of ['bob', 'BOB', 'Bob']) {
      const login = await t.as().post('/api/v1/auth/login', { username, password: 'bobs password' });
      expect(login.status).toBe(200);
      expect(login.body.data.user.id).toBe(first.body.data.user.id);
    }
  });

  it('rejects passwords shorter than 8 or longer than 256 characters, and accepts 8 and 256', async () => {
    for (const password of ['1234567', 'p'.repeat(257), '']) {
      const token = await invite();
      const res = await register(token, fresh(), { password });
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields).toHaveProperty('password');
    }
    const missing = await t.as().post('/api/v1/auth/register', { invite_token: await invite(), username: fresh(), display_name: 'X' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields).toHaveProperty('password');
    for (const password of ['12345678', 'p'.repeat(256)]) {
      const username = fresh();
      expect((await register(await invite(), username, { password })).status).toBe(201);
      expect((await t.as().post('/api/v1/auth/login', { username, password })).status).toBe(200);
    }
  });

  it('trims display names and requires 1-64 characters after trimming', async () => {
    for (const display_name of ['', '    ', 'd'.repeat(65), ` ${'😀'.repeat(65)} `]) {
      const res = await register(await invite(), fresh(), { display_name });
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields).toHaveProperty('display_name');
    }
    const padded = await register(await invite(), fresh(), { display_name: `   ${'d'.repeat(64)}   ` });
    expect(padded.status).toBe(201);
    expect(padded.body.data.user.display_name).toBe('d'.repeat(64));
  });

  it('keeps Unicode display names intact (64 emoji count as 64 characters)', async () => {
    for (const display_name of ['Zoë Ångström', '李小龍', 'Мама', '👨‍👩‍👧 Family', '😀'.repeat(64)]) {
      const res = await register(await invite(), fresh(), { display_name });
      expect(res.status).toBe(201);
      expect(res.body.data.user.display_name).toBe(display_name);
      const me = await t.as(res.body.data.token).get('/api/v1/me');
      expect(me.body.data.display_name).toBe(display_name);
    }
  });

  it('names every bad field at once', async () => {
    const res = await register(await invite(), 'ab', { password: 'short', display_name: ' ' });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['display_name', 'password', 'username']);
  });
});

describe('invites', () => {
  it('lets a family admin create a single-use member invite that expires in 72 hours', async () => {
    const before = Date.now();
    const res = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, {});
    expect(res.status).toBe(201);
    expect(res.body.data.role).toBe('member');
    expect(typeof res.body.data.token).toBe('string');
    expect(res.body.data.token.length).toBeGreaterThanOrEqual(20);
    expect(res.body.data.expires_at).toMatch(ISO);
    const expires = Date.parse(res.body.data.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 72 * 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 72 * 3600_000 + 1000);
    const noBody = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`);
    expect(noBody.status).toBe(201);
    expect(noBody.body.data.role).toBe('member');
    expect(noBody.body.data.token).not.toBe(res.body.data.token);
  });

  it('refuses a plain member with 403 forbidden', async () => {
    const res = await t.as(member.token).post(`/api/v1/families/${familyId}/invites`, { role: 'member' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('answers a non-member and an unknown family with identical 404s', async () => {
    const stranger = await outsider(t, admin);
    const notMine = await t.as(stranger.token).post(`/api/v1/families/${familyId}/invites`, {});
    const unknown = await t.as(stranger.token).post('/api/v1/families/00000000-0000-4000-8000-000000000000/invites', {});
    const malformed = await t.as(stranger.token).post('/api/v1/families/not-a-uuid/invites', {});
    expect(notMine.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(notMine.body.error.code).toBe('not_found');
    expect(notMine.body.error).toEqual(unknown.body.error);
    expect(malformed.body.error).toEqual(unknown.body.error);
  });

  it('requires authentication', async () => {
    const res = await t.as().post(`/api/v1/families/${familyId}/invites`, {});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('rejects an unknown role with 422', async () => {
    const res = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, { role: 'owner' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields).toHaveProperty('role');
  });

  it('makes the registrant an admin with an admin invite', async () => {
    const created = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, { role: 'admin' });
    expect(created.body.data.role).toBe('admin');
    const res = await register(created.body.data.token, fresh('adm'));
    expect(res.status).toBe(201);
    expect(res.body.data.family).toMatchObject({ id: familyId, role: 'admin' });
    const detail = await t.as(admin.token).get(`/api/v1/families/${familyId}`);
    const entry = detail.body.data.members.find((m: any) => m.user.id === res.body.data.user.id);
    expect(entry.role).toBe('admin');
    // As an admin, they may invite in turn.
    expect((await t.as(res.body.data.token).post(`/api/v1/families/${familyId}/invites`, {})).status).toBe(201);
  });
});

describe('registration', () => {
  it('creates the account, joins the family as a member and its family conversation', async () => {
    const username = fresh('reg');
    const res = await register(await invite(), username, { display_name: ' New Cousin ' });
    expect(res.status).toBe(201);
    const { user, family, token, session_id } = res.body.data;
    expect(user).toMatchObject({ username, display_name: 'New Cousin', preferences: { theme: null }, is_instance_admin: false });
    expect(user.id).toMatch(UUID);
    expect(user.created_at).toMatch(ISO);
    expect(family).toMatchObject({ id: familyId, name: 'Accounts family', role: 'member' });
    expect(family.created_at).toMatch(ISO);
    expect(session_id).toMatch(UUID);

    const me = await t.as(token).get('/api/v1/me');
    expect(me.body.data).toEqual(user);
    const sessions = await t.as(token).get('/api/v1/me/sessions');
    expect(sessions.body.data.map((s: any) => s.id)).toEqual([session_id]);

    const conv = await familyConversation(t, admin, familyId);
    const conversations = await t.as(token).get('/api/v1/conversations');
    expect(conversations.status).toBe(200);
    const familyConv = conversations.body.data.find((c: any) => c.id === conv);
    expect(familyConv).toMatchObject({ type: 'family', family_id: familyId, title: 'Accounts family' });
    expect(familyConv.participants.map((p: any) => p.id)).toContain(user.id);

    const detail = await t.as(admin.token).get(`/api/v1/families/${familyId}`);
    expect(detail.body.data.members.find((m: any) => m.user.id === user.id)).toMatchObject({ role: 'member' });
  });

  it('refuses a used invite with 410 gone', async () => {
    const token = await invite();
    expect((await register(token, fresh())).status).toBe(201);
    const again = await register(token, fresh());
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('gone');
  });

  it('refuses an expired invite with 410 gone', async () => {
    const other = await createFamily(t, admin, 'Expiring family');
    const token = await invite('member', other);
    await t.domain.db.execute(sql`UPDATE invites SET expires_at = now() - interval '1 second' WHERE family_id = ${other}`);
    const username = fresh();
    const res = await register(token, username);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('gone');
    expect((await t.as().post('/api/v1/auth/login', { username, password: 'long enough' })).status).toBe(401);
  });

  it('refuses an unknown invite token with 410 gone', async () => {
    const res = await register('fci_not-a-real-token', fresh());
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('gone');
  });

  it('answers a taken username with 409 and leaves the invite usable', async () => {
    const token = await invite();
    const taken = await register(token, member.username);
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('conflict');
    const ok = await register(token, fresh());
    expect(ok.status).toBe(201);
  });

  it('lets exactly one of 10 concurrent registrations with one invite succeed', async () => {
    const other = await createFamily(t, admin, 'Race family');
    const token = await invite('member', other);
    const names = Array.from({ length: 10 }, () => fresh('race'));
    const results = await Promise.all(names.map((n) => register(token, n)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 201);
    expect(losers.map((r) => r.status)).toEqual(Array(9).fill(410));
    const detail = await t.as(admin.token).get(`/api/v1/families/${other}`);
    expect(detail.body.data.members).toHaveLength(2);
    const winner = results.find((r) => r.status === 201)!;
    const loserNames = names.filter((n) => n !== winner.body.data.user.username);
    expect(await query(t, sql`SELECT count(*)::int AS n FROM users WHERE username IN ${loserNames}`)).toEqual([{ n: 0 }]);
  });
});

describe('secrets at rest', () => {
  it('stores passwords only as argon2id hashes and tokens only as hashes', async () => {
    const password = 'Unmistakable-Secret-Passw0rd';
    const inviteRes = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, {});
    const usedInvite = inviteRes.body.data.token as string;
    const unusedInvite = await invite();
    const username = fresh('sec');
    const reg = await register(usedInvite, username, { password });
    expect(reg.status).toBe(201);
    const login = await t.as().post('/api/v1/auth/login', { username, password, device_name: 'Laptop' });
    expect(login.status).toBe(200);
    const secrets = [password, usedInvite, unusedInvite, reg.body.data.token, login.body.data.token, admin.token, member.token];

    const dump = async (table: 'users' | 'sessions' | 'invites') => {
      const found = await query<{ j: string }>(t, sql`SELECT row_to_json(x)::text AS j FROM ${sql.raw(table)} x`);
      return found.map((r) => r.j);
    };
    const all = [...(await dump('users')), ...(await dump('sessions')), ...(await dump('invites'))];
    expect(all.length).toBeGreaterThan(10);
    for (const row of all) {
      for (const secret of secrets) expect(row).not.toContain(secret);
    }

    const hashes = await query<{ password_hash: string }>(t, sql`SELECT password_hash FROM users`);
    expect(hashes.length).toBeGreaterThan(3);
    for (const row of hashes) expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
  });
});

describe('registration cost and abuse', () => {
  const hashes = () => vi.mocked(passwords.hashPassword).mock.calls.length;

  it('hashes no password for an unknown, used, expired, withdrawn or dead invite, and one for a good invite', async () => {
    const other = await createFamily(t, admin, 'Cost family');
    const used = await invite('member', other);
    expect((await register(used, fresh())).status).toBe(201);
    const expired = await invite('member', other);
    await t.domain.db.execute(sql`UPDATE invites SET expires_at = now() - interval '1 second' WHERE used_at IS NULL AND family_id = ${other}`);
    const withdrawn = await t.as(admin.token).post(`/api/v1/families/${other}/invites`, {});
    expect((await t.as(admin.token).delete(`/api/v1/families/${other}/invites/${withdrawn.body.data.id}`)).status).toBe(204);
    const deputy = await addMember(t, admin, other, 'admin');
    const dead = await invite('member', other, deputy);
    expect((await t.as(admin.token).patch(`/api/v1/families/${other}/members/${deputy.id}`, { role: 'member' })).status).toBe(200);

    const before = hashes();
    for (const token of ['fci_bogus', used, expired, withdrawn.body.data.token as string, dead]) {
      const res = await register(token, fresh());
      expect(res.status).toBe(410);
      expect(res.body.error.code).toBe('gone');
    }
    expect(hashes()).toBe(before);
    expect((await register(await invite('member', other), fresh())).status).toBe(201);
    expect(hashes()).toBe(before + 1);
  });

  it('limits failed registrations per address (429 with Retry-After) but not successful ones, nor other addresses', () =>
    withInstance({ FAMICHAT_REGISTER_LIMIT_PER_IP: '3' }, async ({ t: r, admin: a, familyId: f }) => {
      const token = async () => (await r.as(a.token).post(`/api/v1/families/${f}/invites`, {})).body.data.token as string;
      const from = (ip: string) => (body: Record<string, unknown>) =>
        r.as(undefined, ip).post('/api/v1/auth/register', { password: 'long enough', display_name: 'Flood', ...body });
      const flooder = from('198.51.100.1');
      expect((await flooder({ invite_token: 'fci_bogus1', username: fresh() })).status).toBe(410);
      expect((await flooder({ invite_token: await token(), username: a.username })).status).toBe(409);
      expect((await flooder({ invite_token: await token(), username: 'x' })).status).toBe(422);
      // The budget is spent: even a good invite is refused now, before anything is checked.
      const good = await token();
      const limited = await flooder({ invite_token: good, username: fresh() });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      const retryInMs = limited.body.error.details.retry_in_ms as number;
      expect(retryInMs).toBeGreaterThan(0);
      expect(retryInMs).toBeLessThanOrEqual(15 * 60_000);
      expect(Number(limited.headers['retry-after'])).toBe(Math.ceil(retryInMs / 1000));
      // The refused attempt did not use the invite; another address registers with it.
      expect((await from('198.51.100.2')({ invite_token: good, username: fresh() })).status).toBe(201);
      // Successes do not count against an address.
      const family = from('198.51.100.3');
      for (let i = 0; i < 5; i++) expect((await family({ invite_token: await token(), username: fresh() })).status).toBe(201);
    }));

  it('lets no more failures through than the limit when they arrive all at once', () =>
    withInstance({ FAMICHAT_REGISTER_LIMIT_PER_IP: '5' }, async ({ t: r }) => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          r.as(undefined, '198.51.100.9').post('/api/v1/auth/register', { invite_token: `fci_bogus_${i}`, username: fresh(), password: 'long enough', display_name: 'Flood' }),
        ),
      );
      const statuses = results.map((res) => res.status).sort();
      expect(statuses).toEqual([...Array(5).fill(410), ...Array(25).fill(429)]);
    }));
});

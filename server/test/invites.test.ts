// Invite management: listing and withdrawing a family's invites, the public invite preview, and
// invites that die with their creator's admin rights.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import type { Res } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, createFamily, family, outsider } from './helpers/fixtures.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOBODY = '00000000-0000-4000-8000-000000000000';

const { t, admin, familyId, members: [member] } = await family({ familyName: 'Invite family', members: [undefined] });

let seq = 0;
const fresh = () => `inv${++seq}_${process.pid}`.slice(0, 32);

/** Creates an invite as `by`; returns its id and token. */
async function invite(by: Person, family = familyId, role: 'admin' | 'member' = 'member'): Promise<{ id: string; token: string }> {
  const res = await t.as(by.token).post(`/api/v1/families/${family}/invites`, { role });
  expect(res.status).toBe(201);
  return { id: res.body.data.id as string, token: res.body.data.token as string };
}

const register = (token: string, username = fresh()) =>
  t.as().post('/api/v1/auth/register', { invite_token: token, username, password: 'long enough', display_name: 'Newcomer' });
const preview = (token: string) => t.as().get(`/api/v1/invites/${encodeURIComponent(token)}`);
const listed = async (by: Person, family = familyId): Promise<string[]> => {
  const res = await t.as(by.token).get(`/api/v1/families/${family}/invites`);
  expect(res.status).toBe(200);
  return (res.body.data as Array<{ id: string }>).map((i) => i.id);
};

function expectGone(res: Res) {
  expect(res.status).toBe(410);
  expect(res.body.error.code).toBe('gone');
}

/** Expects identical 404 `not_found` bodies (apart from meta). */
function expectSameNotFound(...responses: Res[]) {
  for (const res of responses) {
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.body.error).toEqual(responses[0]!.body.error);
  }
}

describe('creating an invite', () => {
  it('returns its id beside the token, expiry and role', async () => {
    const res = await t.as(admin.token).post(`/api/v1/families/${familyId}/invites`, { role: 'admin' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data).sort()).toEqual(['expires_at', 'id', 'role', 'token']);
    expect(res.body.data.id).toMatch(UUID);
    expect(await listed(admin)).toContain(res.body.data.id);
  });
});

describe('listing invites', () => {
  it("lists the family's open invites, newest first, with their creator and never a token", async () => {
    const family = await createFamily(t, admin, 'Listing family');
    const deputy = await addMember(t, admin, family, 'admin', 'Deputy Dawn');
    const first = await invite(admin, family);
    const second = await invite(deputy, family, 'admin');
    const res = await t.as(deputy.token).get(`/api/v1/families/${family}/invites`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(2);
    const [newest, oldest] = res.body.data;
    expect(newest).toEqual({
      id: second.id,
      role: 'admin',
      created_by: { id: deputy.id, username: deputy.username, display_name: 'Deputy Dawn', avatar_url: null, created_at: expect.stringMatching(ISO) },
      created_at: expect.stringMatching(ISO),
      expires_at: expect.stringMatching(ISO),
    });
    expect(oldest).toMatchObject({ id: first.id, role: 'member', created_by: { id: admin.id } });
    expect(Date.parse(newest.expires_at) - Date.parse(newest.created_at)).toBeGreaterThan(71 * 3600_000);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(first.token);
    expect(text).not.toContain(second.token);
  });

  it('leaves out used, expired, withdrawn and dead invites', async () => {
    const family = await createFamily(t, admin, 'Closed family');
    const deputy = await addMember(t, admin, family, 'admin');
    const open = await invite(admin, family);
    const used = await invite(admin, family);
    expect((await register(used.token)).status).toBe(201);
    const expired = await invite(admin, family);
    await t.domain.db.execute(sql`UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = ${expired.id}`);
    const withdrawn = await invite(admin, family);
    expect((await t.as(admin.token).delete(`/api/v1/families/${family}/invites/${withdrawn.id}`)).status).toBe(204);
    const dead = await invite(deputy, family);
    await t.domain.db.execute(sql`UPDATE memberships SET role = 'member' WHERE family_id = ${family} AND user_id = ${deputy.id}`);
    expect(await listed(admin, family)).toEqual([open.id]);
    expect(dead.id).toMatch(UUID);
  });

  it('is for family admins: a member gets 403, a non-member and an unknown or malformed family identical 404s, no token 401', async () => {
    const forbidden = await t.as(member.token).get(`/api/v1/families/${familyId}/invites`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    const stranger = await outsider(t, admin);
    expectSameNotFound(
      await t.as(stranger.token).get(`/api/v1/families/${familyId}/invites`),
      await t.as(stranger.token).get(`/api/v1/families/${NOBODY}/invites`),
      await t.as(stranger.token).get('/api/v1/families/not-a-uuid/invites'),
    );
    expect((await t.as().get(`/api/v1/families/${familyId}/invites`)).status).toBe(401);
  });
});

describe('withdrawing an invite', () => {
  it('answers 204; the invite is then gone for preview and registration, and withdrawing again is 204', async () => {
    const { id, token } = await invite(admin);
    expect((await preview(token)).status).toBe(200);
    const res = await t.as(admin.token).delete(`/api/v1/families/${familyId}/invites/${id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectGone(await preview(token));
    const username = fresh();
    expectGone(await register(token, username));
    expect((await t.as().post('/api/v1/auth/login', { username, password: 'long enough' })).status).toBe(401);
    expect(await listed(admin)).not.toContain(id);
    expect((await t.as(admin.token).delete(`/api/v1/families/${familyId}/invites/${id}`)).status).toBe(204);
  });

  it("answers an unknown, malformed or other family's invite id with identical 404s, and leaves that invite working", async () => {
    const family = await createFamily(t, admin, 'Neighbour family');
    const theirs = await invite(admin, family);
    expectSameNotFound(
      await t.as(admin.token).delete(`/api/v1/families/${familyId}/invites/${theirs.id}`),
      await t.as(admin.token).delete(`/api/v1/families/${familyId}/invites/${NOBODY}`),
      await t.as(admin.token).delete(`/api/v1/families/${familyId}/invites/not-a-uuid`),
    );
    expect((await register(theirs.token)).status).toBe(201);
  });

  it('is for family admins: a member gets 403, a non-member and an unknown family identical 404s', async () => {
    const { id, token } = await invite(admin);
    const forbidden = await t.as(member.token).delete(`/api/v1/families/${familyId}/invites/${id}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    const stranger = await outsider(t, admin);
    expectSameNotFound(
      await t.as(stranger.token).delete(`/api/v1/families/${familyId}/invites/${id}`),
      await t.as(stranger.token).delete(`/api/v1/families/${NOBODY}/invites/${id}`),
    );
    expect((await t.as().delete(`/api/v1/families/${familyId}/invites/${id}`)).status).toBe(401);
    expect((await preview(token)).status).toBe(200);
  });
});

describe('previewing an invite (public)', () => {
  it('shows the family name, role, who invites and the expiry, without a token', async () => {
    const family = await createFamily(t, admin, 'Preview family');
    const host = await addMember(t, admin, family, 'admin', 'Aunt Agnes');
    const { token } = await invite(host, family, 'admin');
    const res = await preview(token);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ family_name: 'Preview family', role: 'admin', invited_by: 'Aunt Agnes', expires_at: expect.stringMatching(ISO) });
    // Previewing does not use the invite.
    expect((await register(token)).status).toBe(201);
  });

  it('answers an unknown token with 404 and a used or expired one with 410', async () => {
    const unknown = await preview('fci_not-a-real-token');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const used = await invite(admin);
    expect((await register(used.token)).status).toBe(201);
    expectGone(await preview(used.token));
    const expired = await invite(admin);
    await t.domain.db.execute(sql`UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = ${expired.id}`);
    expectGone(await preview(expired.token));
  });

  it('names the creator of a dead invite, so its page can say whom to ask for a new one', async () => {
    const family = await createFamily(t, admin, 'Ask family');
    const host = await addMember(t, admin, family, 'admin', 'Uncle Bob');
    const used = await invite(host, family);
    expect((await register(used.token)).status).toBe(201);
    const gone = await preview(used.token);
    expectGone(gone);
    expect(gone.body.error.details).toEqual({ invited_by: 'Uncle Bob' });
    // A creator whose account is gone is not named.
    await t.domain.db.execute(sql`DELETE FROM users WHERE id = ${host.id}`);
    const orphan = await preview(used.token);
    expectGone(orphan);
    expect(orphan.body.error).not.toHaveProperty('details');
  });
});

describe("an invite dies with its creator's admin rights", () => {
  /** A new family with the instance admin and a second admin who has made an admin and a member invite. */
  async function deputyWithInvites(name: string) {
    const family = await createFamily(t, admin, name);
    const deputy = await addMember(t, admin, family, 'admin');
    const adminInvite = await invite(deputy, family, 'admin');
    const memberInvite = await invite(deputy, family, 'member');
    return { family, deputy, invites: [adminInvite, memberInvite] };
  }

  /** Every invite is gone for preview and registration, nobody joined, and none is listed. */
  async function expectDead(family: string, invites: Array<{ id: string; token: string }>) {
    const before = await t.as(admin.token).get(`/api/v1/families/${family}`);
    for (const { token } of invites) {
      expectGone(await preview(token));
      expectGone(await register(token));
    }
    const after = await t.as(admin.token).get(`/api/v1/families/${family}`);
    expect(after.body.data.members).toHaveLength(before.body.data.members.length);
    expect(await listed(admin, family)).toEqual([]);
  }

  it('when the creator is demoted, for good: promoting them again does not revive it', async () => {
    const { family, deputy, invites } = await deputyWithInvites('Demoted family');
    expect((await t.as(admin.token).patch(`/api/v1/families/${family}/members/${deputy.id}`, { role: 'member' })).status).toBe(200);
    await expectDead(family, invites);
    expect((await t.as(admin.token).patch(`/api/v1/families/${family}/members/${deputy.id}`, { role: 'admin' })).status).toBe(200);
    await expectDead(family, invites);
    // Their new invites work.
    expect((await register((await invite(deputy, family)).token)).status).toBe(201);
  });

  it('when the creator is removed (the reported case: an admin invite no longer makes a new admin)', async () => {
    const { family, deputy, invites } = await deputyWithInvites('Removed family');
    expect((await t.as(admin.token).patch(`/api/v1/families/${family}/members/${deputy.id}`, { role: 'member' })).status).toBe(200);
    expect((await t.as(admin.token).delete(`/api/v1/families/${family}/members/${deputy.id}`)).status).toBe(204);
    await expectDead(family, invites);
  });

  it('when the creator leaves', async () => {
    const { family, deputy, invites } = await deputyWithInvites('Left family');
    expect((await t.as(deputy.token).delete(`/api/v1/families/${family}/members/${deputy.id}`)).status).toBe(204);
    await expectDead(family, invites);
  });

  it('whatever changed the role: registration itself checks that the creator is still an admin', async () => {
    const { family, deputy, invites } = await deputyWithInvites('Checked family');
    await t.domain.db.execute(sql`UPDATE memberships SET role = 'member' WHERE family_id = ${family} AND user_id = ${deputy.id}`);
    await expectDead(family, invites);
    // Nothing consumed them: they are refused, not used up.
    expect(await rows(t.domain.db, sql`SELECT count(*)::int AS n FROM invites WHERE family_id = ${family} AND used_at IS NULL`)).toEqual([{ n: 2 }]);
  });

  it('when the creator is demoted while registrations race: each registration either joins as the creator still could, or gets 410', async () => {
    for (let round = 0; round < 4; round++) {
      const { family, deputy, invites } = await deputyWithInvites(`Racing family ${round}`);
      const [reg, demote] = await Promise.all([
        register(invites[0]!.token),
        t.as(admin.token).patch(`/api/v1/families/${family}/members/${deputy.id}`, { role: 'member' }),
      ]);
      expect(demote.status).toBe(200);
      expect([201, 410]).toContain(reg.status);
      expectGone(await register(invites[1]!.token));
    }
  });
});

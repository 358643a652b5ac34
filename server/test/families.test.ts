// Families over REST: creation with its family conversation, listing, detail, roles, removal and leaving,
// the last-admin rule (also under concurrency), name validation, and identical 404s.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Res } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { createFamily, family, familyConversation, freshFamily } from './helpers/fixtures.js';

const { t, admin } = await family();
let n = 0;

/** A fresh family: `people[0]` is its admin, the others are members; nobody else is in it. */
const crew = (size: number, name = `Crew ${++n}`) => freshFamily(t, admin, size, name);

interface MemberJson { user: { id: string; username: string }; role: string; joined_at: string }

const fam = (id: string) => `/api/v1/families/${id}`;
const member = (familyId: string, userId: string) => `/api/v1/families/${familyId}/members/${userId}`;

/** A fresh family of two admins: `a` its first, `b` promoted by `a`. */
async function twoAdmins(): Promise<{ familyId: string; a: Person; b: Person }> {
  const { familyId, people: [a, b] } = await crew(2);
  expect((await t.as(a!.token).patch(member(familyId, b!.id), { role: 'admin' })).status).toBe(200);
  return { familyId, a: a!, b: b! };
}

/** Sends every `[by, whom]` demotion to member at once; the responses in the same order. */
const demoteAtOnce = (familyId: string, ...changes: [by: Person, whom: Person][]) =>
  Promise.all(changes.map(([by, whom]) => t.as(by.token).patch(member(familyId, whom.id), { role: 'member' })));

async function members(p: Person, familyId: string): Promise<{ id: string; role: string }[]> {
  const res = await t.as(p.token).get(fam(familyId));
  expect(res.status).toBe(200);
  return (res.body.data.members as MemberJson[]).map((m) => ({ id: m.user.id, role: m.role }));
}

function expectNotFound(res: Res) {
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('not_found');
}

describe('creating and listing families', () => {
  it('creates a family with the caller as admin and returns 201 Family', async () => {
    const { people: [owner] } = await crew(1);
    const res = await t.as(owner!.token).post('/api/v1/families', { name: '  Garden Club  ' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.data).sort()).toEqual(['created_at', 'id', 'name', 'role']);
    expect(res.body.data).toMatchObject({ name: 'Garden Club', role: 'admin' });
    expect(res.body.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('creates the family conversation with it, titled with the family name', async () => {
    const { people: [owner] } = await crew(1);
    const created = await t.as(owner!.token).post('/api/v1/families', { name: 'Book Club' });
    const familyId = created.body.data.id as string;
    const detail = await t.as(owner!.token).get(fam(familyId));
    expect(detail.status).toBe(200);
    const conversationId = detail.body.data.conversation_id as string;
    expect(conversationId).toMatch(/^[0-9a-f-]{36}$/);

    const list = await t.as(owner!.token).get('/api/v1/conversations');
    const convs = list.body.data as { id: string; type: string; family_id: string | null; participants: { id: string }[] }[];
    const conv = convs.find((c) => c.id === conversationId)!;
    expect(conv).toMatchObject({ type: 'family', title: 'Book Club', family_id: familyId, unread_count: 0, last_message: null });
    expect(conv.participants.map((u) => u.id)).toEqual([owner!.id]);
    // Exactly one family conversation for the new family.
    expect(convs.filter((c) => c.family_id === familyId && c.type === 'family')).toHaveLength(1);
  });

  it("lists the caller's families, each with the caller's own role", async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const second = await createFamily(t, owner!, 'Second home');
    const ownerList = await t.as(owner!.token).get('/api/v1/families');
    expect(ownerList.status).toBe(200);
    const families = ownerList.body.data as { id: string; role: string }[];
    expect(families.map((f) => f.id).sort()).toEqual([familyId, second].sort());
    expect(families.every((f) => f.role === 'admin')).toBe(true);

    const kidList = await t.as(kid!.token).get('/api/v1/families');
    expect(kidList.body.data).toHaveLength(1);
    expect(kidList.body.data[0]).toMatchObject({ id: familyId, role: 'member' });
    expect(Object.keys(kidList.body.data[0]).sort()).toEqual(['created_at', 'id', 'name', 'role']);
  });

  it.each([
    ['empty after trimming', { name: '   ' }],
    ['empty', { name: '' }],
    ['over 64 characters', { name: 'x'.repeat(65) }],
    ['a number', { name: 42 }],
    ['null', { name: null }],
    ['missing', {}],
  ])('rejects a name that is %s with 422 and creates nothing', async (_label, body) => {
    const { people: [owner] } = await crew(1);
    const res = await t.as(owner!.token).post('/api/v1/families', body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fields).toHaveProperty('name');
    const list = await t.as(owner!.token).get('/api/v1/families');
    expect(list.body.data).toHaveLength(1);
  });

  it('accepts a name of exactly 64 characters (after trimming)', async () => {
    const { people: [owner] } = await crew(1);
    const res = await t.as(owner!.token).post('/api/v1/families', { name: ` ${'é'.repeat(64)} ` });
    expect(res.status).toBe(201);
    expect(res.body.data.name).toBe('é'.repeat(64));
  });
});

describe('family detail', () => {
  it('shows members with user, role and joined_at, and the caller role', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const res = await t.as(kid!.token).get(fam(familyId));
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: familyId, role: 'member' });
    expect(res.body.data.members).toHaveLength(2);
    const byId = new Map((res.body.data.members as MemberJson[]).map((m) => [m.user.id, m]));
    const o = byId.get(owner!.id)!;
    const k = byId.get(kid!.id)!;
    expect(o.role).toBe('admin');
    expect(k.role).toBe('member');
    expect(Object.keys(k).sort()).toEqual(['joined_at', 'role', 'user']);
    expect(Object.keys(k.user).sort()).toEqual(['avatar_url', 'created_at', 'display_name', 'id', 'username']);
    expect(k.user).toMatchObject({ id: kid!.id, username: kid!.username });
    expect(k.joined_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The instance admin who created the family and left is not listed.
    expect(byId.has(admin.id)).toBe(false);
  });

  it('answers a non-member, an unknown id and a malformed id with identical 404 bodies', async () => {
    const { familyId } = await crew(1);
    const { people: [stranger] } = await crew(1);
    const notMine = await t.as(stranger!.token).get(fam(familyId));
    const unknown = await t.as(stranger!.token).get(fam(randomUUID()));
    const malformed = await t.as(stranger!.token).get(fam('not-a-uuid'));
    for (const res of [notMine, unknown, malformed]) expectNotFound(res);
    expect(notMine.body.error).toEqual(unknown.body.error);
    expect(malformed.body.error).toEqual(unknown.body.error);
  });

  it('answers member changes in a family the caller is not in like an unknown family', async () => {
    const { familyId, people: [owner] } = await crew(1);
    const { people: [stranger] } = await crew(1);
    const notMine = await t.as(stranger!.token).patch(member(familyId, owner!.id), { role: 'member' });
    const unknown = await t.as(stranger!.token).patch(member(randomUUID(), owner!.id), { role: 'member' });
    const malformed = await t.as(stranger!.token).patch(member('nope', owner!.id), { role: 'member' });
    const delNotMine = await t.as(stranger!.token).delete(member(familyId, owner!.id));
    const delUnknown = await t.as(stranger!.token).delete(member(randomUUID(), owner!.id));
    for (const res of [notMine, unknown, malformed, delNotMine, delUnknown]) expectNotFound(res);
    expect(notMine.body.error).toEqual(unknown.body.error);
    expect(malformed.body.error).toEqual(unknown.body.error);
    expect(delNotMine.body.error).toEqual(delUnknown.body.error);
    expect(await members(owner!, familyId)).toEqual([{ id: owner!.id, role: 'admin' }]);
  });
});

describe('member roles', () => {
  it('lets an admin promote and demote a member (200 Member)', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const up = await t.as(owner!.token).patch(member(familyId, kid!.id), { role: 'admin' });
    expect(up.status).toBe(200);
    expect(up.body.data).toMatchObject({ user: { id: kid!.id, username: kid!.username }, role: 'admin' });
    expect(up.body.data.joined_at).toMatch(/Z$/);
    const seen = await t.as(kid!.token).get(fam(familyId));
    expect(seen.body.data.role).toBe('admin');

    const down = await t.as(owner!.token).patch(member(familyId, kid!.id), { role: 'member' });
    expect(down.status).toBe(200);
    expect(down.body.data.role).toBe('member');
    expect((await t.as(kid!.token).get('/api/v1/families')).body.data[0].role).toBe('member');
  });

  it('forbids a plain member from changing roles (403), changing nothing', async () => {
    const { familyId, people: [owner, kid, other] } = await crew(3);
    const self = await t.as(kid!.token).patch(member(familyId, kid!.id), { role: 'admin' });
    const demote = await t.as(kid!.token).patch(member(familyId, owner!.id), { role: 'member' });
    const promote = await t.as(kid!.token).patch(member(familyId, other!.id), { role: 'admin' });
    for (const res of [self, demote, promote]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await members(owner!, familyId)).filter((m) => m.role === 'admin')).toEqual([{ id: owner!.id, role: 'admin' }]);
  });

  it('answers 404 for someone who is not a member of the family', async () => {
    const { familyId, people: [owner] } = await crew(1);
    const { people: [elsewhere] } = await crew(1);
    for (const id of [randomUUID(), elsewhere!.id, 'not-a-uuid']) {
      const res = await t.as(owner!.token).patch(member(familyId, id), { role: 'admin' });
      expectNotFound(res);
    }
    expect(await members(owner!, familyId)).toEqual([{ id: owner!.id, role: 'admin' }]);
  });

  it('rejects an unknown role with 422', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    for (const body of [{ role: 'owner' }, { role: null }, {}]) {
      const res = await t.as(owner!.token).patch(member(familyId, kid!.id), body);
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields).toHaveProperty('role');
    }
  });

  it('refuses to demote the last admin with 409 last_admin', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const res = await t.as(owner!.token).patch(member(familyId, owner!.id), { role: 'member' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.details.reason).toBe('last_admin');
    expect(await members(owner!, familyId)).toContainEqual({ id: owner!.id, role: 'admin' });
    // With a second admin, stepping down works.
    expect((await t.as(owner!.token).patch(member(familyId, kid!.id), { role: 'admin' })).status).toBe(200);
    expect((await t.as(owner!.token).patch(member(familyId, owner!.id), { role: 'member' })).status).toBe(200);
  });

  it('keeps an admin when two admins demote each other at once', async () => {
    for (let round = 0; round < 4; round++) {
      const { familyId, a, b } = await twoAdmins();
      const results = await demoteAtOnce(familyId, [a, b], [b, a]);
      // The first to run wins; the loser is no longer an admin by the time its change runs.
      expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
      const admins = (await members(a, familyId)).filter((m) => m.role === 'admin');
      expect(admins).toHaveLength(1);
      const winner = results[0]!.status === 200 ? a : b;
      expect(admins[0]!.id).toBe(winner.id);
    }
  });

  it('keeps an admin when two admins both step down at once (one 200, one 409 last_admin)', async () => {
    for (let round = 0; round < 4; round++) {
      const { familyId, a, b } = await twoAdmins();
      const results = await demoteAtOnce(familyId, [a, a], [b, b]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body.error.details.reason).toBe('last_admin');
      expect((await members(a, familyId)).filter((m) => m.role === 'admin')).toHaveLength(1);
    }
  });
});

describe('removing members and leaving', () => {
  it('lets an admin remove a member, who loses the family, its conversation and its groups at once', async () => {
    const { familyId, people: [owner, kid, other] } = await crew(3);
    const conv = await familyConversation(t, kid!, familyId);
    const group = await t.as(owner!.token).post('/api/v1/conversations', {
      type: 'group', family_id: familyId, title: 'Planning', participant_ids: [kid!.id, other!.id],
    });
    expect(group.status).toBe(201);
    const groupId = group.body.data.id as string;
    expect((await t.as(kid!.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'still here' })).status).toBe(201);

    const res = await t.as(owner!.token).delete(member(familyId, kid!.id));
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    expectNotFound(await t.as(kid!.token).get(fam(familyId)));
    expectNotFound(await t.as(kid!.token).get(`/api/v1/conversations/${conv}`));
    expectNotFound(await t.as(kid!.token).get(`/api/v1/conversations/${conv}/messages`));
    expectNotFound(await t.as(kid!.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'let me in' }));
    expectNotFound(await t.as(kid!.token).get(`/api/v1/conversations/${groupId}/messages`));
    expectNotFound(await t.as(kid!.token).post(`/api/v1/conversations/${groupId}/messages`, { body: 'hello?' }));
    expect((await t.as(kid!.token).get('/api/v1/families')).body.data).toEqual([]);
    const kidConvs = await t.as(kid!.token).get('/api/v1/conversations?include_hidden=true');
    const kidIds = (kidConvs.body.data as { id: string }[]).map((c) => c.id);
    expect(kidIds).not.toContain(conv);
    expect(kidIds).not.toContain(groupId);

    // What the others see: the kid is gone from the family, its conversation and its groups; nothing was stored.
    expect((await members(owner!, familyId)).map((m) => m.id)).not.toContain(kid!.id);
    const famView = await t.as(owner!.token).get(`/api/v1/conversations/${conv}`);
    expect((famView.body.data.participants as { id: string }[]).map((u) => u.id).sort()).toEqual([owner!.id, other!.id].sort());
    expect(famView.body.data.latest_message_seq).toBe(1);
    const groupView = await t.as(other!.token).get(`/api/v1/conversations/${groupId}`);
    expect((groupView.body.data.participants as { id: string }[]).map((u) => u.id).sort()).toEqual([owner!.id, other!.id].sort());
    expect(groupView.body.data.latest_message_seq).toBe(0);
  });

  it('lets a member leave (204)', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const conv = await familyConversation(t, kid!, familyId);
    const res = await t.as(kid!.token).delete(member(familyId, kid!.id));
    expect(res.status).toBe(204);
    expectNotFound(await t.as(kid!.token).get(fam(familyId)));
    expectNotFound(await t.as(kid!.token).get(`/api/v1/conversations/${conv}/messages`));
    expect(await members(owner!, familyId)).toEqual([{ id: owner!.id, role: 'admin' }]);
  });

  it('lets an admin leave while another admin remains', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    expect((await t.as(owner!.token).patch(member(familyId, kid!.id), { role: 'admin' })).status).toBe(200);
    expect((await t.as(owner!.token).delete(member(familyId, owner!.id))).status).toBe(204);
    expect(await members(kid!, familyId)).toEqual([{ id: kid!.id, role: 'admin' }]);
  });

  it('forbids a member from removing someone else (403)', async () => {
    const { familyId, people: [owner, kid, other] } = await crew(3);
    for (const target of [other!, owner!]) {
      const res = await t.as(kid!.token).delete(member(familyId, target.id));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await members(owner!, familyId)).map((m) => m.id).sort()).toEqual([owner!.id, kid!.id, other!.id].sort());
  });

  it('refuses to let the last admin leave (409 last_admin), even with members left', async () => {
    const { familyId, people: [owner, kid] } = await crew(2);
    const res = await t.as(owner!.token).delete(member(familyId, owner!.id));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.details.reason).toBe('last_admin');
    expect(await members(kid!, familyId)).toContainEqual({ id: owner!.id, role: 'admin' });
    // Alone, the last admin still cannot leave.
    expect((await t.as(owner!.token).delete(member(familyId, kid!.id))).status).toBe(204);
    const alone = await t.as(owner!.token).delete(member(familyId, owner!.id));
    expect(alone.status).toBe(409);
    expect(alone.body.error.details.reason).toBe('last_admin');
  });

  it('answers 404 when removing someone who is not a member', async () => {
    const { familyId, people: [owner] } = await crew(1);
    const { people: [elsewhere] } = await crew(1);
    for (const id of [randomUUID(), elsewhere!.id, 'not-a-uuid']) expectNotFound(await t.as(owner!.token).delete(member(familyId, id)));
    expect((await t.as(elsewhere!.token).get('/api/v1/families')).body.data).toHaveLength(1);
  });
});

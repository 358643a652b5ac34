// Conversations over REST: direct (one per pair, also under concurrency, only within a shared family), self, groups,
// the list (ordering, last message, unread counts, read cursors, hiding), group titles and participants,
// identical 404s for other people's conversations, and message edit/delete permissions.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Res } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { family, familyConversation, freshFamily, outsider } from './helpers/fixtures.js';

const { t, admin } = await family();
let n = 0;

/** A fresh family: `people[0]` is its admin, the others are members; nobody else is in it. */
const crew = (size: number, name = `Crew ${++n}`) => freshFamily(t, admin, size, name);

interface UserJson { id: string; username: string; display_name: string; created_at: string }
interface MessageJson { id: string; seq: number; sender_id: string; body: string; inserted_at: string; deleted_at: string | null }
interface ConversationJson {
  id: string;
  type: string;
  title: string;
  participants: UserJson[];
  latest_message_seq: number;
  last_message: MessageJson | null;
  last_message_at: string | null;
  unread_count: number;
  hidden: boolean;
}

const CONVS = '/api/v1/conversations';
const conv = (id: string) => `${CONVS}/${id}`;
const msgs = (id: string) => `${CONVS}/${id}/messages`;
const ids = (list: { id: string }[]) => list.map((x) => x.id);

function direct(p: Person, other: string | undefined) {
  return t.as(p.token).post(CONVS, other === undefined ? { type: 'direct' } : { type: 'direct', participant_id: other });
}

function group(p: Person, familyId: string, title: string, participantIds: string[]) {
  return t.as(p.token).post(CONVS, { type: 'group', family_id: familyId, title, participant_ids: participantIds });
}

async function send(p: Person, conversationId: string, body: string): Promise<MessageJson> {
  const res = await t.as(p.token).post(msgs(conversationId), { body });
  expect(res.status).toBe(201);
  return res.body.data as MessageJson;
}

async function view(p: Person, conversationId: string): Promise<ConversationJson> {
  const res = await t.as(p.token).get(conv(conversationId));
  expect(res.status).toBe(200);
  return res.body.data as ConversationJson;
}

async function list(p: Person, query = ''): Promise<ConversationJson[]> {
  const res = await t.as(p.token).get(`${CONVS}${query}`);
  expect(res.status).toBe(200);
  return res.body.data as ConversationJson[];
}

/** The messages of a conversation as `p` reads them (the latest page). */
async function history(p: Person, conversationId: string): Promise<MessageJson[]> {
  const res = await t.as(p.token).get(msgs(conversationId));
  expect(res.status).toBe(200);
  return res.body.data as MessageJson[];
}

/** Waits until the clock has moved on, so the next write gets a later timestamp (millisecond precision). */
async function clockTick(): Promise<void> {
  const start = Date.now();
  while (Date.now() < start + 2) await new Promise((resolve) => setImmediate(resolve));
}

function expectNotFound(res: Res) {
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('not_found');
}

function expect422(res: Res, field: string) {
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('validation_failed');
  expect(res.body.error.details.fields).toHaveProperty(field);
}

describe('direct conversations', () => {
  it('creates once (201), then returns the same one for either side (200)', async () => {
    const { people: [a, b] } = await crew(2);
    const first = await direct(a!, b!.id);
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ type: 'direct', family_id: null, latest_message_seq: 0, last_message: null, unread_count: 0, hidden: false });
    expect(ids(first.body.data.participants).sort()).toEqual([a!.id, b!.id].sort());
    const again = await direct(a!, b!.id);
    expect(again.status).toBe(200);
    expect(again.body.data.id).toBe(first.body.data.id);
    const reverse = await direct(b!, a!.id);
    expect(reverse.status).toBe(200);
    expect(reverse.body.data.id).toBe(first.body.data.id);
    expect((await list(a!)).filter((c) => c.type === 'direct')).toHaveLength(1);
    expect((await list(b!)).filter((c) => c.type === 'direct')).toHaveLength(1);
  });

  it("is titled with the other person's display name, for each side", async () => {
    const { people: [a, b] } = await crew(2);
    const created = await direct(a!, b!.id);
    const id = created.body.data.id as string;
    const names = new Map((created.body.data.participants as UserJson[]).map((u) => [u.id, u.display_name]));
    expect(names.get(a!.id)).not.toBe(names.get(b!.id));
    expect(created.body.data.title).toBe(names.get(b!.id));
    expect((await view(a!, id)).title).toBe(names.get(b!.id));
    expect((await view(b!, id)).title).toBe(names.get(a!.id));
    expect((await list(b!)).find((c) => c.id === id)!.title).toBe(names.get(a!.id));
  });

  it('yields one conversation and exactly one 201 for 20 concurrent creates from both sides', async () => {
    const { people: [a, b] } = await crew(2);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? direct(a!, b!.id) : direct(b!, a!.id))));
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.data.id as string)).size).toBe(1);
    expect((await list(a!)).filter((c) => c.type === 'direct')).toHaveLength(1);
  });

  it('refuses people who share no family with 403 no_shared_family and creates nothing', async () => {
    const { people: [a] } = await crew(1);
    const stranger = await outsider(t, admin);
    for (const res of [await direct(a!, stranger.id), await direct(stranger, a!.id)]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('no_shared_family');
    }
    for (const p of [a!, stranger]) {
      expect((await list(p, '?include_hidden=true')).filter((c) => c.type === 'direct')).toEqual([]);
    }
  });

  it('rejects oneself (422), an unknown person (404) and a missing or malformed participant_id (422)', async () => {
    const { people: [a] } = await crew(1);
    expect422(await direct(a!, a!.id), 'participant_id');
    const unknown = await direct(a!, randomUUID());
    expectNotFound(unknown);
    expect422(await direct(a!, undefined), 'participant_id');
    expect422(await direct(a!, 'not-a-uuid'), 'participant_id');
    expect((await list(a!, '?include_hidden=true')).filter((c) => c.type === 'direct')).toEqual([]);
  });

  it('refuses a direct send once the two no longer share a family, storing nothing', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const id = (await direct(a!, b!.id)).body.data.id as string;
    await send(a!, id, 'before');
    expect((await t.as(b!.token).delete(`/api/v1/families/${familyId}/members/${b!.id}`)).status).toBe(204);
    for (const p of [a!, b!]) {
      const res = await t.as(p.token).post(msgs(id), { body: 'after' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('no_shared_family');
    }
    expect((await history(a!, id)).map((m) => m.body)).toEqual(['before']);
    expect((await view(b!, id)).latest_message_seq).toBe(1);
    // Creating it again is refused too.
    expect((await direct(a!, b!.id)).body.error.code).toBe('no_shared_family');
  });
});

describe('self conversations', () => {
  it('creates the notes conversation once, with one participant, titled "Notes", accepting messages', async () => {
    const { people: [a, b] } = await crew(2);
    const first = await t.as(a!.token).post(CONVS, { type: 'self' });
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ type: 'self', title: 'Notes', family_id: null });
    expect(ids(first.body.data.participants)).toEqual([a!.id]);
    const again = await t.as(a!.token).post(CONVS, { type: 'self' });
    expect(again.status).toBe(200);
    expect(again.body.data.id).toBe(first.body.data.id);

    const note = await send(a!, first.body.data.id, 'buy milk');
    expect(note.seq).toBe(1);
    const shown = (await list(a!)).find((c) => c.id === first.body.data.id);
    expect(shown).toMatchObject({ title: 'Notes', latest_message_seq: 1, unread_count: 0, last_message: { body: 'buy milk' } });
    // Nobody else sees it, and theirs is a different one.
    expectNotFound(await t.as(b!.token).get(conv(first.body.data.id)));
    const theirs = await t.as(b!.token).post(CONVS, { type: 'self' });
    expect(theirs.status).toBe(201);
    expect(theirs.body.data.id).not.toBe(first.body.data.id);
  });
});

describe('groups', () => {
  it('creates a group of family members with the caller as group admin', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const res = await group(b!, familyId, '  Cousins  ', [a!.id, c!.id]);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ type: 'group', title: 'Cousins', family_id: familyId, latest_message_seq: 0 });
    expect(ids(res.body.data.participants).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    const id = res.body.data.id as string;
    expect((await view(c!, id)).title).toBe('Cousins');
    // b, a plain family member, is the group's admin: b may rename it, the family admin a may not.
    expect((await t.as(b!.token).patch(conv(id), { title: 'Cousins!' })).status).toBe(200);
    expect((await t.as(a!.token).patch(conv(id), { title: 'Mine' })).status).toBe(403);
  });

  it('rejects a participant from outside the family with 422 and creates nothing', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const { people: [elsewhere] } = await crew(1);
    expect422(await group(a!, familyId, 'Mixed', [b!.id, elsewhere!.id]), 'participant_ids');
    expect422(await group(a!, familyId, 'Ghost', [randomUUID()]), 'participant_ids');
    expect((await list(a!, '?include_hidden=true')).filter((c) => c.type === 'group')).toEqual([]);
    expect((await list(elsewhere!, '?include_hidden=true')).filter((c) => c.type === 'group')).toEqual([]);
  });

  it('rejects a caller who is not in the family with 422', async () => {
    const { familyId, people: [, b] } = await crew(2);
    const { people: [elsewhere] } = await crew(1);
    expect422(await group(elsewhere!, familyId, 'Sneaky', [b!.id]), 'family_id');
    expect422(await group(elsewhere!, randomUUID(), 'Nowhere', []), 'family_id');
    expect((await list(b!, '?include_hidden=true')).filter((c) => c.type === 'group')).toEqual([]);
  });

  it('requires a title and a family (422)', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    expect422(await t.as(a!.token).post(CONVS, { type: 'group', family_id: familyId, participant_ids: [b!.id] }), 'title');
    expect422(await group(a!, familyId, '   ', [b!.id]), 'title');
    expect422(await group(a!, familyId, 'x'.repeat(101), [b!.id]), 'title');
    expect422(await t.as(a!.token).post(CONVS, { type: 'group', title: 'No family', participant_ids: [b!.id] }), 'family_id');
    expect((await list(a!, '?include_hidden=true')).filter((c) => c.type === 'group')).toEqual([]);
  });

  it('rejects an unknown conversation type (422); family conversations are not created here', async () => {
    const { familyId, people: [a] } = await crew(1);
    expect422(await t.as(a!.token).post(CONVS, { type: 'family', family_id: familyId }), 'type');
    expect422(await t.as(a!.token).post(CONVS, {}), 'type');
  });
});

describe('the conversation list', () => {
  it('puts the most recent activity first', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const famId = await familyConversation(t, a!, familyId);
    await clockTick();
    const dirId = (await direct(a!, b!.id)).body.data.id as string;
    await clockTick();
    const selfId = (await t.as(a!.token).post(CONVS, { type: 'self' })).body.data.id as string;
    // Without messages: newest created first.
    expect(ids(await list(a!))).toEqual([selfId, dirId, famId]);

    await clockTick();
    await send(b!, famId, 'family news');
    expect(ids(await list(a!))).toEqual([famId, selfId, dirId]);
    await clockTick();
    await send(b!, dirId, 'psst');
    expect(ids(await list(a!))).toEqual([dirId, famId, selfId]);
    await clockTick();
    await send(a!, famId, 'reply');
    const final = await list(a!);
    expect(ids(final)).toEqual([famId, dirId, selfId]);
    expect(final[0]).toMatchObject({ last_message: { body: 'reply', sender_id: a!.id, seq: 2 }, latest_message_seq: 2 });
    expect(final[0]!.last_message_at).toBe(final[0]!.last_message!.inserted_at);
    expect(final[2]).toMatchObject({ last_message: null, last_message_at: null });
  });

  it('counts unread messages per reader, and the read cursor only moves forward up to the latest seq', async () => {
    const { people: [a, b] } = await crew(2);
    const id = (await direct(a!, b!.id)).body.data.id as string;
    for (const body of ['one', 'two', 'three']) await send(b!, id, body);

    const forA = (await list(a!)).find((c) => c.id === id);
    expect(forA).toMatchObject({ unread_count: 3, latest_message_seq: 3, last_message: { seq: 3, body: 'three', sender_id: b!.id } });
    expect((await view(b!, id)).unread_count).toBe(0);

    const read2 = await t.as(a!.token).post(`${conv(id)}/read`, { seq: 2 });
    expect(read2.status).toBe(200);
    expect(read2.body.data).toEqual({ seq: 2 });
    expect((await view(a!, id)).unread_count).toBe(1);

    const back = await t.as(a!.token).post(`${conv(id)}/read`, { seq: 1 });
    expect(back.status).toBe(200);
    expect(back.body.data).toEqual({ seq: 2 });
    expect((await view(a!, id)).unread_count).toBe(1);

    const beyond = await t.as(a!.token).post(`${conv(id)}/read`, { seq: 1000 });
    expect(beyond.body.data).toEqual({ seq: 3 });
    expect((await view(a!, id)).unread_count).toBe(0);
    // Clamped: the next message is unread again.
    await send(b!, id, 'four');
    expect((await view(a!, id)).unread_count).toBe(1);
    expect((await view(b!, id)).unread_count).toBe(0);

    for (const body of [{ seq: -1 }, { seq: 1.5 }, { seq: 'x' }, {}]) {
      expect422(await t.as(a!.token).post(`${conv(id)}/read`, body), 'seq');
    }
  });

  it('hides a conversation for the caller only, shows it with include_hidden, and unhides it on a new message', async () => {
    const { people: [a, b] } = await crew(2);
    const id = (await direct(a!, b!.id)).body.data.id as string;
    const hide = await t.as(a!.token).patch(conv(id), { hidden: true });
    expect(hide.status).toBe(200);
    expect(hide.body.data).toMatchObject({ id, hidden: true });

    expect(ids(await list(a!))).not.toContain(id);
    expect(ids(await list(a!, '?include_hidden=false'))).not.toContain(id);
    const withHidden = (await list(a!, '?include_hidden=true')).find((c) => c.id === id);
    expect(withHidden).toMatchObject({ hidden: true });
    expect((await list(b!)).find((c) => c.id === id)).toMatchObject({ hidden: false });

    await send(b!, id, 'wake up');
    expect((await list(a!)).find((c) => c.id === id)).toMatchObject({ hidden: false, unread_count: 1 });

    // Hiding and unhiding explicitly.
    await t.as(a!.token).patch(conv(id), { hidden: true });
    const unhide = await t.as(a!.token).patch(conv(id), { hidden: false });
    expect(unhide.body.data.hidden).toBe(false);
    expect(ids(await list(a!))).toContain(id);
    expect422(await t.as(a!.token).patch(conv(id), { hidden: 'yes' }), 'hidden');
  });
});

describe('renaming', () => {
  /** A group titled `title` of a fresh family's two people: `a` (its admin) created it with `b`. */
  async function groupOfTwo(title: string): Promise<{ id: string; a: Person; b: Person }> {
    const { familyId, people: [a, b] } = await crew(2);
    return { id: (await group(a!, familyId, title, [b!.id])).body.data.id as string, a: a!, b: b! };
  }

  it('lets a group admin rename the group, seen by everyone', async () => {
    const { id, a, b } = await groupOfTwo('Old');
    const res = await t.as(a.token).patch(conv(id), { title: '  New name ' });
    expect(res.status).toBe(200);
    expect(res.body.data.title).toBe('New name');
    expect((await view(b, id)).title).toBe('New name');
    expect422(await t.as(a.token).patch(conv(id), { title: ' ' }), 'title');
    expect((await view(b, id)).title).toBe('New name');
  });

  it('forbids a non-admin participant from renaming (403)', async () => {
    const { id, a, b } = await groupOfTwo('Keep');
    const res = await t.as(b.token).patch(conv(id), { title: 'Taken over' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await view(a, id)).title).toBe('Keep');
  });

  it('refuses a title on direct, self and family conversations (422)', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const dirId = (await direct(a!, b!.id)).body.data.id as string;
    const selfId = (await t.as(a!.token).post(CONVS, { type: 'self' })).body.data.id as string;
    const famId = await familyConversation(t, a!, familyId);
    for (const id of [dirId, selfId, famId]) expect422(await t.as(a!.token).patch(conv(id), { title: 'Renamed' }), 'title');
    expect((await view(a!, dirId)).title).toBe((await view(a!, dirId)).participants.find((u) => u.id === b!.id)!.display_name);
    expect((await view(a!, selfId)).title).toBe('Notes');
  });
});

describe('group participants', () => {
  it('lets the group admin add a family member, who can then read', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const id = (await group(a!, familyId, 'Growing', [b!.id])).body.data.id as string;
    await send(b!, id, 'before c joined');
    expectNotFound(await t.as(c!.token).get(msgs(id)));

    const res = await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: c!.id });
    expect(res.status).toBe(200);
    expect(ids(res.body.data.participants).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    expect((await history(c!, id)).map((m) => m.body)).toEqual(['before c joined']);
    expect(ids(await list(c!))).toContain(id);
    await send(c!, id, 'hi all');
    // Adding someone already there changes nothing.
    const again = await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: c!.id });
    expect(again.status).toBe(200);
    expect(again.body.data.participants).toHaveLength(3);
  });

  it('forbids a non-admin from adding (403) and refuses people outside the family (422)', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const { people: [elsewhere] } = await crew(1);
    const id = (await group(a!, familyId, 'Closed', [b!.id])).body.data.id as string;
    const byMember = await t.as(b!.token).post(`${conv(id)}/participants`, { user_id: c!.id });
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('forbidden');
    expect422(await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: elsewhere!.id }), 'user_id');
    expect422(await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: randomUUID() }), 'user_id');
    expect422(await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: 'nope' }), 'user_id');
    expect(ids((await view(a!, id)).participants).sort()).toEqual([a!.id, b!.id].sort());
    expectNotFound(await t.as(elsewhere!.token).get(conv(id)));
  });

  it('lets the group admin remove someone, who gets 404 at once', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const id = (await group(a!, familyId, 'Shrinking', [b!.id, c!.id])).body.data.id as string;
    const res = await t.as(a!.token).delete(`${conv(id)}/participants/${c!.id}`);
    expect(res.status).toBe(204);
    expectNotFound(await t.as(c!.token).get(conv(id)));
    expectNotFound(await t.as(c!.token).get(msgs(id)));
    expectNotFound(await t.as(c!.token).post(msgs(id), { body: 'still here?' }));
    expect(ids(await list(c!, '?include_hidden=true'))).not.toContain(id);
    expect(ids((await view(b!, id)).participants).sort()).toEqual([a!.id, b!.id].sort());
    expect((await view(b!, id)).latest_message_seq).toBe(0);
    // Removing someone no longer there: 404.
    expectNotFound(await t.as(a!.token).delete(`${conv(id)}/participants/${c!.id}`));
  });

  it('lets a member leave (204), but not remove others (403)', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const id = (await group(a!, familyId, 'Exit', [b!.id, c!.id])).body.data.id as string;
    const other = await t.as(b!.token).delete(`${conv(id)}/participants/${c!.id}`);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    const admins = await t.as(b!.token).delete(`${conv(id)}/participants/${a!.id}`);
    expect(admins.status).toBe(403);
    expect((await view(c!, id)).participants).toHaveLength(3);

    const leave = await t.as(b!.token).delete(`${conv(id)}/participants/${b!.id}`);
    expect(leave.status).toBe(204);
    expectNotFound(await t.as(b!.token).get(msgs(id)));
    expect(ids((await view(c!, id)).participants).sort()).toEqual([a!.id, c!.id].sort());
  });

  it('refuses participant changes outside groups (422)', async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const famId = await familyConversation(t, a!, familyId);
    const dirId = (await direct(a!, b!.id)).body.data.id as string;
    const selfId = (await t.as(a!.token).post(CONVS, { type: 'self' })).body.data.id as string;
    for (const id of [famId, dirId, selfId]) {
      const add = await t.as(a!.token).post(`${conv(id)}/participants`, { user_id: c!.id });
      expect(add.status).toBe(422);
      expect(add.body.error.code).toBe('validation_failed');
      const remove = await t.as(a!.token).delete(`${conv(id)}/participants/${b!.id}`);
      expect(remove.status).toBe(422);
      expect(remove.body.error.code).toBe('validation_failed');
    }
    expect((await view(a!, dirId)).participants).toHaveLength(2);
    expect((await view(a!, famId)).participants).toHaveLength(3);
    expectNotFound(await t.as(c!.token).get(conv(dirId)));
  });
});

describe("other people's conversations", () => {
  it('answers exactly like an unknown id for every conversation endpoint', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const { people: [stranger] } = await crew(1);
    const dirId = (await direct(a!, b!.id)).body.data.id as string;
    const groupId = (await group(a!, familyId, 'Private', [b!.id])).body.data.id as string;
    const famId = await familyConversation(t, a!, familyId);
    const msg = await send(a!, dirId, 'secret');

    const as = t.as(stranger!.token);
    const calls: [string, (id: string) => Promise<Res>][] = [
      ['GET', (id) => as.get(conv(id))],
      ['PATCH hidden', (id) => as.patch(conv(id), { hidden: true })],
      ['PATCH title', (id) => as.patch(conv(id), { title: 'Mine now' })],
      ['GET messages', (id) => as.get(msgs(id))],
      ['POST messages', (id) => as.post(msgs(id), { body: 'intrude' })],
      ['POST read', (id) => as.post(`${conv(id)}/read`, { seq: 1 })],
      ['POST participants', (id) => as.post(`${conv(id)}/participants`, { user_id: stranger!.id })],
      ['DELETE participant', (id) => as.delete(`${conv(id)}/participants/${stranger!.id}`)],
      ['PATCH message', (id) => as.patch(`${msgs(id)}/${msg.id}`, { body: 'changed' })],
      ['DELETE message', (id) => as.delete(`${msgs(id)}/${msg.id}`)],
    ];
    for (const [label, call] of calls) {
      const unknown = await call(randomUUID());
      expectNotFound(unknown);
      for (const id of [dirId, groupId, famId, 'not-a-uuid']) {
        const res = await call(id);
        expect({ label, status: res.status, error: res.body.error }).toEqual({ label, status: 404, error: unknown.body.error });
      }
    }
    // Nothing changed.
    expect((await history(b!, dirId)).map((m) => m.body)).toEqual(['secret']);
    expect((await view(b!, groupId)).title).toBe('Private');
    expect((await view(b!, groupId)).participants).toHaveLength(2);
    expect((await view(b!, famId)).latest_message_seq).toBe(0);
  });
});

describe('editing and deleting messages', () => {
  it('lets the sender edit (200 with edited_at) and nobody else (403)', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const famId = await familyConversation(t, a!, familyId);
    const m = await send(b!, famId, 'teh typo');
    const res = await t.as(b!.token).patch(`${msgs(famId)}/${m.id}`, { body: ' the typo ' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: m.id, seq: m.seq, body: 'the typo', sender_id: b!.id, deleted_at: null });
    expect(res.body.data.edited_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const byAdmin = await t.as(a!.token).patch(`${msgs(famId)}/${m.id}`, { body: 'admin rewrite' });
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.code).toBe('forbidden');
    const history = await t.as(a!.token).get(msgs(famId));
    expect(history.body.data).toEqual([res.body.data]);
    expect422(await t.as(b!.token).patch(`${msgs(famId)}/${m.id}`, { body: '   ' }), 'body');
  });

  it('keeps a deleted message as a tombstone that cannot be edited (409)', async () => {
    const { people: [a, b] } = await crew(2);
    const id = (await direct(a!, b!.id)).body.data.id as string;
    const m1 = await send(a!, id, 'oops');
    const m2 = await send(b!, id, 'what?');
    const del = await t.as(a!.token).delete(`${msgs(id)}/${m1.id}`);
    expect(del.status).toBe(204);
    const after = await history(b!, id);
    expect(after.map((m) => m.seq)).toEqual([1, 2]);
    expect(after[0]).toMatchObject({ id: m1.id, seq: 1, body: '', sender_id: a!.id });
    expect(after[0]!.deleted_at).toMatch(/Z$/);
    expect(after[1]).toEqual(m2);

    const edit = await t.as(a!.token).patch(`${msgs(id)}/${m1.id}`, { body: 'resurrect' });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('conflict');
    expect((await t.as(b!.token).get(msgs(id))).body.data[0].body).toBe('');
    // In a direct conversation, nobody but the sender may delete, family admin or not.
    const notMine = await t.as(a!.token).delete(`${msgs(id)}/${m2.id}`);
    expect(notMine.status).toBe(403);
  });

  it("lets a family admin delete others' messages in the family conversation, but not a plain member", async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    const famId = await familyConversation(t, a!, familyId);
    const mb = await send(b!, famId, 'from b');
    const mc = await send(c!, famId, 'from c');
    const byMember = await t.as(c!.token).delete(`${msgs(famId)}/${mb.id}`);
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('forbidden');
    expect((await t.as(a!.token).delete(`${msgs(famId)}/${mc.id}`)).status).toBe(204);
    expect((await history(b!, famId)).map((m) => [m.seq, m.body, m.deleted_at !== null])).toEqual([
      [1, 'from b', false],
      [2, '', true],
    ]);
  });

  it("lets a group admin delete others' messages in the group, but not a plain participant", async () => {
    const { familyId, people: [a, b, c] } = await crew(3);
    // b is a plain family member but the group's admin.
    const id = (await group(b!, familyId, 'Mods', [a!.id, c!.id])).body.data.id as string;
    const ma = await send(a!, id, 'from the family admin');
    const mc = await send(c!, id, 'from c');
    const byPlain = await t.as(c!.token).delete(`${msgs(id)}/${ma.id}`);
    expect(byPlain.status).toBe(403);
    expect((await t.as(b!.token).delete(`${msgs(id)}/${mc.id}`)).status).toBe(204);
    expect((await t.as(b!.token).delete(`${msgs(id)}/${ma.id}`)).status).toBe(204);
    expect((await history(c!, id)).map((m) => [m.seq, m.body])).toEqual([
      [1, ''],
      [2, ''],
    ]);
  });

  it('answers 404 for an unknown message id, also one from another conversation', async () => {
    const { familyId, people: [a, b] } = await crew(2);
    const famId = await familyConversation(t, a!, familyId);
    const dirId = (await direct(a!, b!.id)).body.data.id as string;
    const elsewhere = await send(a!, dirId, 'in the direct one');
    for (const messageId of [randomUUID(), 'not-a-uuid', elsewhere.id]) {
      expectNotFound(await t.as(a!.token).patch(`${msgs(famId)}/${messageId}`, { body: 'x' }));
      expectNotFound(await t.as(a!.token).delete(`${msgs(famId)}/${messageId}`));
    }
    expect((await t.as(b!.token).get(msgs(dirId))).body.data[0]).toEqual(elsewhere);
  });
});

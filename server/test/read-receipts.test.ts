// Read receipts: every Conversation view carries `read_up_to`, each current participant's read cursor, in the
// list, the single view, a create's response and every conversation_created / conversation_updated; a read
// tells the reader and the senders of the messages it newly covers; cursors never move backwards; people
// removed from the conversation are not listed.
import { afterAll, describe, expect, it } from 'vitest';
import type { Person } from './helpers/fixtures.js';
import { family, familyConversation } from './helpers/fixtures.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

const { t, url, admin, familyId, members: [bob, carol] } = await family({ members: ['Bob', 'Carol'] });
const sockets: { disconnect(): void }[] = [];
afterAll(() => {
  for (const socket of sockets) socket.disconnect();
});

const CONVS = '/api/v1/conversations';
type Cursors = Record<string, number>;
interface ConversationJson { id: string; latest_message_seq: number; unread_count: number; read_up_to: Cursors; last_message: { seq: number; sender_id: string } | null }

async function group(owner: Person, members: Person[], title: string): Promise<ConversationJson> {
  const res = await t.as(owner.token).post(CONVS, { type: 'group', family_id: familyId, title, participant_ids: members.map((m) => m.id) });
  expect(res.status).toBe(201);
  return res.body.data as ConversationJson;
}

async function send(p: Person, id: string, body: string): Promise<number> {
  const res = await t.as(p.token).post(`${CONVS}/${id}/messages`, { body });
  expect(res.status).toBe(201);
  return res.body.data.seq as number;
}

async function read(p: Person, id: string, seq: number): Promise<number> {
  const res = await t.as(p.token).post(`${CONVS}/${id}/read`, { seq });
  expect(res.status).toBe(200);
  return res.body.data.seq as number;
}

/** The conversation as `p` sees it in GET /conversations/:id and in GET /conversations (which must agree). */
async function seen(p: Person, id: string): Promise<ConversationJson> {
  const single = await t.as(p.token).get(`${CONVS}/${id}`);
  expect(single.status).toBe(200);
  const list = await t.as(p.token).get(`${CONVS}?include_hidden=true`);
  expect(list.status).toBe(200);
  const listed = (list.body.data as ConversationJson[]).find((c) => c.id === id);
  expect(listed).toEqual(single.body.data);
  return single.body.data as ConversationJson;
}

/** Someone's user topic, collecting conversation_created and conversation_updated. */
async function userTopic(p: Person) {
  const socket = await connect(url, p.token);
  sockets.push(socket);
  const { channel } = await joinChannel(socket, `user:${p.id}`);
  return { socket, created: collect(channel, 'conversation_created'), updated: collect(channel, 'conversation_updated') };
}

/** The next conversation_updated of conversation `id` in `queue` (others are skipped). */
async function nextFor(queue: ReturnType<typeof collect>, id: string): Promise<ConversationJson> {
  for (;;) {
    const { conversation } = await queue.next();
    if (conversation.id === id) return conversation as ConversationJson;
  }
}

describe('read_up_to in the REST views', () => {
  it('shows every participant’s cursor after sends and reads, in the list, the single view and a create', async () => {
    const created = await group(admin, [bob, carol], 'Cursors');
    expect(created.read_up_to).toEqual({ [admin.id]: 0, [bob.id]: 0, [carol.id]: 0 });
    const id = created.id;
    for (const body of ['one', 'two', 'three']) await send(admin, id, body);
    // The sender has read their own messages.
    for (const p of [admin, bob, carol]) expect((await seen(p, id)).read_up_to).toEqual({ [admin.id]: 3, [bob.id]: 0, [carol.id]: 0 });
    expect(await read(bob, id, 2)).toBe(2);
    expect(await read(carol, id, 3)).toBe(3);
    for (const p of [admin, bob, carol]) expect((await seen(p, id)).read_up_to).toEqual({ [admin.id]: 3, [bob.id]: 2, [carol.id]: 3 });
    // Never backwards, clamped to the latest seq; unread counts agree with the cursors.
    expect(await read(bob, id, 1)).toBe(2);
    expect((await seen(carol, id)).read_up_to[bob.id]).toBe(2);
    expect(await read(bob, id, 1000)).toBe(3);
    const forBob = await seen(bob, id);
    expect(forBob).toMatchObject({ unread_count: 0, read_up_to: { [admin.id]: 3, [bob.id]: 3, [carol.id]: 3 } });
    await send(carol, id, 'four');
    expect(await seen(bob, id)).toMatchObject({ unread_count: 1, read_up_to: { [admin.id]: 3, [bob.id]: 3, [carol.id]: 4 } });
  });

  it('carries the cursors of direct, self and family conversations', async () => {
    const direct = await t.as(bob.token).post(CONVS, { type: 'direct', participant_id: carol.id });
    expect(direct.status).toBe(201);
    expect(direct.body.data.read_up_to).toEqual({ [bob.id]: 0, [carol.id]: 0 });
    const seq = await send(carol, direct.body.data.id, 'hi');
    const again = await t.as(bob.token).post(CONVS, { type: 'direct', participant_id: carol.id });
    expect(again.status).toBe(200);
    expect(again.body.data.read_up_to).toEqual({ [bob.id]: 0, [carol.id]: seq });

    const self = await t.as(bob.token).post(CONVS, { type: 'self' });
    expect(self.body.data.read_up_to).toEqual({ [bob.id]: 0 });

    const family = await familyConversation(t, admin, familyId);
    const familySeq = await send(bob, family, 'family hello');
    expect((await seen(carol, family)).read_up_to).toEqual({ [admin.id]: 0, [bob.id]: familySeq, [carol.id]: 0 });
  });

  it('does not list someone removed from the conversation, and starts someone added at 0', async () => {
    const { id } = await group(admin, [bob, carol], 'Leavers');
    await send(admin, id, 'before');
    await read(carol, id, 1);
    expect((await t.as(admin.token).delete(`${CONVS}/${id}/participants/${carol.id}`)).status).toBe(204);
    for (const p of [admin, bob]) expect((await seen(p, id)).read_up_to).toEqual({ [admin.id]: 1, [bob.id]: 0 });
    expect((await t.as(admin.token).post(`${CONVS}/${id}/participants`, { user_id: carol.id })).status).toBe(200);
    expect((await seen(carol, id)).read_up_to).toEqual({ [admin.id]: 1, [bob.id]: 0, [carol.id]: 0 });
  });
});

describe('read_up_to on the user topic', () => {
  it('carries every cursor in conversation_created and in each conversation_updated after a send', async () => {
    const [ua, ub, uc] = await Promise.all([admin, bob, carol].map(userTopic));
    const { id } = await group(admin, [bob, carol], 'Live cursors');
    for (const u of [ua!, ub!, uc!]) {
      const { conversation } = await u.created.next();
      expect(conversation).toMatchObject({ id, read_up_to: { [admin.id]: 0, [bob.id]: 0, [carol.id]: 0 } });
    }
    const seq = await send(bob, id, 'hello');
    for (const [u, p] of [[ua!, admin], [ub!, bob], [uc!, carol]] as const) {
      const update = await nextFor(u.updated, id);
      expect(update.read_up_to).toEqual({ [admin.id]: 0, [bob.id]: seq, [carol.id]: 0 });
      // Each update is what GET shows that participant.
      expect(update).toEqual(await seen(p, id));
    }
  });

  it('tells the reader and the senders of the messages read, not the others, and the next update carries the cursor to all', async () => {
    const [ua, ub, uc] = await Promise.all([admin, bob, carol].map(userTopic));
    const { id } = await group(admin, [bob, carol], 'Who hears');
    for (const u of [ua!, ub!, uc!]) await u.created.next();
    const seq = await send(admin, id, 'seen?');
    for (const u of [ua!, ub!, uc!]) await nextFor(u.updated, id);

    // Bob reads over the socket: the admin (whose message it is) and Bob hear of it; Carol does not.
    const socket = await connect(url, bob.token);
    sockets.push(socket);
    const { channel } = await joinChannel(socket, `message:group:${id}`);
    expect(await push(channel, 'read', { seq })).toEqual({ status: 'ok', response: { seq } });
    expect(await nextFor(ua!.updated, id)).toMatchObject({ unread_count: 0, read_up_to: { [admin.id]: seq, [bob.id]: seq, [carol.id]: 0 } });
    expect(await nextFor(ub!.updated, id)).toMatchObject({ unread_count: 0, read_up_to: { [admin.id]: seq, [bob.id]: seq, [carol.id]: 0 } });
    // Reading the same again moves nothing: only the reader hears of it.
    expect(await read(bob, id, seq)).toBe(seq);
    expect(await nextFor(ub!.updated, id)).toMatchObject({ read_up_to: { [bob.id]: seq } });

    const next = await send(carol, id, 'my turn');
    for (const u of [ua!, ub!, uc!]) {
      expect((await nextFor(u.updated, id)).read_up_to).toEqual({ [admin.id]: seq, [bob.id]: seq, [carol.id]: next });
    }
    // Carol heard of no read: her only update after the admin's message is her own send's.
    expect(uc!.updated.received).toEqual([]);
    expect(ua!.updated.received).toEqual([]);
  });

  it('tells every sender whose message a read covers, once, and only when the cursor moves', async () => {
    const [ua, ub, uc] = await Promise.all([admin, bob, carol].map(userTopic));
    const { id } = await group(admin, [bob, carol], 'Many senders');
    for (const u of [ua!, ub!, uc!]) await u.created.next();
    await send(admin, id, 'a1');
    await send(bob, id, 'b1');
    await send(admin, id, 'a2');
    for (let i = 0; i < 3; i++) for (const u of [ua!, ub!, uc!]) await nextFor(u.updated, id);
    // Carol reads all three: the admin and Bob hear once each, with her cursor.
    expect(await read(carol, id, 3)).toBe(3);
    for (const u of [ua!, ub!, uc!]) expect((await nextFor(u.updated, id)).read_up_to).toEqual({ [admin.id]: 3, [bob.id]: 2, [carol.id]: 3 });
    // The admin reads Bob's message (already behind her own cursor): the cursor does not move, nobody else hears.
    expect(await read(admin, id, 2)).toBe(3);
    expect(await nextFor(ua!.updated, id)).toMatchObject({ unread_count: 0 });
    const marker = await send(carol, id, 'marker');
    for (const u of [ua!, ub!, uc!]) expect((await nextFor(u.updated, id)).latest_message_seq).toBe(marker);
    for (const u of [ua!, ub!, uc!]) expect(u.updated.received).toEqual([]);
  });

  it('never moves a cursor backwards across the updates of concurrent sends (one batch)', async () => {
    const ua = await userTopic(admin);
    const { id } = await group(admin, [bob, carol], 'Batch');
    await ua.created.next();
    const senders = [admin, bob, carol, admin, bob, carol, admin, bob];
    await Promise.all(senders.map((p, i) => send(p, id, `m${i}`)));
    const updates: ConversationJson[] = [];
    for (let i = 0; i < senders.length; i++) updates.push(await nextFor(ua.updated, id));
    updates.sort((x, y) => x.latest_message_seq - y.latest_message_seq);
    const highest: Cursors = {};
    for (const u of updates) {
      // The sender of a message has read up to it, in its own update.
      expect(u.read_up_to[u.last_message!.sender_id]).toBe(u.latest_message_seq);
      for (const [user, cursor] of Object.entries(u.read_up_to)) {
        expect(cursor).toBeGreaterThanOrEqual(highest[user] ?? 0);
        highest[user] = cursor;
      }
    }
    expect((await seen(admin, id)).read_up_to).toEqual(highest);
  });
});

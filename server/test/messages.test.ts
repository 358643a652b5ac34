// Messages over REST: ordering, keyset paging, idempotent sends, seq under concurrency, edit/delete, read cursors.
import { describe, expect, it } from 'vitest';
import { addMember, createFamily, family, outsider } from './helpers/fixtures.js';
import { AppError } from '../src/errors.js';
import { sendMessage } from '../src/chat/messages.js';
import type { ConversationUpdate } from '../src/chat/conversation-updates.js';
import { CONVERSATION_UPDATES_TOPIC } from '../src/chat/topics.js';

const { t, admin, familyId, conv, members: [bob] } = await family({ members: [undefined] });

describe('sending', () => {
  it('stores a trimmed message with seq 1 and returns 201', async () => {
    const res = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: '  hi there  ' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ conversation_id: conv, seq: 1, sender_id: admin.id, body: 'hi there', client_id: null, edited_at: null, deleted_at: null });
    expect(res.body.data.inserted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('gives 50 concurrent sends the seqs 2..51 with no gap or duplicate', async () => {
    const sends = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.as(i % 2 ? admin.token : bob.token).post(`/api/v1/conversations/${conv}/messages`, { body: `m${i}` })),
    );
    expect(sends.every((r) => r.status === 201)).toBe(true);
    const seqs = sends.map((r) => r.body.data.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('makes a retry with the same client_id return the original with 200 and store nothing', async () => {
    const first = await t.as(bob.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'once', client_id: 'abc-1' });
    const again = await t.as(bob.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'once', client_id: 'abc-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    const latest = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=2`);
    expect(latest.body.data[1].body).toBe('once');
    expect(latest.body.data.filter((m: { client_id: string }) => m.client_id === 'abc-1')).toHaveLength(1);
  });

  it('stores concurrent retries with one client_id exactly once, without a seq gap', async () => {
    const before = (await t.as(admin.token).get(`/api/v1/conversations/${conv}`)).body.data.latest_message_seq as number;
    const sends = await Promise.all(
      Array.from({ length: 10 }, () => t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'dup', client_id: 'race-1' })),
    );
    expect(sends.filter((r) => r.status === 201)).toHaveLength(1);
    expect(sends.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(sends.map((r) => r.body.data.id)).size).toBe(1);
    const next = await t.as(admin.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'after' });
    expect(next.body.data.seq).toBe(before + 2);
  });
});

describe('group commit', () => {
  it('stores the sends of one moment together, each with the outcome it would have had alone', async () => {
    // Dave shares only a second family with the admin; once he leaves it, their direct conversation is closed.
    const second = await createFamily(t, admin, 'Second');
    const dave = await addMember(t, admin, second);
    const direct = (await t.as(admin.token).post('/api/v1/conversations', { type: 'direct', participant_id: dave.id })).body.data.id as string;
    expect((await t.as(dave.token).delete(`/api/v1/families/${second}/members/${dave.id}`)).status).toBe(204);
    const stranger = await outsider(t, admin);
    const group = (await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Batch', participant_ids: [bob.id] })).body.data.id as string;
    expect((await t.as(bob.token).patch(`/api/v1/conversations/${group}`, { hidden: true })).status).toBe(200);

    const updates: ConversationUpdate[] = [];
    const stop = t.bus.subscribe(CONVERSATION_UPDATES_TOPIC, (event) => updates.push(event.payload as unknown as ConversationUpdate));
    // Called in one turn of the event loop: one statement stores them all.
    const calls = [
      sendMessage(t.domain, admin.id, group, { body: 'g1' }),
      sendMessage(t.domain, stranger.id, group, { body: 'intruder' }),
      sendMessage(t.domain, bob.id, group, { body: 'g2', client_id: 'once' }),
      sendMessage(t.domain, admin.id, direct, { body: 'closed' }),
      sendMessage(t.domain, admin.id, group, { body: 'g3' }),
      sendMessage(t.domain, bob.id, conv, { body: 'elsewhere' }),
    ];
    const [g1, intruder, g2, closed, g3, elsewhere] = await Promise.allSettled(calls);
    expect(code(intruder!)).toBe('not_found');
    expect(code(closed!)).toBe('no_shared_family');
    expect([value(g1!)?.message.seq, value(g2!)?.message.seq, value(g3!)?.message.seq]).toEqual([1, 2, 3]);
    expect(value(elsewhere!)?.message.body).toBe('elsewhere');
    const stored = await t.as(bob.token).get(`/api/v1/conversations/${group}/messages`);
    expect(stored.body.data.map((m: { body: string }) => m.body)).toEqual(['g1', 'g2', 'g3']);
    // Each sender's cursor is at their own last message; the new messages unhid the group for Bob.
    expect((await t.as(admin.token).get(`/api/v1/conversations/${group}`)).body.data).toMatchObject({ unread_count: 0, latest_message_seq: 3 });
    expect((await t.as(bob.token).get(`/api/v1/conversations/${group}`)).body.data).toMatchObject({ unread_count: 1, hidden: false });
    expect((await t.as(admin.token).get(`/api/v1/conversations/${direct}/messages`)).body.data).toEqual([]);
    // Each message's conversation_updated counts Bob's own g2 as read from g2 on.
    const unreadOfBob = (seq: number) => updates.find((u) => u.conversation.id === group && u.conversation.latest_message_seq === seq)?.viewers[bob.id]?.unread_count;
    expect([unreadOfBob(1), unreadOfBob(2), unreadOfBob(3)]).toEqual([1, 0, 1]);
    stop();

    // A retry of a stored client_id, and twins racing in one statement: each stored once, no seq skipped.
    const [retry, twin, twinAgain, g6] = await Promise.allSettled([
      sendMessage(t.domain, bob.id, group, { body: 'g2', client_id: 'once' }),
      sendMessage(t.domain, bob.id, group, { body: 'g4', client_id: 'twin' }),
      sendMessage(t.domain, bob.id, group, { body: 'g4', client_id: 'twin' }),
      sendMessage(t.domain, admin.id, group, { body: 'g5' }),
    ]);
    expect(value(retry)).toMatchObject({ created: false, message: value(g2!)?.message });
    expect([value(twin)?.created, value(twinAgain)?.created]).toEqual([true, false]);
    expect(value(twinAgain)?.message).toEqual(value(twin)?.message);
    expect([value(twin)?.message.seq, value(g6)?.message.seq]).toEqual([4, 5]);
  });
});

const code = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' && r.reason instanceof AppError ? r.reason.code : r.status);
const value = <T>(r: PromiseSettledResult<T>): T | undefined => (r.status === 'fulfilled' ? r.value : undefined);

describe('paging', () => {
  it('returns the latest page ascending, and older pages with before', async () => {
    const latest = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=5`);
    expect(latest.status).toBe(200);
    const seqs = latest.body.data.map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const last = seqs[seqs.length - 1];
    expect(latest.body.meta.page).toEqual({ has_more: true, first_seq: last - 4, last_seq: last });
    const older = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?limit=5&before=${last - 4}`);
    expect(older.body.data.map((m: { seq: number }) => m.seq)).toEqual([last - 9, last - 8, last - 7, last - 6, last - 5]);
  });

  it('returns the first page with after and says when there is nothing more', async () => {
    const first = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?after=0&limit=3`);
    expect(first.body.data.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3]);
    expect(first.body.meta.page.has_more).toBe(true);
    const oldest = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?before=3&limit=10`);
    expect(oldest.body.data.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    expect(oldest.body.meta.page.has_more).toBe(false);
    const none = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?after=100000`);
    expect(none.body.data).toEqual([]);
    expect(none.body.meta.page).toEqual({ has_more: false, first_seq: null, last_seq: null });
  });

  it.each([
    ['before=1&after=2'],
    ['limit=0'],
    ['limit=201'],
    ['limit=abc'],
    ['before=1.5'],
    ['after=-1'],
  ])('rejects %s with 422', async (query) => {
    const res = await t.as(bob.token).get(`/api/v1/conversations/${conv}/messages?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields).length).toBeGreaterThan(0);
  });
});

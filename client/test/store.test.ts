import { describe, expect, it } from 'vitest';
import type { Message, OutboxEntry } from '../src/index.js';
import { latestSeq, mergeMessages, mergeReadUpTo, oldestSeq, seenBy, timeline, unreadCount, withRead } from '../src/index.js';

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `id-${seq}`,
  conversation_id: 'c1',
  seq,
  sender_id: 'u1',
  body: `message ${seq}`,
  client_id: null,
  inserted_at: new Date(Date.UTC(2026, 10, 25, 6, 0, seq)).toISOString(),
  edited_at: null,
  deleted_at: null,
  attachments: [],
  ...extra,
});

describe('mergeMessages', () => {
  it('merges an older page, live events and a catch-up page into one ascending list without duplicates', () => {
    let list = mergeMessages([], [msg(51), msg(52), msg(53)]);
    list = mergeMessages(list, [msg(49), msg(50), msg(51)]); // older page overlapping by one
    list = mergeMessages(list, [msg(55)]); // a live event that overtook 54
    list = mergeMessages(list, [msg(54), msg(55)]); // the catch-up after a rejoin
    expect(list.map((m) => m.seq)).toEqual([49, 50, 51, 52, 53, 54, 55]);
    expect(latestSeq(list)).toBe(55);
    expect(oldestSeq(list)).toBe(49);
  });

  it('keeps the newest version of a message: an edit replaces it, a late stale copy does not undo a delete', () => {
    const edited = msg(2, { body: 'fixed', edited_at: '2026-11-25T07:00:00.000Z' });
    const deleted = msg(2, { body: '', deleted_at: '2026-11-25T08:00:00.000Z' });
    let list = mergeMessages([msg(1), msg(2)], [edited]);
    expect(list[1]?.body).toBe('fixed');
    list = mergeMessages(list, [deleted]);
    expect(list[1]?.body).toBe('');
    list = mergeMessages(list, [msg(2), edited]);
    expect(list[1]?.deleted_at).toBe('2026-11-25T08:00:00.000Z');
  });

  it('returns the same array when nothing changes (no needless re-render)', () => {
    const list = [msg(1), msg(2)];
    expect(mergeMessages(list, [])).toBe(list);
    expect(mergeMessages(list, [list[0]!])).toBe(list);
    expect(latestSeq([])).toBe(0);
    expect(oldestSeq([])).toBeUndefined();
  });
});

describe('timeline', () => {
  const pending = (clientId: string): OutboxEntry => ({
    clientId, conversationId: 'c1', body: `pending ${clientId}`, createdAt: '2026-11-25T06:10:00.000Z', state: 'sending', attempts: 1,
  });

  it('shows unconfirmed sends after the stored messages, and hides one as soon as its message is stored', () => {
    const items = timeline([msg(1), msg(2)], [pending('a'), pending('b')]);
    expect(items.map((i) => i.kind)).toEqual(['message', 'message', 'pending', 'pending']);
    // The live new_msg for "a" arrived before the send's reply: "a" must not show twice.
    const after = timeline([msg(1), msg(2), msg(3, { client_id: 'a' })], [pending('a'), pending('b')]);
    expect(after.map((i) => i.key)).toEqual(['id-1', 'id-2', 'a', 'b']);
    expect(after.filter((i) => i.kind === 'pending').map((i) => i.key)).toEqual(['b']);
  });

  it('computes unread counts as the API does (never below zero)', () => {
    expect(unreadCount(10, 7)).toBe(3);
    expect(unreadCount(3, 7)).toBe(0);
  });
});

describe('read receipts', () => {
  it('merges cursors by the highest value, over the participants of the newer view', () => {
    const base = { a: 3, b: 1 };
    expect(mergeReadUpTo(base, { a: 2, b: 4, gone: 9 })).toEqual({ a: 3, b: 4 });
    expect(mergeReadUpTo(base, { a: 1 })).toBe(base);
    expect(mergeReadUpTo(base, undefined)).toBe(base);
  });

  it('moves one cursor forward only, and lists who else has read a message', () => {
    const cursors = { me: 7, bob: 5, carol: 2 };
    expect(withRead(cursors, 'bob', 4)).toBe(cursors);
    expect(withRead(cursors, 'carol', 6)).toEqual({ me: 7, bob: 5, carol: 6 });
    expect(withRead(cursors, 'dan', 0)).toEqual({ ...cursors, dan: 0 });
    expect(seenBy(cursors, 5, 'me')).toEqual(['bob']);
    expect(seenBy(cursors, 2, 'me')).toEqual(['bob', 'carol']);
    expect(seenBy(cursors, 8, 'me')).toEqual([]);
  });
});

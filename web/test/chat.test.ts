import type { Message, OutboxEntry } from '@famichat/client';
import { timeline } from '@famichat/client';
import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY, mergeHistory, nextTypingExpiry, seenLatestOwn, typingAt, typingStarted, typingStopped } from '../src/chat/history';
import { timelineRows } from '../src/chat/rows';

// Local times, as the separators follow the viewer's calendar day.
const at = (day: number, hour: number) => new Date(2026, 10, day, hour).toISOString();
const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `id-${seq}`, conversation_id: 'c1', seq, sender_id: 'bob', body: `message ${seq}`, client_id: null,
  inserted_at: at(25, 9), edited_at: null, deleted_at: null, attachments: [], ...extra,
});
const pending = (clientId: string, createdAt: string): OutboxEntry => ({ clientId, conversationId: 'c1', body: 'hi', createdAt, state: 'sending', attempts: 0 });

describe('timeline rows', () => {
  it('puts a day separator before the first row and at each new local day, pending sends included', () => {
    const messages = [msg(1, { inserted_at: at(24, 10) }), msg(2, { inserted_at: at(24, 23) }), msg(3, { inserted_at: at(25, 0) }), msg(4, { inserted_at: at(25, 9) })];
    const rows = timelineRows(timeline(messages, [pending('p1', at(26, 8))]), 'me');
    expect(rows.map((r) => r.newDay)).toEqual([true, false, true, false, true]);
    expect(rows.map((r) => r.at)).toEqual([at(24, 10), at(24, 23), at(25, 0), at(25, 9), at(26, 8)]);
    expect(timelineRows([], 'me')).toEqual([]);
  });

  it('groups consecutive rows of one author within a day; pending sends are the viewer’s', () => {
    const messages = [msg(1), msg(2), msg(3, { sender_id: 'carol' }), msg(4, { sender_id: 'carol', inserted_at: at(26, 9) }), msg(5, { sender_id: 'me', inserted_at: at(26, 10) })];
    const rows = timelineRows(timeline(messages, [pending('p1', at(26, 11))]), 'me');
    expect(rows.map((r) => [r.senderId, r.continues])).toEqual([['bob', false], ['bob', true], ['carol', false], ['carol', false], ['me', false], ['me', true]]);
  });

  it('lays out thousands of rows in one pass', () => {
    const items = timeline(Array.from({ length: 5000 }, (_, i) => msg(i + 1, { inserted_at: new Date(2026, 0, 1, i).toISOString() })), []);
    const started = performance.now();
    const rows = timelineRows(items, 'me');
    expect(performance.now() - started).toBeLessThan(500);
    expect(rows.filter((r) => r.newDay)).toHaveLength(Math.ceil(5000 / 24));
  });
});

describe('message history', () => {
  it('merges pages and live events by seq, and marks it loaded once a page arrived', () => {
    let history = mergeHistory(EMPTY_HISTORY, [msg(3)]);
    expect(history).toMatchObject({ loaded: false, hasMore: false });
    history = mergeHistory(history, [msg(2), msg(1)], { hasMore: true });
    expect(history).toMatchObject({ loaded: true, hasMore: true });
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    history = mergeHistory(history, [msg(0)], { hasMore: false });
    expect(history.hasMore).toBe(false);
    expect(mergeHistory(EMPTY_HISTORY, [], { hasMore: false })).toEqual({ messages: [], loaded: true, hasMore: false });
  });

  it('returns the same history when nothing changes, so a repeated event renders nothing', () => {
    const history = mergeHistory(EMPTY_HISTORY, [msg(1), msg(2)], { hasMore: false });
    const [first, second] = history.messages;
    expect(mergeHistory(history, [second!])).toBe(history);
    expect(mergeHistory(history, [])).toBe(history);
    expect(mergeHistory(history, [first!], { hasMore: false })).toBe(history);
    const edited = mergeHistory(history, [msg(2, { body: 'fixed', edited_at: at(25, 10) })]);
    expect(edited).not.toBe(history);
    expect(edited.messages[1]?.body).toBe('fixed');
  });
});

describe('typing indicators', () => {
  it('shows who typed until their indicator expires or they send', () => {
    let typing = typingStarted({}, 'bob', 1000);
    typing = typingStarted(typing, 'carol', 1500);
    expect(nextTypingExpiry(typing)).toBe(1000);
    expect(typingAt(typing, 999)).toBe(typing);
    expect(typingAt(typing, 1000)).toEqual({ carol: 1500 });
    expect(typingStopped(typing, 'carol')).toEqual({ bob: 1000 });
    expect(typingStopped(typing, 'dan')).toBe(typing);
    expect(nextTypingExpiry({})).toBeUndefined();
  });
});

describe('seen by', () => {
  it('is about the viewer’s latest message not deleted, and lists the others who read up to it', () => {
    const messages = [msg(1, { sender_id: 'me' }), msg(2, { sender_id: 'me' }), msg(3, { sender_id: 'me', deleted_at: at(25, 10) }), msg(4)];
    expect(seenLatestOwn(messages, { me: 4, bob: 4, carol: 1, dan: 2 }, 'me')).toEqual({ messageId: 'id-2', userIds: ['bob', 'dan'] });
    expect(seenLatestOwn(messages, { me: 4 }, 'me')).toEqual({ messageId: 'id-2', userIds: [] });
    expect(seenLatestOwn([msg(1)], { bob: 1 }, 'me')).toBeUndefined();
  });
});

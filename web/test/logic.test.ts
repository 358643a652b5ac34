import type { Conversation } from '@famichat/client';
import { ApiError } from '@famichat/client';
import { describe, expect, it } from 'vitest';
import { applyRead, dayLabel, errorMessage, failedReason, linkify, markReadLocally, sortConversations, upsertConversation } from '../src/state/logic';
import { cssVar, resolveTheme } from '../src/theme';

const conv = (id: string, lastAt: string | null, created = '2026-11-01T00:00:00.000Z', extra: Partial<Conversation> = {}): Conversation => ({
  id, type: 'group', title: id, family_id: null, participants: [], latest_message_seq: 0, last_message: null,
  last_message_at: lastAt, unread_count: 0, hidden: false, created_at: created, read_up_to: {}, ...extra,
});

describe('conversation list', () => {
  it('orders by latest activity: last message, else creation', () => {
    const list = sortConversations([
      conv('old', '2026-11-20T10:00:00.000Z'),
      conv('fresh-empty', null, '2026-11-24T09:00:00.000Z'),
      conv('newest', '2026-11-25T06:00:00.000Z'),
    ]);
    expect(list.map((c) => c.id)).toEqual(['newest', 'fresh-empty', 'old']);
  });

  it('moves an updated conversation to the top, and ignores an update older than what it shows', () => {
    let list = sortConversations([conv('a', '2026-11-25T06:00:00.000Z', undefined, { latest_message_seq: 5 }), conv('b', '2026-11-25T05:00:00.000Z', undefined, { latest_message_seq: 3 })]);
    list = upsertConversation(list, conv('b', '2026-11-25T07:00:00.000Z', undefined, { latest_message_seq: 4, unread_count: 1 }));
    expect(list.map((c) => [c.id, c.unread_count])).toEqual([['b', 1], ['a', 0]]);
    const stale = upsertConversation(list, conv('b', '2026-11-25T05:00:00.000Z', undefined, { latest_message_seq: 3 }));
    expect(stale).toBe(list);
    list = upsertConversation(list, conv('new', null, '2026-11-25T08:00:00.000Z'));
    expect(list[0]?.id).toBe('new');
  });

  it('clears the unread count locally when read up to the latest seq, and moves the reader’s own cursor', () => {
    const list = [conv('a', null, undefined, { latest_message_seq: 9, unread_count: 4, read_up_to: { me: 5, bob: 9 } })];
    expect(markReadLocally(list, 'a', 7)[0]).toMatchObject({ unread_count: 2, read_up_to: { me: 5, bob: 9 } });
    expect(markReadLocally(list, 'a', 9, 'me')[0]).toMatchObject({ unread_count: 0, read_up_to: { me: 9, bob: 9 } });
  });

  it('keeps the highest read cursor per participant whatever order updates and read events arrive in', () => {
    let list = [conv('a', '2026-11-25T06:00:00.000Z', undefined, { latest_message_seq: 5, read_up_to: { me: 5, bob: 3, carol: 1 } })];
    // A newer update with an older cursor for Bob (concurrent reads): Bob stays at 3; Carol, who left, is dropped.
    list = upsertConversation(list, conv('a', '2026-11-25T07:00:00.000Z', undefined, { latest_message_seq: 6, read_up_to: { me: 5, bob: 2, dan: 4 } }));
    expect(list[0]?.read_up_to).toEqual({ me: 5, bob: 3, dan: 4 });
    // An update older than the list is ignored, except for the cursors it raises.
    list = upsertConversation(list, conv('a', '2026-11-25T06:00:00.000Z', undefined, { latest_message_seq: 5, read_up_to: { me: 5, bob: 6 } }));
    expect(list[0]).toMatchObject({ latest_message_seq: 6, read_up_to: { me: 5, bob: 6, dan: 4 } });
    const same = upsertConversation(list, conv('a', '2026-11-25T06:00:00.000Z', undefined, { latest_message_seq: 5, read_up_to: { bob: 1 } }));
    expect(same).toBe(list);
    // Live read events.
    list = applyRead(list, 'a', 'dan', 6);
    expect(list[0]?.read_up_to.dan).toBe(6);
    expect(applyRead(list, 'a', 'dan', 5)).toBe(list);
    expect(applyRead(list, 'elsewhere', 'dan', 9)).toBe(list);
  });
});

describe('chat view helpers', () => {
  it('labels days as Today, Yesterday, or a date', () => {
    const now = new Date(2026, 10, 25, 12);
    expect(dayLabel(new Date(2026, 10, 25, 1).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 24, 23).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 8).toISOString(), now)).toMatch(/2026/);
  });

  it('says why a pending send failed, from the error code the outbox kept', () => {
    expect(failedReason('payload_too_large')).toBe('too long');
    expect(failedReason('forbidden')).toBe('no access to this conversation');
    expect(failedReason('not_found')).toBe('no access to this conversation');
    expect(failedReason(undefined)).toBe('not sent');
  });

  it('finds links in text, leaving trailing punctuation out', () => {
    expect(linkify('See https://example.org/a?b=1, and www.example.com.')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: ', and ' },
      { kind: 'link', text: 'www.example.com', href: 'https://www.example.com' },
      { kind: 'text', text: '.' },
    ]);
    expect(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))')[1]).toEqual({ kind: 'link', text: 'https://en.wikipedia.org/wiki/Foo_(bar)', href: 'https://en.wikipedia.org/wiki/Foo_(bar)' });
    expect(linkify('javascript:alert(1) no link')).toEqual([{ kind: 'text', text: 'javascript:alert(1) no link' }]);
    expect(linkify('')).toEqual([]);
  });
});

describe('error messages from API error codes', () => {
  it('says what happened in words, by code and reason', () => {
    expect(errorMessage(new ApiError('unauthorized', 401, 'x'), 'login')).toBe('Wrong username or password.');
    expect(errorMessage(new ApiError('gone', 410, 'x'), 'register')).toMatch(/expired or was already used/);
    expect(errorMessage(new ApiError('conflict', 409, 'x', { reason: 'username_taken' }), 'register')).toMatch(/username is taken/);
    expect(errorMessage(new ApiError('conflict', 409, 'x', { reason: 'last_admin' }))).toMatch(/at least one admin/);
    expect(errorMessage(new ApiError('rate_limited', 429, 'x', { retry_in_ms: 2500 }))).toBe('Too many attempts. Try again in 3 s.');
    expect(errorMessage(new ApiError('validation_failed', 422, 'x', { fields: { username: 'must match pattern' } }))).toBe('Username: must match pattern');
    expect(errorMessage(new ApiError('network', 0, 'x'))).toMatch(/Cannot reach the server/);
    expect(errorMessage(new ApiError('internal', 500, 'x'))).toMatch(/went wrong/);
  });
});

describe('themes', () => {
  const themes = [{ id: 'light', scheme: 'light' as const }, { id: 'dark', scheme: 'dark' as const }, { id: 'high-contrast', scheme: 'dark' as const }, { id: 'sunny', scheme: 'light' as const }];
  it('uses the chosen theme, or follows the system (contrast, dark, the default when it fits)', () => {
    expect(resolveTheme('dark', { dark: false, moreContrast: false }, themes, 'light')).toBe('dark');
    expect(resolveTheme('system', { dark: true, moreContrast: false }, themes, 'light')).toBe('dark');
    expect(resolveTheme('system', { dark: false, moreContrast: true }, themes, 'light')).toBe('high-contrast');
    expect(resolveTheme(null, { dark: false, moreContrast: false }, themes, 'sunny')).toBe('sunny');
    expect(resolveTheme('system', { dark: true, moreContrast: false }, themes, 'sunny')).toBe('dark');
    expect(resolveTheme('removed-theme', { dark: false, moreContrast: false }, themes, 'light')).toBe('light');
    expect(cssVar('color.bubble.mine')).toBe('--color-bubble-mine');
  });
});

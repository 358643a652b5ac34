// The pure state of the list around the chat: previews after edits and deletes, and the unread total in the title.
import type { Conversation, Message } from '@famichat/client';
import { describe, expect, it } from 'vitest';
import { unreadTitle, unreadTotal, withMessageChange } from '../src/state/logic';

const message = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`, conversation_id: 'a', seq, sender_id: 'mum', body: `body ${seq}`, client_id: null,
  inserted_at: '2026-11-25T06:00:00.000Z', edited_at: null, deleted_at: null, attachments: [], ...extra,
});
const conv = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id, type: 'group', title: id, family_id: null, participants: [], latest_message_seq: 2, last_message: message(2, { conversation_id: id }),
  last_message_at: '2026-11-25T06:00:00.000Z', unread_count: 0, hidden: false, created_at: '2026-11-01T00:00:00.000Z', read_up_to: {}, ...extra,
});

describe('list previews', () => {
  it('follow an edit or a delete of the last message, and a delete wins over a late edit', () => {
    const list = [conv('a'), conv('b')];
    const edited = withMessageChange(list, message(2, { body: 'edited', edited_at: '2026-11-25T06:01:00.000Z' }));
    expect(edited[0]?.last_message).toMatchObject({ body: 'edited' });
    expect(edited[1]).toBe(list[1]);
    const deleted = withMessageChange(edited, message(2, { body: '', deleted_at: '2026-11-25T06:02:00.000Z' }));
    expect(deleted[0]?.last_message?.deleted_at).not.toBeNull();
    expect(withMessageChange(deleted, message(2, { body: 'late edit', edited_at: '2026-11-25T06:03:00.000Z' }))).toBe(deleted);
  });

  it('leave the list alone for an older message or an unknown conversation', () => {
    const list = [conv('a')];
    expect(withMessageChange(list, message(1, { body: 'older', edited_at: '2026-11-25T06:01:00.000Z' }))).toBe(list);
    expect(withMessageChange(list, message(2, { conversation_id: 'zzz', body: 'x', edited_at: '2026-11-25T06:01:00.000Z' }))).toBe(list);
  });
});

describe('unread total', () => {
  it('adds up the unread counts of the conversations shown', () => {
    expect(unreadTotal([conv('a', { unread_count: 2 }), conv('b', { unread_count: 1 }), conv('c', { unread_count: 5, hidden: true })])).toBe(3);
    expect(unreadTotal([])).toBe(0);
  });

  it('leads the title with the total, and shows the bare name when all is read', () => {
    expect(unreadTitle('Famichat', 3)).toBe('(3) Famichat');
    expect(unreadTitle('Smith Chat', 0)).toBe('Smith Chat');
    expect(unreadTitle('Famichat', 1500)).toBe('(999+) Famichat');
  });
});

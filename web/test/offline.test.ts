// The pure rules of what the device keeps for offline reading, and where a family chat's notices go.
import type { FamilyDetail, Message, TimelineItem } from '@famichat/client';
import { describe, expect, it } from 'vitest';
import { familyNotices, placeNotices } from '../src/chat/notices';
import { timelineRows } from '../src/chat/rows';
import { CHAT_PAGE, MAX_CHATS, chatsToEvict, pageToKeep } from '../src/state/offline-cache';

const message = (seq: number, at = `2026-11-25T06:${String(seq).padStart(2, '0')}:00.000Z`): Message => ({
  id: `m${seq}`, conversation_id: 'c', seq, sender_id: 'mum', body: `body ${seq}`, client_id: null, inserted_at: at, edited_at: null, deleted_at: null, attachments: [],
});

describe('offline cache', () => {
  it('keeps the latest page of a conversation, and remembers that older messages exist', () => {
    const many = Array.from({ length: 75 }, (_, i) => message(i + 1));
    const kept = pageToKeep(many, false);
    expect(kept.messages).toHaveLength(CHAT_PAGE);
    expect(kept.messages[0]?.seq).toBe(26);
    expect(kept.hasMore).toBe(true);
    expect(pageToKeep(many.slice(0, 3), false)).toEqual({ messages: many.slice(0, 3), hasMore: false });
    expect(pageToKeep(many.slice(0, 3), true).hasMore).toBe(true);
  });

  it('forgets the least recently opened conversations beyond the limit', () => {
    const chats = Array.from({ length: MAX_CHATS + 2 }, (_, i) => ({ conversationId: `c${i}`, openedAt: 1000 + i }));
    expect(chatsToEvict(chats).sort()).toEqual(['c0', 'c1']);
    expect(chatsToEvict(chats.slice(0, MAX_CHATS))).toEqual([]);
    expect(chatsToEvict([{ conversationId: 'new', openedAt: 5 }, { conversationId: 'old', openedAt: 1 }], 1)).toEqual(['old']);
  });
});

const family = (members: Array<[id: string, name: string, joinedAt: string]>): FamilyDetail => ({
  id: 'f', name: 'The Smiths', created_at: '2026-11-25T06:00:00.000Z', role: 'member', conversation_id: 'c',
  members: members.map(([id, name, joined_at]) => ({ user: { id, username: id, display_name: name, avatar_url: null, created_at: joined_at }, role: 'member', joined_at })),
});

describe('family notices', () => {
  it('says who joined after the founding, once, with what was heard live', () => {
    const f = family([['mum', 'Mum', '2026-11-25T06:00:00.000Z'], ['gran', 'Gran', '2026-11-25T06:30:00.000Z']]);
    const live = [
      { key: 'joined:gran', text: 'Gran joined', at: '2026-11-25T06:30:01.000Z' },
      { key: 'left:kid:1', text: 'Kid left', at: '2026-11-25T06:40:00.000Z' },
    ];
    expect(familyNotices(f, live).map((n) => n.text)).toEqual(['Gran joined', 'Kid left']);
    expect(familyNotices(undefined, [])).toEqual([]);
  });

  it('goes before the first message written after it, or at the end; an older one waits for its page', () => {
    const items: TimelineItem[] = [message(10), message(20)].map((m) => ({ kind: 'message', key: m.id, message: m }));
    const rows = timelineRows(items, 'me');
    const notice = (at: string) => ({ key: at, text: 'x', at });
    const placed = placeNotices(rows, [notice('2026-11-25T06:15:00.000Z'), notice('2026-11-25T06:50:00.000Z'), notice('2026-11-25T06:05:00.000Z')], true);
    expect([...placed.before.entries()].map(([k, v]) => [k, v.map((n) => n.at)])).toEqual([['m20', ['2026-11-25T06:15:00.000Z']]]);
    expect(placed.after.map((n) => n.at)).toEqual(['2026-11-25T06:50:00.000Z']);
    expect(placeNotices(rows, [notice('2026-11-25T06:05:00.000Z')], false).before.get('m10')).toHaveLength(1);
    expect(placeNotices([], [notice('2026-11-25T06:05:00.000Z')], false).after).toHaveLength(1);
  });
});

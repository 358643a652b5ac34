// Pure placing of a family chat's "X joined" / "X left" notices among its messages (unit-tested).
import type { FamilyDetail } from '@famichat/client';
import type { TimelineRow } from './rows';

/** A system notice in a chat: what happened and when (ISO time). */
export interface Notice {
  /** Unique per event; a join is keyed by the user, so the member list and a live event show it once. */
  key: string;
  text: string;
  at: string;
}


/**
 * The notices of a family's chat, oldest first: a "joined" for each member who came after its founder (from the
 * member list, so they survive a reload), and those heard live (`member_joined`, `member_left`).
 */
export function familyNotices(family: FamilyDetail | undefined, live: readonly Notice[]): Notice[] {
  const founded = family ? Date.parse(family.created_at) : 0;
  const fromMembers: Notice[] = (family?.members ?? [])
    // The founder's membership is written with the family (the same time): no "joined" for them.
    .filter((m) => Date.parse(m.joined_at) > founded)
    .map((m) => ({ key: `joined:${m.user.id}`, text: `${m.user.display_name} joined`, at: m.joined_at }));
  const known = new Set(fromMembers.map((n) => n.key));
  return [...fromMembers, ...live.filter((n) => !known.has(n.key))].sort((a, b) => a.at.localeCompare(b.at));
}

/** Where notices go: before the row of a key, or after the last row. */
export interface PlacedNotices {
  before: Map<string, Notice[]>;
  after: Notice[];
}

/**
 * Places each notice before the first row written after it (or after the last row). With older pages still on
 * the server (`hasMore`), a notice older than the first row shown waits until its page is loaded.
 */
export function placeNotices(rows: readonly TimelineRow[], notices: readonly Notice[], hasMore: boolean): PlacedNotices {
  const placed: PlacedNotices = { before: new Map(), after: [] };
  for (const notice of notices) {
    const index = rows.findIndex((r) => r.at > notice.at);
    if (index === 0 && hasMore) continue;
    const row = rows[index];
    if (!row) placed.after.push(notice);
    else placed.before.set(row.item.key, [...(placed.before.get(row.item.key) ?? []), notice]);
  }
  return placed;
}

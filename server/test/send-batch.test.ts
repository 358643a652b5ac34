// SendBatcher against the real database: concurrent sends share one statement, seqs follow arrival order,
// a statement stores at most 200, and a client_id twin in a batch makes it fall back to one send per statement.
// Which sends shared a statement is read from the database: a statement's messages share its transaction's now().
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { PendingSend, StoredRow } from '../src/chat/send-batch.js';
import { SendBatcher } from '../src/chat/send-batch.js';
import { rows } from '../src/db/connect.js';
import type { Person } from './helpers/fixtures.js';
import { family, outsider } from './helpers/fixtures.js';

const { t, admin, familyId, conv, members: [bob] } = await family({ members: ['Bob'] });
const created = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Batch', participant_ids: [bob.id] });
expect(created.status).toBe(201);
const group: string = created.body.data.id;
const batcher = new SendBatcher(t.domain.db);
let run = 0;

/** A client_id prefix of the calling test's own. */
const tag = () => `r${++run}-`;

/** One send of `sender` into `conversationId` with `clientId` (also its body). */
const pending = (sender: Person, conversationId: string, clientId: string | null): PendingSend => ({
  id: randomUUID(),
  conversationId,
  senderId: sender.id,
  body: `body ${clientId ?? 'none'}`,
  clientId,
});

/** The stored client_ids starting with `prefix`, one list per statement that stored them (by seq). */
async function statements(prefix: string): Promise<string[][]> {
  const stored = await rows<{ client_id: string; at: string }>(
    t.db.database.db,
    sql`SELECT client_id, inserted_at::text AS at FROM messages WHERE client_id LIKE ${prefix + '%'} ORDER BY conversation_id, seq`,
  );
  const byStatement = new Map<string, string[]>();
  for (const row of stored) byStatement.set(row.at, [...(byStatement.get(row.at) ?? []), row.client_id]);
  return [...byStatement.values()];
}

/** The conversation's latest seq. */
async function lastSeq(conversationId: string): Promise<number> {
  const [row] = await rows<{ last_seq: number }>(t.db.database.db, sql`SELECT last_seq FROM conversations WHERE id = ${conversationId}`);
  return Number(row!.last_seq);
}

const seqOf = (row: StoredRow | undefined) => Number(row!.seq);

describe('SendBatcher', () => {
  it('stores the sends of one turn in one statement, with seqs in arrival order per conversation', async () => {
    const p = tag();
    const [convBefore, groupBefore] = [await lastSeq(conv), await lastSeq(group)];
    const sends = [
      pending(admin, conv, `${p}a`),
      pending(bob, group, `${p}b`),
      pending(bob, conv, `${p}c`),
      pending(admin, group, `${p}d`),
      pending(admin, conv, `${p}e`),
    ];
    const stored = await Promise.all(sends.map((s) => batcher.store(s)));

    expect(await statements(p)).toHaveLength(1);
    expect(stored.map(seqOf)).toEqual([convBefore + 1, groupBefore + 1, convBefore + 2, groupBefore + 2, convBefore + 3]);
    expect(stored.map((row) => row!.id)).toEqual(sends.map((s) => s.id));
    expect(stored.map((row) => row!.type)).toEqual(['family', 'group', 'family', 'group', 'family']);
    // As of each message, its sender has read up to it, and not yet up to their later message of the batch.
    const readBy = (row: StoredRow | undefined, who: Person) => row!.viewers.find(([id]) => id === who.id)![1];
    expect(readBy(stored[0], admin)).toBe(convBefore + 1);
    expect(readBy(stored[4], admin)).toBe(convBefore + 3);
    expect(readBy(stored[2], bob)).toBe(convBefore + 2);
    expect(await lastSeq(conv)).toBe(convBefore + 3);
  });

  it('sends a lone send at once, and the sends that arrive while it is stored together in the next statement', async () => {
    const p = tag();
    const first = batcher.store(pending(admin, conv, `${p}0`));
    // The batcher's own setImmediate runs before this one: the first statement is in flight when the rest arrive.
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [1, 2, 3, 4].map((i) => batcher.store(pending(i % 2 ? bob : admin, conv, `${p}${i}`)));
    const stored = await Promise.all([first, ...rest]);

    expect(await statements(p)).toEqual([[`${p}0`], [`${p}1`, `${p}2`, `${p}3`, `${p}4`]]);
    const seqs = stored.map(seqOf);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('stores at most 200 sends per statement', async () => {
    const p = tag();
    const stored = await Promise.all(Array.from({ length: 201 }, (_, i) => batcher.store(pending(admin, group, `${p}${String(i).padStart(3, '0')}`))));

    expect((await statements(p)).map((ids) => ids.length)).toEqual([200, 1]);
    const seqs = stored.map(seqOf);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('resolves undefined for the sends that fail a check, storing the others in the same statement', async () => {
    const p = tag();
    const stranger = await outsider(t, admin);
    const used = await batcher.store(pending(admin, conv, `${p}used`));
    const stored = await Promise.all([
      batcher.store(pending(admin, conv, `${p}ok-1`)),
      batcher.store(pending(stranger, conv, `${p}stranger`)),
      batcher.store(pending(admin, conv, `${p}used`)),
      batcher.store(pending(bob, conv, `${p}ok-2`)),
    ]);

    expect(stored.map((row) => (row ? seqOf(row) : undefined))).toEqual([seqOf(used) + 1, undefined, undefined, seqOf(used) + 2]);
    expect(await statements(p)).toEqual([[`${p}used`], [`${p}ok-1`, `${p}ok-2`]]);
  });

  it('falls back to one statement per send when a client_id twin is in the batch: the first arrival keeps it', async () => {
    const p = tag();
    const before = await lastSeq(conv);
    const sends = [pending(admin, conv, `${p}x`), pending(bob, conv, `${p}y`), pending(admin, conv, `${p}x`), pending(admin, conv, `${p}z`)];
    const stored = await Promise.all(sends.map((s) => batcher.store(s)));

    expect(stored.map((row) => (row ? seqOf(row) : undefined))).toEqual([before + 1, before + 2, undefined, before + 3]);
    expect(stored[0]!.id).toBe(sends[0]!.id);
    // The batch rolled back whole: each send that was stored went in a statement of its own.
    expect(await statements(p)).toEqual([[`${p}x`], [`${p}y`], [`${p}z`]]);
    expect(await lastSeq(conv)).toBe(before + 3);
  });

  it('rejects every send of a batch whose statement fails for another reason, and stores nothing of it', async () => {
    const p = tag();
    const before = await lastSeq(conv);
    const results = await Promise.allSettled([
      batcher.store(pending(admin, conv, `${p}a`)),
      batcher.store({ ...pending(admin, conv, `${p}b`), conversationId: 'not-a-uuid' }),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBe((results[1] as PromiseRejectedResult).reason);
    expect(await statements(p)).toEqual([]);
    expect(await lastSeq(conv)).toBe(before);
  });
});

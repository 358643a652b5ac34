/**
 * Group commit for sends: the sends that arrive while the node's previous statement is running are stored
 * together by one statement, in one transaction (one round trip and one WAL flush for all of them). A lone
 * send goes at once, so batching adds no delay when idle; under load it is what keeps up.
 * @module
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { isUniqueViolation, rows } from '../db/connect.js';
import type { Db } from '../db/connect.js';
import type { ConversationType } from './access.js';
import { directPairSharesFamily, isParticipant } from './access.js';
import type { ViewerRow } from './conversation-updates.js';
import type { MessageRow } from './message-view.js';
import { MESSAGE_COLUMNS } from './message-view.js';

/** One message to store. */
export interface PendingSend {
  id: string;
  conversationId: string;
  senderId: string;
  body: string;
  clientId: string | null;
}

/** A stored message, its conversation type and its participants' state as read by the same statement. */
export interface StoredRow extends MessageRow {
  type: ConversationType;
  viewers: ViewerRow[];
}

/** The most sends one statement stores. */
const MAX_BATCH = 200;
/** Statements in flight at once per node; batches in flight never share a conversation (no lock waits between them). */
const MAX_IN_FLIGHT = 1;

interface Waiting {
  send: PendingSend;
  resolve: (row: StoredRow | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * The statement that stores `sends` (exported for the benchmark's raw-PostgreSQL ceiling). For each input row, the same checks as a lone send (participant; a direct conversation
 * still shares a family; a client_id not used yet by that sender), then each conversation's seq moves by
 * its number of messages under its row lock, the messages are inserted with consecutive seqs in input
 * order, every participant sees the conversation again, and each sender's read cursor moves to their own
 * last message. Rows that fail a check are simply not returned.
 */
export function batchStatement(sends: PendingSend[]): SQL {
  // Each column goes as one array parameter (a drizzle array would expand into a list of parameters).
  const list = (values: (string | null)[]) => sql.param(values);
  return sql`WITH input AS (
      SELECT * FROM unnest(${list(sends.map((s) => s.id))}::uuid[], ${list(sends.map((s) => s.conversationId))}::uuid[],
                           ${list(sends.map((s) => s.senderId))}::uuid[], ${list(sends.map((s) => s.body))}::text[],
                           ${list(sends.map((s) => s.clientId))}::text[])
        WITH ORDINALITY AS i(id, conversation_id, sender_id, body, client_id, ord)
    ), allowed AS (
      -- LIMIT 1 keeps each lookup a per-row index probe, whatever the planner guesses of the array's size.
      SELECT i.*, c.type FROM input i CROSS JOIN LATERAL (
        SELECT c.type FROM conversations c
        WHERE c.id = i.conversation_id
          AND EXISTS (SELECT 1 FROM participants p WHERE ${isParticipant('p', sql`c.id`, sql`i.sender_id`)})
          AND ${directPairSharesFamily(sql`i.sender_id`)}
        LIMIT 1) c
      WHERE i.client_id IS NULL OR NOT EXISTS (SELECT 1 FROM messages m
              WHERE m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id AND m.client_id = i.client_id)
    ), numbered AS (
      SELECT allowed.*, row_number() OVER (PARTITION BY conversation_id ORDER BY ord) AS n,
             count(*) OVER (PARTITION BY conversation_id) AS cnt
      FROM allowed
    ), bump AS (
      UPDATE conversations c SET last_seq = c.last_seq + x.cnt, last_message_at = now()
      FROM (SELECT conversation_id, max(cnt) AS cnt FROM numbered GROUP BY conversation_id) x
      WHERE c.id = x.conversation_id
      RETURNING c.id, c.last_seq, c.last_message_at
    ), msg AS (
      INSERT INTO messages (id, conversation_id, seq, sender_id, body, client_id, inserted_at)
      SELECT n.id, n.conversation_id, b.last_seq - n.cnt + n.n, n.sender_id, n.body, n.client_id, b.last_message_at
      FROM numbered n JOIN bump b ON b.id = n.conversation_id
      RETURNING ${MESSAGE_COLUMNS}
    ), seen AS (
      UPDATE participants p SET hidden = false, last_read_seq = GREATEST(p.last_read_seq,
        COALESCE((SELECT max(m.seq) FROM msg m WHERE m.conversation_id = p.conversation_id AND m.sender_id = p.user_id), 0))
      FROM (SELECT DISTINCT conversation_id FROM msg) mc
      WHERE p.conversation_id = mc.conversation_id
        AND (p.hidden OR EXISTS (SELECT 1 FROM msg m WHERE m.conversation_id = p.conversation_id AND m.sender_id = p.user_id))
    )
    SELECT msg.*, (SELECT type FROM conversations WHERE id = msg.conversation_id) AS type,
      (SELECT json_agg(json_build_array(p.user_id, p.last_read_seq, p.hidden) ORDER BY p.joined_at, p.user_id)
       FROM participants p WHERE p.conversation_id = msg.conversation_id) AS viewers
    FROM msg`;
}

/** Collects a node's sends and stores them in batches (see the module comment). */
export class SendBatcher {
  private readonly queue: Waiting[] = [];
  /** The conversations of the batches in flight. */
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly db: Db) {}

  /**
   * Stores one message; resolves with its row, or undefined when a check failed (not a participant, no
   * shared family any more, or a client_id already used: the caller finds out which).
   * @throws the database's error when the statement fails.
   */
  store(send: PendingSend): Promise<StoredRow | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ send, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    // Sends arriving in the same turn of the event loop share the statement.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch: Waiting[] = [];
      const rest: Waiting[] = [];
      const conversations = new Set<string>();
      for (const item of this.queue) {
        const id = item.send.conversationId;
        if (batch.length < MAX_BATCH && !this.busy.has(id)) {
          batch.push(item);
          conversations.add(id);
        } else rest.push(item);
      }
      if (batch.length === 0) return;
      this.queue.splice(0, this.queue.length, ...rest);
      for (const id of conversations) this.busy.add(id);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const id of conversations) this.busy.delete(id);
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const stored = await this.execute(batch.map((w) => w.send));
      for (const w of batch) w.resolve(stored.get(w.send.id));
    } catch (error) {
      if (!isUniqueViolation(error, 'messages_client_id_key')) {
        for (const w of batch) w.reject(error);
        return;
      }
      // A client_id raced with its twin (in this batch, or on another node): the statement rolled back whole,
      // so store them one by one; a twin that lost resolves undefined and its caller returns the original.
      for (const w of batch) {
        try {
          w.resolve(await this.storeAlone(w.send));
        } catch (one) {
          w.reject(one);
        }
      }
    }
  }

  private async storeAlone(send: PendingSend): Promise<StoredRow | undefined> {
    try {
      return (await this.execute([send])).get(send.id);
    } catch (error) {
      if (isUniqueViolation(error, 'messages_client_id_key')) return undefined;
      throw error;
    }
  }

  private async execute(sends: PendingSend[]): Promise<Map<string, StoredRow>> {
    const list = await rows<StoredRow>(this.db, batchStatement(sends), 'send_messages');
    // The viewer rows were read before the statement's writes. As of each message, a participant who sent
    // an earlier message of the batch in that conversation has read up to it.
    list.sort((a, b) => a.seq - b.seq);
    // Per conversation, each sender's latest seq so far; each row's viewer rows are its own (parsed for it), so they
    // are raised in place, and only for the batch's senders (a few), not rebuilt for every participant.
    const sentUpTo = new Map<string, Map<string, number>>();
    for (const row of list) {
      let senders = sentUpTo.get(row.conversation_id);
      if (!senders) sentUpTo.set(row.conversation_id, (senders = new Map<string, number>()));
      senders.set(row.sender_id, row.seq);
      for (const viewer of row.viewers) {
        const sent = senders.get(viewer[0]);
        if (sent !== undefined && sent > viewer[1]) viewer[1] = sent;
      }
    }
    return new Map(list.map((row) => [row.id, row]));
  }
}

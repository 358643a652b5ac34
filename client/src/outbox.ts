/**
 * The outbox: messages the user sent that the server has not confirmed yet. Each keeps its `client_id`
 * for its whole life, so resending after a timeout or a reconnect stores it exactly once (the server
 * answers a known `client_id` with the original message). Entries survive a reload when a storage is given.
 * @module
 */
import type { Message } from './types.js';

/** An unsent message. `sending`: waiting for the connection or for the reply; `failed`: needs the user (retry or discard). */
export interface OutboxEntry {
  clientId: string;
  conversationId: string;
  body: string;
  createdAt: string;
  state: 'sending' | 'failed';
  /** Why it failed (an API error code such as `validation_failed`). */
  error?: string;
  attempts: number;
}

/** The result of one send attempt. `retryable` failures (offline, timeout, rate limit) are retried automatically. */
export type SendResult =
  | { ok: true; message: Message }
  | { ok: false; retryable: boolean; reason: string; retryInMs?: number };

/** What the outbox needs: a way to send, and optionally a place to persist entries. */
export interface OutboxOptions {
  send: (entry: OutboxEntry) => Promise<SendResult>;
  /** Called with the stored message when an entry is confirmed (it then leaves the outbox). */
  onSent?: (entry: OutboxEntry, message: Message) => void;
  /** Called whenever the entries change. */
  onChange?: () => void;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  storageKey?: string;
  newId?: () => string;
  now?: () => Date;
  /** Schedules a retry (tests use fake timers). */
  setTimer?: (fn: () => void, ms: number) => unknown;
}

/** Keeps unsent messages and sends each exactly once, in order per conversation. */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private readonly inFlight = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly options: OutboxOptions;

  constructor(options: OutboxOptions) {
    this.options = options;
    const saved = options.storage && options.storageKey ? options.storage.getItem(options.storageKey) : null;
    if (saved) {
      try {
        const parsed = JSON.parse(saved) as OutboxEntry[];
        if (Array.isArray(parsed)) this.entries = parsed.map((e) => ({ ...e }));
      } catch {
        /* a corrupt saved outbox is dropped */
      }
    }
  }

  /** The entries of one conversation (or all), oldest first. */
  list(conversationId?: string): OutboxEntry[] {
    return this.entries.filter((e) => conversationId === undefined || e.conversationId === conversationId);
  }

  /** Adds a message and starts sending it. */
  enqueue(conversationId: string, body: string): OutboxEntry {
    const entry: OutboxEntry = {
      clientId: (this.options.newId ?? defaultId)(),
      conversationId,
      body,
      createdAt: (this.options.now?.() ?? new Date()).toISOString(),
      state: 'sending',
      attempts: 0,
    };
    this.entries = [...this.entries, entry];
    this.changed();
    void this.flush(conversationId);
    return entry;
  }

  /** Puts a failed entry back in the queue and sends it (with its original client_id). */
  retry(clientId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return;
    this.replace({ ...entry, state: 'sending', error: undefined });
    void this.flush(entry.conversationId);
  }

  /** Drops an entry (the user gave up on it). */
  discard(clientId: string): void {
    this.entries = this.entries.filter((e) => e.clientId !== clientId);
    this.changed();
  }

  /**
   * Sends the waiting entries of a conversation (or of every conversation), one at a time and in
   * order. Call it when the connection comes back or a channel is (re)joined. A retryable failure stops
   * the conversation's queue until the next flush, keeping order.
   */
  async flush(conversationId?: string): Promise<void> {
    const ids = conversationId ? [conversationId] : [...new Set(this.entries.map((e) => e.conversationId))];
    await Promise.all(ids.map((id) => this.flushOne(id)));
  }

  /** Resolves when no send is under way (the current flushes have ended). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private flushOne(conversationId: string): Promise<void> {
    const running = this.running.get(conversationId);
    if (running) {
      // A flush is under way: it makes one more pass when it ends; wait for that.
      this.again.add(conversationId);
      return running;
    }
    const run = (async () => {
      await Promise.resolve(); // registered in `running` before the first pass
      try {
        do {
          this.again.delete(conversationId);
          for (;;) {
            const entry = this.entries.find((e) => e.conversationId === conversationId && e.state === 'sending' && !this.inFlight.has(e.clientId));
            if (!entry) break;
            const stop = await this.attempt(entry);
            if (stop) break;
          }
        } while (this.again.has(conversationId));
      } finally {
        this.running.delete(conversationId);
      }
    })();
    this.running.set(conversationId, run);
    return run;
  }

  /** One send; returns true when the queue must wait (retryable failure). */
  private async attempt(entry: OutboxEntry): Promise<boolean> {
    this.inFlight.add(entry.clientId);
    this.replace({ ...entry, attempts: entry.attempts + 1 });
    let result: SendResult;
    try {
      result = await this.options.send(entry);
    } catch (error) {
      result = { ok: false, retryable: true, reason: error instanceof Error ? error.message : 'error' };
    } finally {
      this.inFlight.delete(entry.clientId);
    }
    const current = this.entries.find((e) => e.clientId === entry.clientId);
    if (!current) return false;
    if (result.ok) {
      this.entries = this.entries.filter((e) => e.clientId !== entry.clientId);
      this.changed();
      this.options.onSent?.(current, result.message);
      return false;
    }
    if (!result.retryable) {
      this.replace({ ...current, state: 'failed', error: result.reason });
      return false;
    }
    if (result.retryInMs !== undefined) {
      (this.options.setTimer ?? setTimeout)(() => void this.flush(entry.conversationId), result.retryInMs);
    }
    return true;
  }

  private replace(entry: OutboxEntry): void {
    this.entries = this.entries.map((e) => (e.clientId === entry.clientId ? entry : e));
    this.changed();
  }

  private changed(): void {
    const { storage, storageKey } = this.options;
    if (storage && storageKey) {
      if (this.entries.length === 0) storage.removeItem(storageKey);
      else storage.setItem(storageKey, JSON.stringify(this.entries));
    }
    this.options.onChange?.();
  }
}

function defaultId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The outbox: messages the user sent that the server has not confirmed yet. Each keeps its `client_id`
 * for its whole life, so resending after a timeout or a reconnect stores it exactly once (the server
 * answers a known `client_id` with the original message). Entries survive a reload when a storage is given.
 * A message with files is one entry that holds them: each file is uploaded first (a finished upload keeps its
 * id, so a retry never uploads it again; an interrupted one starts over), then the message is sent with them.
 * @module
 */
import { ApiError } from './api.js';
import type { Attachment, Message } from './types.js';
import type { UploadOptions } from './upload.js';

/** One file of an unsent message. */
export interface OutboxFile {
  /** Its id within the outbox (the key of its bytes in the file store). */
  id: string;
  /** The file's name. */
  name: string;
  /** Its MIME type as the device reported it. */
  type: string;
  /** Its size in bytes. */
  size: number;
  /** A recording's length measured on the device (voice messages). */
  durationMs?: number;
  /** `waiting` for its turn (or for the network), `uploading` now, `uploaded` (has `uploadId`), `failed` (see `error`). */
  state: 'waiting' | 'uploading' | 'uploaded' | 'failed';
  /** Bytes of the current attempt sent so far. */
  sent: number;
  /** The upload's id once the server stored the file. */
  uploadId?: string;
  /** The stored attachment as the upload answered it. */
  attachment?: Attachment;
  /** Why the upload failed: the server's message, for people. */
  error?: string;
}

/** A file to send: its bytes, its name and, for a recording, its length. */
export interface NewOutboxFile {
  /** The bytes (a File, or a recording's Blob). */
  blob: Blob;
  /** The name the family sees. */
  name: string;
  /** A recording's length in ms. */
  durationMs?: number;
}

/** An unsent message. `sending`: waiting for the connection or for the reply; `failed`: needs the user (retry or discard). */
export interface OutboxEntry {
  /** Its client_id, kept across every retry. */
  clientId: string;
  /** Where it goes. */
  conversationId: string;
  /** The text (may be empty when there are files). */
  body: string;
  /** When it was queued (ISO). */
  createdAt: string;
  /** `sending` (or uploading) until confirmed; `failed` needs the user. */
  state: 'sending' | 'failed';
  /** Why it failed (an API error code such as `validation_failed`, or `upload_failed` when a file did). */
  error?: string;
  /** Send attempts so far. */
  attempts: number;
  /** Its files, uploaded before the message is sent. */
  files?: OutboxFile[];
}

/** Where the outbox keeps the bytes of unsent files across reloads (IndexedDB in a browser). */
export interface OutboxFileStore {
  /** Keeps `blob` under `key`. */
  put(key: string, blob: Blob): Promise<void>;
  /** The bytes kept under `key`, if any. */
  get(key: string): Promise<Blob | undefined>;
  /** Forgets `key`. */
  delete(key: string): Promise<void>;
}

/** Uploads one file: the SDK's `uploadFile`. */
export type OutboxUpload = (blob: Blob, options: UploadOptions) => Promise<Attachment>;

/** The ids of an entry's uploaded files, in order: the `attachment_ids` of its send. */
export function attachmentIds(entry: OutboxEntry): string[] {
  return (entry.files ?? []).flatMap((f) => (f.uploadId ? [f.uploadId] : []));
}

// Upload failures worth trying again by themselves: the network, a busy or unavailable server.
const RETRYABLE_UPLOAD = new Set(['network', 'rate_limited', 'unavailable', 'internal', 'interrupted']);
// How long to wait before trying an upload again after a retryable failure with no Retry-After.
const UPLOAD_BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];

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
  /** Where entries are kept across reloads (localStorage in a browser). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** The key of the entries in `storage`. */
  storageKey?: string;
  /** Makes client_ids and file ids. */
  newId?: () => string;
  /** The clock. */
  now?: () => Date;
  /** Schedules a retry (tests use fake timers). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  /** Uploads a file (needed for entries with files). */
  upload?: OutboxUpload;
  /** Keeps unsent files' bytes across reloads; without it they live as long as the page. */
  files?: OutboxFileStore;
  /** Whether uploads can go out now; when false an entry's files wait for the next flush (the reconnect). */
  canUpload?: () => boolean;
}

/** Keeps unsent messages and sends each exactly once, in order per conversation. */
export class Outbox {
  private entries: OutboxEntry[] = [];
  /** The bytes of unsent files while the page lives, by file id (the file store keeps them across reloads). */
  private readonly blobs = new Map<string, Blob>();
  /** The uploads under way, by file id. */
  private readonly uploads = new Map<string, AbortController>();
  /** Retryable upload failures in a row, by client_id (for the backoff). */
  private readonly uploadFailures = new Map<string, number>();
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
        // An upload cut short by the reload starts over.
        if (Array.isArray(parsed)) this.entries = parsed.map((e) => ({ ...e, ...(e.files ? { files: e.files.map(restarted) } : {}) }));
      } catch {
        /* a corrupt saved outbox is dropped */
      }
    }
  }

  /** The entries of one conversation (or all), oldest first. */
  list(conversationId?: string): OutboxEntry[] {
    return this.entries.filter((e) => conversationId === undefined || e.conversationId === conversationId);
  }

  /** Adds a message (with its files, uploaded first) and starts sending it. */
  enqueue(conversationId: string, body: string, files: readonly NewOutboxFile[] = []): OutboxEntry {
    const newId = this.options.newId ?? defaultId;
    const entry: OutboxEntry = {
      clientId: newId(),
      conversationId,
      body,
      createdAt: (this.options.now?.() ?? new Date()).toISOString(),
      state: 'sending',
      attempts: 0,
    };
    if (files.length > 0) {
      entry.files = files.map((f) => {
        const file: OutboxFile = { id: newId(), name: f.name, type: f.blob.type, size: f.blob.size, state: 'waiting', sent: 0 };
        if (f.durationMs !== undefined) file.durationMs = Math.round(f.durationMs);
        this.blobs.set(file.id, f.blob);
        // Kept for a reload; a store that fails only costs the file after a reload.
        void this.options.files?.put(file.id, f.blob).catch(() => undefined);
        return file;
      });
    }
    this.entries = [...this.entries, entry];
    this.changed();
    void this.flush(conversationId);
    return entry;
  }

  /** Puts a failed entry back in the queue and sends it (with its original client_id); failed files are uploaded again. */
  retry(clientId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return;
    const files = entry.files?.map((f) => (f.state === 'failed' ? { ...restarted(f), error: undefined } : f));
    this.replace({ ...entry, state: 'sending', error: undefined, ...(files ? { files } : {}) });
    void this.flush(entry.conversationId);
  }

  /** Uploads one failed file again (the message goes once none has failed). */
  retryFile(clientId: string, fileId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry?.files) return;
    const files = entry.files.map((f) => (f.id === fileId ? { ...restarted(f), error: undefined } : f));
    this.replaceFiles(entry, files);
  }

  /**
   * Takes one file out of an unsent message: an upload under way is aborted, the rest goes on. A message left
   * with neither text nor files is dropped.
   */
  removeFile(clientId: string, fileId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry?.files) return;
    this.uploads.get(fileId)?.abort();
    this.forgetBlob(fileId);
    const files = entry.files.filter((f) => f.id !== fileId);
    if (files.length === 0 && !entry.body.trim()) {
      this.discard(clientId);
      return;
    }
    this.replaceFiles(entry, files);
  }

  /** Drops an entry (the user gave up on it); its uploads under way are aborted. */
  discard(clientId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    for (const file of entry?.files ?? []) {
      this.uploads.get(file.id)?.abort();
      this.forgetBlob(file.id);
    }
    this.entries = this.entries.filter((e) => e.clientId !== clientId);
    this.changed();
  }

  /**
   * The network went away: uploads under way are stopped at once (a browser may otherwise wait minutes for a
   * dead connection) and start over at the next flush.
   */
  interrupt(): void {
    for (const controller of this.uploads.values()) controller.abort('interrupted');
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

  /** One send (after its files' uploads); returns true when the queue must wait (retryable failure). */
  private async attempt(entry: OutboxEntry): Promise<boolean> {
    this.inFlight.add(entry.clientId);
    let result: SendResult;
    let sending: OutboxEntry | undefined;
    try {
      const uploaded = await this.uploadFiles(entry);
      if (uploaded !== 'done') {
        return uploaded === 'wait';
      }
      sending = this.entries.find((e) => e.clientId === entry.clientId);
      if (!sending) return false;
      sending = { ...sending, attempts: sending.attempts + 1 };
      this.replace(sending);
      result = await this.options.send(sending);
    } catch (error) {
      result = { ok: false, retryable: true, reason: error instanceof Error ? error.message : 'error' };
    } finally {
      this.inFlight.delete(entry.clientId);
    }
    const current = this.entries.find((e) => e.clientId === entry.clientId);
    if (!current) return false;
    if (result.ok) {
      this.entries = this.entries.filter((e) => e.clientId !== entry.clientId);
      for (const file of current.files ?? []) this.forgetBlob(file.id);
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

  /**
   * Uploads the entry's files that are not uploaded yet, one at a time. `done`: all uploaded, send now;
   * `wait`: a retryable failure or no network (the queue waits for the next flush); `stop`: a file failed
   * for good or the entry is gone (the queue goes on with the next entry).
   */
  private async uploadFiles(entry: OutboxEntry): Promise<'done' | 'wait' | 'stop'> {
    for (;;) {
      const current = this.entries.find((e) => e.clientId === entry.clientId);
      if (!current) return 'stop';
      const files = current.files ?? [];
      const next = files.find((f) => f.state === 'waiting' || f.state === 'uploading');
      if (!next) {
        if (files.some((f) => f.state === 'failed')) {
          this.replace({ ...current, state: 'failed', error: 'upload_failed' });
          return 'stop';
        }
        if (files.length === 0 && !current.body.trim()) {
          this.discard(current.clientId);
          return 'stop';
        }
        return 'done';
      }
      if (this.options.canUpload && !this.options.canUpload()) return 'wait';
      const outcome = await this.uploadOne(current, next);
      if (outcome === 'wait') return 'wait';
    }
  }

  /** Uploads one file; `wait` on a retryable failure (the file starts over later), else `next`. */
  private async uploadOne(entry: OutboxEntry, file: OutboxFile): Promise<'next' | 'wait'> {
    const upload = this.options.upload;
    const blob = this.blobs.get(file.id) ?? (await this.options.files?.get(file.id).catch(() => undefined));
    if (!upload || !blob) {
      this.updateFile(entry.clientId, file.id, { state: 'failed', sent: 0, error: upload ? 'The file is no longer on this device. Remove it and attach it again.' : 'Files cannot be sent here.' });
      return 'next';
    }
    this.blobs.set(file.id, blob);
    const controller = new AbortController();
    this.uploads.set(file.id, controller);
    this.updateFile(entry.clientId, file.id, { state: 'uploading', sent: 0 });
    let lastShown = -1;
    try {
      const attachment = await upload(blob, {
        filename: file.name,
        ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
        signal: controller.signal,
        onProgress: (sent) => {
          // One update per percent: enough for a progress bar, few enough re-renders.
          const percent = Math.floor((sent / Math.max(1, file.size)) * 100);
          if (percent === lastShown) return;
          lastShown = percent;
          this.updateFile(entry.clientId, file.id, { sent: Math.min(sent, file.size) }, false);
        },
      });
      this.uploadFailures.delete(entry.clientId);
      this.updateFile(entry.clientId, file.id, { state: 'uploaded', sent: file.size, uploadId: attachment.id, attachment, error: undefined });
      return 'next';
    } catch (error) {
      const code = controller.signal.aborted ? (controller.signal.reason === 'interrupted' ? 'interrupted' : 'aborted') : error instanceof ApiError ? error.code : 'network';
      if (code === 'aborted') return 'next'; // removed by the user: removeFile took it out
      if (RETRYABLE_UPLOAD.has(code)) {
        this.updateFile(entry.clientId, file.id, { state: 'waiting', sent: 0 });
        const failures = (this.uploadFailures.get(entry.clientId) ?? 0) + 1;
        this.uploadFailures.set(entry.clientId, failures);
        const retryIn = error instanceof ApiError && error.retryAfterMs !== undefined ? error.retryAfterMs : UPLOAD_BACKOFF_MS[Math.min(failures, UPLOAD_BACKOFF_MS.length) - 1];
        // Offline, the reconnect flushes; a server that answered "busy" or "unavailable" is tried again later.
        if (code !== 'interrupted') (this.options.setTimer ?? setTimeout)(() => void this.flush(entry.conversationId), retryIn ?? 1000);
        return 'wait';
      }
      this.updateFile(entry.clientId, file.id, { state: 'failed', sent: 0, error: error instanceof Error ? error.message : 'The upload failed.' });
      return 'next';
    } finally {
      this.uploads.delete(file.id);
    }
  }

  /** Changes one file of an entry; `persist` false for progress (not worth a write to storage). */
  private updateFile(clientId: string, fileId: string, patch: Partial<OutboxFile>, persist = true): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry?.files?.some((f) => f.id === fileId)) return;
    const files = entry.files.map((f) => (f.id === fileId ? { ...f, ...patch } : f));
    this.replace({ ...entry, files }, persist);
  }

  /** New files for an entry; it is sent again (with the same client_id) once none has failed. */
  private replaceFiles(entry: OutboxEntry, files: OutboxFile[]): void {
    const failed = files.some((f) => f.state === 'failed');
    this.replace({ ...entry, files, state: failed ? 'failed' : 'sending', ...(failed ? {} : { error: undefined }) });
    if (!failed) void this.flush(entry.conversationId);
  }

  private forgetBlob(fileId: string): void {
    this.blobs.delete(fileId);
    void this.options.files?.delete(fileId).catch(() => undefined);
  }

  private replace(entry: OutboxEntry, persist = true): void {
    this.entries = this.entries.map((e) => (e.clientId === entry.clientId ? entry : e));
    this.changed(persist);
  }

  private changed(persist = true): void {
    const { storage, storageKey } = this.options;
    if (persist && storage && storageKey) {
      if (this.entries.length === 0) storage.removeItem(storageKey);
      else storage.setItem(storageKey, JSON.stringify(this.entries));
    }
    this.options.onChange?.();
  }
}

// A file whose upload did not finish: it starts over.
function restarted(file: OutboxFile): OutboxFile {
  return file.state === 'uploaded' ? file : { ...file, state: 'waiting', sent: 0 };
}

function defaultId(): string {
  return globalThis.crypto.randomUUID();
}

// The outbox with files: one entry per message holds its files, uploads each once (a finished upload is never
// repeated), starts an interrupted one over, and sends the message once with every upload's id.
import { describe, expect, it } from 'vitest';
import type { Attachment, Message, OutboxEntry, OutboxFileStore, SendResult, UploadOptions } from '../src/index.js';
import { ApiError, Outbox, attachmentIds } from '../src/index.js';

/** A fake server: uploads get ids, each client_id is stored once, and it can be taken offline. */
function fakeServer() {
  const stored = new Map<string, Message>();
  const uploads: string[] = [];
  const sends: Array<{ clientId: string; attachmentIds: string[] }> = [];
  let online = true;
  let failUpload: ((name: string) => ApiError | undefined) | undefined;
  let hold: { release: () => void } | undefined;
  const upload = async (blob: Blob, options: UploadOptions): Promise<Attachment> => {
    options.onProgress?.(0, blob.size);
    if (hold) {
      const h = hold;
      hold = undefined;
      await new Promise<void>((resolve, reject) => {
        options.signal?.addEventListener('abort', () => reject(new ApiError('aborted', 0, 'cancelled')));
        h.release = resolve;
      });
    }
    if (!online) throw new ApiError('network', 0, 'offline');
    const failure = failUpload?.(options.filename);
    if (failure) throw failure;
    options.onProgress?.(blob.size, blob.size);
    const id = `up-${uploads.length + 1}`;
    uploads.push(options.filename);
    return { id, kind: 'file', mime_type: blob.type, filename: options.filename, size_bytes: blob.size, width: null, height: null, duration_ms: options.durationMs ?? null, url: `/m/${id}`, thumbnail_url: null };
  };
  const send = async (entry: OutboxEntry): Promise<SendResult> => {
    await Promise.resolve();
    sends.push({ clientId: entry.clientId, attachmentIds: attachmentIds(entry) });
    if (!online) return { ok: false, retryable: true, reason: 'offline' };
    let message = stored.get(entry.clientId);
    if (!message) {
      message = {
        id: `m${stored.size + 1}`, conversation_id: entry.conversationId, seq: stored.size + 1, sender_id: 'me', body: entry.body,
        client_id: entry.clientId, inserted_at: new Date().toISOString(), edited_at: null, deleted_at: null, attachments: [],
      };
      stored.set(entry.clientId, message);
    }
    return { ok: true, message };
  };
  return {
    upload, send, stored, uploads, sends,
    setOnline: (value: boolean) => (online = value),
    failUploads: (fn: typeof failUpload) => (failUpload = fn),
    /** The next upload waits until released (or aborted). */
    holdNext: () => {
      const h = { release: () => undefined as void };
      hold = h;
      return h;
    },
  };
}

/** A file store in memory (the browser's is IndexedDB). */
function memoryStore(kept: Map<string, Blob>): OutboxFileStore {
  return {
    put: (k, b) => Promise.resolve(void kept.set(k, b)),
    get: (k) => Promise.resolve(kept.get(k)),
    delete: (k) => Promise.resolve(void kept.delete(k)),
  };
}

let counter = 0;
const newId = () => `id-${++counter}`;
const file = (name: string, bytes = 3, type = 'image/png') => ({ blob: new Blob([new Uint8Array(bytes)], { type }), name });
const noTimer = () => undefined;

describe('Outbox with files', () => {
  it('uploads every file, then sends the message once with their ids in order, and forgets the bytes', async () => {
    const server = fakeServer();
    const kept = new Map<string, Blob>();
    const files = memoryStore(kept);
    const sent: Message[] = [];
    const outbox = new Outbox({ send: server.send, upload: server.upload, files, newId, onSent: (_e, m) => sent.push(m) });
    const entry = outbox.enqueue('c1', 'the beach', [file('a.png'), { ...file('Voice message.webm', 5, 'audio/webm'), durationMs: 4321.4 }]);
    expect(entry.files?.map((f) => [f.name, f.size, f.type, f.state])).toEqual([['a.png', 3, 'image/png', 'waiting'], ['Voice message.webm', 5, 'audio/webm', 'waiting']]);
    expect(entry.files?.[1]?.durationMs).toBe(4321);
    await outbox.idle();
    expect(server.uploads).toEqual(['a.png', 'Voice message.webm']);
    expect(server.sends).toEqual([{ clientId: entry.clientId, attachmentIds: ['up-1', 'up-2'] }]);
    expect(sent.map((m) => m.body)).toEqual(['the beach']);
    expect(outbox.list()).toEqual([]);
    await Promise.resolve();
    expect(kept.size).toBe(0);
  });

  it('after going offline mid-way, uploads only the unfinished files again and sends one message', async () => {
    const server = fakeServer();
    let allowed = true;
    const outbox = new Outbox({ send: server.send, upload: server.upload, newId, setTimer: noTimer, canUpload: () => allowed });
    server.failUploads((name) => (name === 'b.png' ? new ApiError('network', 0, 'offline') : undefined));
    const entry = outbox.enqueue('c1', '', [file('a.png'), file('b.png'), file('c.png')]);
    await outbox.idle();
    expect(outbox.list()[0]?.files?.map((f) => f.state)).toEqual(['uploaded', 'waiting', 'waiting']);
    expect(outbox.list()[0]?.state).toBe('sending');
    allowed = false; // the socket is down: a flush does not try
    await outbox.flush();
    expect(server.uploads).toEqual(['a.png']);
    allowed = true;
    server.failUploads(undefined);
    await Promise.all([outbox.flush(), outbox.flush('c1')]); // reconnect and rejoin both flush
    expect(server.uploads).toEqual(['a.png', 'b.png', 'c.png']);
    expect(server.sends).toEqual([{ clientId: entry.clientId, attachmentIds: ['up-1', 'up-2', 'up-3'] }]);
    expect(server.stored.size).toBe(1);
  });

  it('a lost reply to the send is retried with the same client_id and the same uploads: one message', async () => {
    const server = fakeServer();
    let first = true;
    const outbox = new Outbox({
      newId, upload: server.upload, setTimer: noTimer,
      send: async (entry) => {
        const result = await server.send(entry);
        if (first) {
          first = false;
          return { ok: false, retryable: true, reason: 'timeout' };
        }
        return result;
      },
    });
    outbox.enqueue('c1', 'x', [file('a.png')]);
    await outbox.idle();
    await outbox.flush();
    expect(server.uploads).toEqual(['a.png']);
    expect(server.sends.map((s) => s.attachmentIds)).toEqual([['up-1'], ['up-1']]);
    expect(server.stored.size).toBe(1);
  });

  it("a file the server refuses fails with the server's message; retry uploads it again, remove sends the rest", async () => {
    const server = fakeServer();
    const outbox = new Outbox({ send: server.send, upload: server.upload, newId });
    server.failUploads((name) => (name === 'big.mov' ? new ApiError('payload_too_large', 413, 'The file is 120 MB; the limit is 100 MB.') : undefined));
    const entry = outbox.enqueue('c1', 'holiday', [file('a.png'), file('big.mov')]);
    await outbox.idle();
    const failed = outbox.list()[0]!;
    expect(failed).toMatchObject({ state: 'failed', error: 'upload_failed' });
    expect(failed.files?.map((f) => [f.name, f.state, f.error])).toEqual([['a.png', 'uploaded', undefined], ['big.mov', 'failed', 'The file is 120 MB; the limit is 100 MB.']]);
    expect(server.sends).toEqual([]);

    outbox.retryFile(entry.clientId, failed.files![1]!.id);
    await outbox.idle();
    expect(server.uploads).toEqual(['a.png']); // a.png was not uploaded again
    expect(outbox.list()[0]?.state).toBe('failed');

    outbox.removeFile(entry.clientId, failed.files![1]!.id);
    await outbox.idle();
    expect(server.sends).toEqual([{ clientId: entry.clientId, attachmentIds: ['up-1'] }]);
    expect(outbox.list()).toEqual([]);
  });

  it('cancelling a file under way aborts only that upload; cancelling the last file of a caption-less message drops it', async () => {
    const server = fakeServer();
    const outbox = new Outbox({ send: server.send, upload: server.upload, newId });
    const held = server.holdNext();
    const entry = outbox.enqueue('c1', '', [file('slow.mp4'), file('b.png')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(outbox.list()[0]?.files?.[0]?.state).toBe('uploading');
    outbox.removeFile(entry.clientId, entry.files![0]!.id);
    await outbox.idle();
    expect(server.uploads).toEqual(['b.png']);
    expect(server.sends).toEqual([{ clientId: entry.clientId, attachmentIds: ['up-1'] }]);
    held.release();

    server.holdNext();
    const alone = outbox.enqueue('c1', '', [file('only.mp4')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    outbox.removeFile(alone.clientId, alone.files![0]!.id);
    await outbox.idle();
    expect(outbox.list()).toEqual([]);
    expect(server.sends).toHaveLength(1);
  });

  it('interrupt() stops the upload under way; it starts over at the next flush', async () => {
    const server = fakeServer();
    const timers: number[] = [];
    const outbox = new Outbox({ send: server.send, upload: server.upload, newId, setTimer: (_fn, ms) => timers.push(ms) });
    server.holdNext();
    outbox.enqueue('c1', 'x', [file('a.png')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    outbox.interrupt();
    await outbox.idle();
    expect(outbox.list()[0]?.files?.[0]).toMatchObject({ state: 'waiting', sent: 0 });
    expect(timers).toEqual([]); // the reconnect flushes, no timer
    await outbox.flush();
    expect(server.stored.size).toBe(1);
  });

  it('waits Retry-After when the storage is unavailable, then backs off by itself', async () => {
    const server = fakeServer();
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const outbox = new Outbox({ send: server.send, upload: server.upload, newId, setTimer: (fn, ms) => timers.push({ fn, ms }) });
    let answer: ApiError | undefined = new ApiError('unavailable', 503, 'The media storage is unavailable.', undefined, 5000);
    server.failUploads(() => answer);
    outbox.enqueue('c1', 'x', [file('a.png')]);
    await outbox.idle();
    answer = new ApiError('unavailable', 503, 'down');
    timers[0]!.fn();
    await outbox.idle();
    expect(timers.map((t) => t.ms)).toEqual([5000, 2000]);
    answer = undefined;
    timers[1]!.fn();
    await outbox.idle();
    expect(server.stored.size).toBe(1);
  });

  it('survives a reload: uploaded files keep their ids, the bytes come back from the file store, an upload under way starts over', async () => {
    const server = fakeServer();
    const data = new Map<string, string>();
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
    const kept = new Map<string, Blob>();
    const files = memoryStore(kept);
    const before = new Outbox({ send: server.send, upload: server.upload, files, newId, storage, storageKey: 'o', setTimer: noTimer });
    server.holdNext();
    server.failUploads(() => undefined);
    const entry = before.enqueue('c1', 'hi', [file('a.png'), file('b.png')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(JSON.parse(data.get('o')!)[0].files.map((f: { state: string }) => f.state)).toEqual(['uploading', 'waiting']);
    // The page reloads: a new outbox on the same storage (the held upload never answers).
    const after = new Outbox({ send: server.send, upload: server.upload, files, newId, storage, storageKey: 'o', setTimer: noTimer });
    expect(after.list()[0]?.files?.map((f) => f.state)).toEqual(['waiting', 'waiting']);
    await after.flush();
    expect(server.sends).toEqual([{ clientId: entry.clientId, attachmentIds: ['up-1', 'up-2'] }]);

    // Bytes lost with the device's storage: the file says so and waits for the user.
    data.set('gone', JSON.stringify([{ ...entry, clientId: 'old', files: [{ id: 'nowhere', name: 'x.png', type: 'image/png', size: 1, state: 'waiting', sent: 0 }] }]));
    const reloaded = new Outbox({ send: server.send, upload: server.upload, newId, storage, storageKey: 'gone' });
    await reloaded.flush();
    expect(reloaded.list()[0]?.files?.[0]).toMatchObject({ state: 'failed', error: 'The file is no longer on this device. Remove it and attach it again.' });
  });
});

// The bytes of files waiting in the outbox, kept in IndexedDB so a reload (or a closed tab) does not lose them.
// Every call resolves or rejects quietly: without IndexedDB the files live as long as the page does.
import type { OutboxFileStore } from '@famichat/client';

const DB_NAME = 'famichat-outbox-files';
const FILES = 'files';

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(FILES);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB failed to open'));
  });
  opened.catch(() => (opened = undefined));
  return opened;
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await database();
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(FILES, mode);
    const request = work(tx.objectStore(FILES));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** The outbox's file store in this browser. */
export const outboxFiles: OutboxFileStore = {
  put: async (key, blob) => {
    await run('readwrite', (s) => s.put(blob, key));
  },
  get: async (key) => (await run<Blob | undefined>('readonly', (s) => s.get(key) as IDBRequest<Blob | undefined>)) ?? undefined,
  delete: async (key) => {
    await run('readwrite', (s) => s.delete(key));
  },
};

/** Forgets every kept file (logout: nothing of the session stays on the device). */
export async function clearOutboxFiles(): Promise<void> {
  try {
    await run('readwrite', (s) => s.clear());
  } catch {
    /* nothing kept */
  }
}

// What the app keeps on the device for reading offline, in IndexedDB (plain API): the branding, the caller, their
// families and conversation list, and the latest page of each recently opened conversation. Cleared on logout.
// Every call resolves (to undefined when IndexedDB is missing or fails): the cache never breaks the app.
import type { Branding, Conversation, FamilyDetail, Me, Message } from '@famichat/client';

/** Messages kept per conversation: the latest page. */
export const CHAT_PAGE = 50;
/** Conversations kept: the most recently opened ones. */
export const MAX_CHATS = 20;

const DB_NAME = 'famichat-offline';
const SNAPSHOT = 'snapshot';
const CHATS = 'chats';

/** The session's state as last seen online. */
export interface Snapshot {
  branding: Branding;
  me: Me;
  families: FamilyDetail[];
  conversations: Conversation[];
}

/** The latest page of one conversation, and when it was last opened (ms since the epoch). */
export interface CachedChat {
  conversationId: string;
  messages: Message[];
  /** Older messages exist than those kept. */
  hasMore: boolean;
  openedAt: number;
}

/** The page to keep of a conversation's messages (ascending by seq): the last {@link CHAT_PAGE}, and whether older ones remain. */
export function pageToKeep(messages: readonly Message[], hasMore: boolean): { messages: Message[]; hasMore: boolean } {
  const kept = messages.slice(-CHAT_PAGE);
  return { messages: kept, hasMore: hasMore || kept.length < messages.length };
}

/** The conversations to forget so that only the `max` most recently opened stay. */
export function chatsToEvict(chats: ReadonlyArray<Pick<CachedChat, 'conversationId' | 'openedAt'>>, max = MAX_CHATS): string[] {
  return [...chats]
    .sort((a, b) => b.openedAt - a.openedAt)
    .slice(max)
    .map((c) => c.conversationId);
}

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(SNAPSHOT);
      request.result.createObjectStore(CHATS, { keyPath: 'conversationId' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB failed to open'));
  });
  // A failed open is tried again next time (e.g. storage freed up).
  opened.catch(() => (opened = undefined));
  return opened;
}

/** Runs `work` in one transaction over `stores`; resolves with its request's result once the transaction is done. */
async function transaction<T>(stores: string[], mode: IDBTransactionMode, work: (tx: IDBTransaction) => IDBRequest<T> | undefined): Promise<T | undefined> {
  try {
    const db = await database();
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const request = work(tx);
      tx.oncomplete = () => resolve(request?.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } catch {
    return undefined;
  }
}

/** Saves the session's state. */
export function saveSnapshot(snapshot: Snapshot): Promise<unknown> {
  return transaction([SNAPSHOT], 'readwrite', (tx) => tx.objectStore(SNAPSHOT).put(snapshot, 'current'));
}

/** The saved session state, if any. */
export function loadSnapshot(): Promise<Snapshot | undefined> {
  return transaction<Snapshot | undefined>([SNAPSHOT], 'readonly', (tx) => tx.objectStore(SNAPSHOT).get('current'));
}

/** Keeps the latest page of a conversation (opened now), forgetting the least recently opened beyond {@link MAX_CHATS}. */
export async function saveChat(conversationId: string, messages: readonly Message[], hasMore: boolean): Promise<void> {
  const chat: CachedChat = { conversationId, ...pageToKeep(messages, hasMore), openedAt: Date.now() };
  await transaction([CHATS], 'readwrite', (tx) => {
    const store = tx.objectStore(CHATS);
    store.put(chat);
    const all = store.getAll() as IDBRequest<CachedChat[]>;
    all.onsuccess = () => {
      for (const id of chatsToEvict(all.result)) store.delete(id);
    };
    return undefined;
  });
}

/** The kept page of a conversation, if it was opened recently. */
export function loadChat(conversationId: string): Promise<CachedChat | undefined> {
  return transaction<CachedChat | undefined>([CHATS], 'readonly', (tx) => tx.objectStore(CHATS).get(conversationId));
}

/** Forgets a conversation's messages (the caller was removed from it). */
export function dropChat(conversationId: string): Promise<unknown> {
  return transaction([CHATS], 'readwrite', (tx) => tx.objectStore(CHATS).delete(conversationId));
}

/** Forgets everything (logout). */
export function clearCache(): Promise<unknown> {
  return transaction([SNAPSHOT, CHATS], 'readwrite', (tx) => {
    tx.objectStore(SNAPSHOT).clear();
    return tx.objectStore(CHATS).clear();
  });
}

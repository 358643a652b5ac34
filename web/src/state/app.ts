// The app's state: session, branding, families, conversations, presence, connection status and the
// outbox, kept in one small external store that React reads with useSyncExternalStore.
import type {
  Api,
  Branding,
  ConnectionStatus,
  Conversation,
  ConversationChannel,
  FamilyDetail,
  Me,
  Message,
  OutboxEntry,
  SendResult,
} from '@famichat/client';
import { ApiError, Outbox, RealtimeClient, attachmentIds, createApi } from '@famichat/client';
import { clearOutboxFiles, outboxFiles } from '../chat/attach/file-store';
import type { Notice } from '../chat/notices';
import type { Channel } from 'phoenix';
import { useSyncExternalStore } from 'react';
import { cacheBranding, savedPreference, setPreference } from '../theme';
import { applyRead, markReadLocally, sortConversations, upsertConversation, withMessageChange } from './logic';
import { clearCache, dropChat, loadSnapshot, saveSnapshot } from './offline-cache';

const TOKEN_KEY = 'famichat.token';

export interface AppState {
  boot: 'loading' | 'ready' | 'error';
  bootError?: string;
  needsSetup: boolean;
  branding?: Branding;
  token?: string;
  me?: Me;
  families: FamilyDetail[];
  conversations: Conversation[];
  /** Online user ids (all families together). */
  online: string[];
  status: ConnectionStatus;
  /** Whether the socket has been open at least once, or the session opened from the cache (before that, no "reconnecting" banner). */
  everConnected: boolean;
  /** Whether the device has a network (the browser's online/offline events). */
  networkUp: boolean;
  /** The session was opened from the device's cache (offline): everything is reloaded once the socket opens. */
  fromCache: boolean;
  /** Conversations the caller was removed from while the app was open: id → title. */
  removed: Record<string, string>;
  /** "X joined" / "X left" heard live, by family id. */
  notices: Record<string, Notice[]>;
  outbox: OutboxEntry[];
  themePref: string;
  themeId: string;
}

type Listener = () => void;

export class AppStore {
  state: AppState = {
    boot: 'loading',
    needsSetup: false,
    families: [],
    conversations: [],
    online: [],
    status: 'closed',
    everConnected: false,
    networkUp: navigator.onLine,
    fromCache: false,
    removed: {},
    notices: {},
    outbox: [],
    themePref: savedPreference(),
    themeId: document.documentElement.getAttribute('data-theme') ?? 'light',
  };
  readonly api: Api;
  realtime?: RealtimeClient;
  outbox?: Outbox;
  private readonly listeners = new Set<Listener>();
  private readonly channels = new Map<string, ConversationChannel>();
  private sessionChannels: Channel[] = [];
  private presence = new Map<string, string[]>();
  private readonly sentListeners = new Set<(message: Message) => void>();
  private persistTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.api = createApi({
      getToken: () => this.state.token,
      onUnauthorized: () => this.endSession(),
    });
    // The socket only notices a lost network at its next heartbeat; the browser knows at once.
    const networkChanged = () => {
      this.set({ networkUp: navigator.onLine });
      this.realtime?.setNetwork(navigator.onLine);
      // An upload on a dead connection may hang for minutes: it starts over once the network is back.
      if (!navigator.onLine) this.outbox?.interrupt();
    };
    window.addEventListener('online', networkChanged);
    window.addEventListener('offline', networkChanged);
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): AppState => this.state;

  set(patch: Partial<AppState>): void {
    const before = this.state;
    this.state = { ...before, ...patch };
    for (const l of this.listeners) l();
    const s = this.state;
    if (s.me && (s.me !== before.me || s.branding !== before.branding || s.families !== before.families || s.conversations !== before.conversations)) {
      this.persistTimer ??= setTimeout(() => this.persist(), 200);
    }
  }

  /** Saves what an offline reload shows (debounced: the list changes with every message). */
  private persist(): void {
    this.persistTimer = undefined;
    const { me, branding, families, conversations, token } = this.state;
    if (me && branding && token) void saveSnapshot({ me, branding, families, conversations });
  }

  /** Resolves once the socket is open (a chat that could not load offline tries again then). */
  connected(): Promise<void> {
    return new Promise((resolve) => {
      if (this.state.status === 'open') return resolve();
      const off = this.subscribe(() => {
        if (this.state.status !== 'open') return;
        off();
        resolve();
      });
    });
  }

  /** First load: branding, whether setup is needed, and the saved session. */
  async boot(): Promise<void> {
    try {
      const [branding, setup] = await Promise.all([this.api.branding(), this.api.setupStatus()]);
      cacheBranding(branding);
      this.set({ branding, needsSetup: setup.needs_setup, themeId: setPreference(this.state.themePref, branding) });
      const token = readToken();
      if (token && !setup.needs_setup) {
        this.set({ token });
        try {
          await this.startSession(token);
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 'unauthorized')) throw error;
        }
      }
      this.set({ boot: 'ready' });
    } catch (error) {
      // The server cannot be reached: a saved session opens from the device's cache instead.
      if (error instanceof ApiError && error.code === 'network' && (await this.bootFromCache())) return;
      this.set({ boot: 'error', bootError: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Opens the saved session from the cache (offline); false when there is none. */
  private async bootFromCache(): Promise<boolean> {
    const token = readToken();
    const saved = token ? await loadSnapshot() : undefined;
    if (!token || !saved) return false;
    const { me, branding, families, conversations } = saved;
    const pref = me.preferences.theme ?? 'system';
    this.set({ token, branding, families, conversations, fromCache: true, everConnected: true });
    this.connect(token, me);
    this.set({ me, themePref: pref, themeId: setPreference(pref, branding), boot: 'ready' });
    return true;
  }

  /** Back online after a session opened from the cache: everything fresh from the server. */
  private async refresh(): Promise<void> {
    const [branding, me] = await Promise.all([this.api.branding(), this.api.me()]);
    cacheBranding(branding);
    await Promise.all([this.reloadFamilies(), this.reloadConversations()]);
    this.set({ branding, me, fromCache: false });
  }

  /** After login/register/setup (or with a saved token): load everything and connect the socket. */
  async startSession(token: string): Promise<void> {
    writeToken(token);
    this.set({ token, needsSetup: false });
    const me = await this.api.me();
    await Promise.all([this.reloadFamilies(), this.reloadConversations()]);
    // Connected before `me` is set: views that need the socket render only once it exists.
    this.connect(token, me);
    const pref = me.preferences.theme ?? 'system';
    this.set({ me, themePref: pref, themeId: setPreference(pref, this.state.branding) });
  }

  private connect(token: string, me: Me): void {
    this.realtime?.disconnect();
    const realtime = new RealtimeClient({
      url: '/socket',
      token,
      onSessionEnded: () => this.endSession(),
      // A dead connection on a live network (the server unreachable) shows within 30 s rather than 60.
      socketOptions: { heartbeatIntervalMs: 15_000 },
    });
    this.realtime = realtime;
    this.outbox = new Outbox({
      send: (entry) => this.sendEntry(entry),
      onChange: () => this.set({ outbox: this.outbox?.list() ?? [] }),
      onSent: (_entry, message) => this.sentListeners.forEach((l) => l(message)),
      storage: localStorage,
      storageKey: `famichat.outbox.${me.id}`,
      upload: (blob, options) => this.api.uploadFile(blob, options),
      files: outboxFiles,
      canUpload: () => this.state.status === 'open',
    });
    this.set({ outbox: this.outbox.list() });
    realtime.onStatus((status) => {
      // Presence is not heard while the socket is down (the rejoin brings it back whole): nobody shows online.
      if (status === 'closed') this.presence.clear();
      this.set({ status, everConnected: this.state.everConnected || status === 'open', ...(status === 'closed' ? { online: [] } : {}) });
      if (status === 'open') {
        // Reconnected: reload the list (missed updates) and send what waited; joined chats also flush on rejoin.
        void (this.state.fromCache ? this.refresh() : this.reloadConversations()).catch(() => undefined);
        void this.outbox?.flush();
      }
    });
    this.sessionChannels.push(
      realtime.joinUser(me.id, {
        onCreated: (c) => {
          const { [c.id]: _again, ...removed } = this.state.removed;
          this.set({ conversations: upsertConversation(this.state.conversations, c), removed });
        },
        onUpdated: (c) => this.set({ conversations: upsertConversation(this.state.conversations, c) }),
        onRemoved: (id) => this.conversationRemoved(id),
      }),
    );
    for (const family of this.state.families) this.joinFamily(family.id);
    realtime.connect();
    if (!navigator.onLine) realtime.setNetwork(false);
  }

  private joinFamily(familyId: string): void {
    if (!this.realtime) return;
    this.sessionChannels.push(
      this.realtime.joinFamily(familyId, {
        onPresence: (list) => {
          this.presence.set(familyId, list.map((p) => p.userId));
          this.set({ online: [...new Set([...this.presence.values()].flat())] });
        },
        onMemberJoined: (user) => this.memberChanged(familyId, { key: `joined:${user.id}`, text: `${user.display_name} joined`, at: new Date().toISOString() }),
        onMemberLeft: (user) => {
          const at = new Date().toISOString();
          this.memberChanged(familyId, { key: `left:${user.id}:${at}`, text: `${user.display_name} left`, at });
        },
      }),
    );
  }

  /** Someone joined or left a family: its notice shows in the family chat, and the members reload. */
  private memberChanged(familyId: string, notice: Notice): void {
    this.set({ notices: { ...this.state.notices, [familyId]: [...(this.state.notices[familyId] ?? []), notice] } });
    void this.reloadFamilies().catch(() => undefined);
  }

  /**
   * The caller is no longer in a conversation (the server closed its channel, or said so on the user topic):
   * it leaves the list and the device, and an open chat of it says so. Their families may have changed too.
   */
  conversationRemoved(conversationId: string): void {
    if (conversationId in this.state.removed) return;
    const gone = this.state.conversations.find((c) => c.id === conversationId);
    this.set({
      conversations: this.state.conversations.filter((c) => c.id !== conversationId),
      removed: { ...this.state.removed, [conversationId]: gone?.title ?? 'Conversation' },
    });
    void dropChat(conversationId);
    void this.reloadFamilies().catch(() => undefined);
  }

  /** Sends one outbox entry: over the conversation's channel when joined, else over HTTP when online. */
  private async sendEntry(entry: OutboxEntry): Promise<SendResult> {
    const channel = this.channels.get(entry.conversationId);
    const attachments = attachmentIds(entry);
    if (channel?.isJoined()) return channel.send(entry.body, entry.clientId, attachments);
    if (this.state.status !== 'open') return { ok: false, retryable: true, reason: 'offline' };
    try {
      return { ok: true, message: await this.api.sendMessage(entry.conversationId, { body: entry.body, attachment_ids: attachments }, entry.clientId) };
    } catch (error) {
      if (error instanceof ApiError) {
        const retryable = ['network', 'rate_limited', 'unavailable', 'internal'].includes(error.code);
        const retryInMs = Number(error.details?.retry_in_ms ?? NaN);
        return { ok: false, retryable, reason: error.code, ...(Number.isFinite(retryInMs) ? { retryInMs } : {}) };
      }
      return { ok: false, retryable: true, reason: 'error' };
    }
  }

  /** Calls `listener` with every message the outbox got confirmed (the chat view merges it). */
  onSent(listener: (message: Message) => void): () => void {
    this.sentListeners.add(listener);
    return () => this.sentListeners.delete(listener);
  }

  /** A chat view registers its joined channel so sends go over it. */
  registerChannel(conversationId: string, channel: ConversationChannel | undefined): void {
    if (channel) this.channels.set(conversationId, channel);
    else this.channels.delete(conversationId);
  }

  async reloadConversations(): Promise<void> {
    const list = await this.api.conversations();
    this.set({ conversations: sortConversations(list) });
  }

  async reloadFamilies(): Promise<void> {
    const families = await this.api.families();
    const details = await Promise.all(families.map((f) => this.api.family(f.id)));
    const known = new Set(this.state.families.map((f) => f.id));
    // A family the caller left: nobody there counts as online any more.
    for (const id of this.presence.keys()) if (!details.some((f) => f.id === id)) this.presence.delete(id);
    this.set({ families: details, online: [...new Set([...this.presence.values()].flat())] });
    for (const f of details) if (!known.has(f.id) && this.realtime) this.joinFamily(f.id);
  }

  upsertConversation(c: Conversation): void {
    this.set({ conversations: upsertConversation(this.state.conversations, c) });
  }

  markRead(conversationId: string, seq: number): void {
    this.set({ conversations: markReadLocally(this.state.conversations, conversationId, seq, this.state.me?.id) });
  }

  /** A message was edited or deleted (here or live): the list's preview follows. */
  messageChanged(message: Message): void {
    const conversations = withMessageChange(this.state.conversations, message);
    if (conversations !== this.state.conversations) this.set({ conversations });
  }

  /** Someone's read cursor moved (a live `read` event): "seen by" follows without a refetch. */
  applyRead(conversationId: string, userId: string, seq: number): void {
    const conversations = applyRead(this.state.conversations, conversationId, userId, seq);
    if (conversations !== this.state.conversations) this.set({ conversations });
  }

  async setTheme(pref: string): Promise<void> {
    this.set({ themePref: pref, themeId: setPreference(pref, this.state.branding) });
    if (this.state.token) {
      const me = await this.api.updateMe({ preferences: { theme: pref === 'system' ? null : pref } });
      this.set({ me });
    }
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      /* the session ends locally whatever the server says */
    }
    this.endSession();
  }

  endSession(): void {
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    // Nothing of this session stays readable on the device.
    void clearCache();
    void clearOutboxFiles();
    this.outbox?.interrupt();
    this.realtime?.disconnect();
    this.realtime = undefined;
    this.outbox = undefined;
    this.sessionChannels = [];
    this.channels.clear();
    this.presence.clear();
    writeToken(undefined);
    this.set({
      token: undefined,
      me: undefined,
      families: [],
      conversations: [],
      online: [],
      outbox: [],
      status: 'closed',
      everConnected: false,
      fromCache: false,
      removed: {},
      notices: {},
    });
  }
}

function readToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeToken(token: string | undefined): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}

export const store = new AppStore();

export function useApp<T>(select: (s: AppState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

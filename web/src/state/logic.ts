// Pure state logic of the web client (unit-tested): conversation ordering and updates, days and times,
// link detection, and readable error messages from the API's error codes.
import type { Conversation, Message } from '@famichat/client';
import { ApiError, mergeMessages, mergeReadUpTo, withRead } from '@famichat/client';

/** When a conversation last had activity (its last message, else its creation). */
export function activityAt(c: Conversation): string {
  return c.last_message_at ?? c.created_at;
}

/** Most recent activity first (ties: by title, for a stable order). */
export function sortConversations(list: readonly Conversation[]): Conversation[] {
  return [...list].sort((a, b) => {
    const byTime = activityAt(b).localeCompare(activityAt(a));
    return byTime !== 0 ? byTime : a.title.localeCompare(b.title);
  });
}

/** Adds or replaces one conversation (from `conversation_created` / `conversation_updated`) and re-sorts. */
export function upsertConversation(list: readonly Conversation[], c: Conversation): Conversation[] {
  const existing = list.find((x) => x.id === c.id);
  // An update never moves the list backwards (events may arrive out of order with a REST reload)...
  if (existing && existing.latest_message_seq > c.latest_message_seq) {
    // ...but an older one may still carry a read cursor the list has not seen.
    const readUpTo = mergeReadUpTo(existing.read_up_to, c.read_up_to);
    return readUpTo === existing.read_up_to ? (list as Conversation[]) : list.map((x) => (x === existing ? { ...x, read_up_to: readUpTo } : x));
  }
  const next = existing ? { ...c, read_up_to: mergeReadUpTo(c.read_up_to, existing.read_up_to) } : c;
  return sortConversations([...list.filter((x) => x.id !== c.id), next]);
}

/** A message was edited or deleted: the list's preview follows when it is the conversation's last one; the same list otherwise. */
export function withMessageChange(list: readonly Conversation[], message: Message): Conversation[] {
  const target = list.find((c) => c.id === message.conversation_id);
  const last = target?.last_message;
  if (!target || !last || last.seq !== message.seq) return list as Conversation[];
  // The newer version wins (a delete over an edit), as in the chat itself.
  const next = mergeMessages([last], [message])[0] ?? last;
  return next === last ? (list as Conversation[]) : list.map((c) => (c === target ? { ...c, last_message: next } : c));
}

/** Marks a conversation read up to `seq` by the caller `userId` locally (the server confirms with `conversation_updated`). */
export function markReadLocally(list: readonly Conversation[], id: string, seq: number, userId?: string): Conversation[] {
  return list.map((c) =>
    c.id === id
      ? { ...c, unread_count: Math.max(0, c.latest_message_seq - seq), read_up_to: userId === undefined ? c.read_up_to : withRead(c.read_up_to, userId, seq) }
      : c,
  );
}

/** Records that `userId` has read conversation `id` up to `seq` (a live `read` event); the same list when nothing moves. */
export function applyRead(list: readonly Conversation[], id: string, userId: string, seq: number): Conversation[] {
  const target = list.find((c) => c.id === id);
  if (!target) return list as Conversation[];
  const readUpTo = withRead(target.read_up_to, userId, seq);
  return readUpTo === target.read_up_to ? (list as Conversation[]) : list.map((c) => (c === target ? { ...c, read_up_to: readUpTo } : c));
}

/** Unread messages over the conversations the list shows (hidden ones do not count). */
export function unreadTotal(list: readonly Conversation[]): number {
  return list.reduce((sum, c) => sum + (c.hidden ? 0 : c.unread_count), 0);
}

/** The tab title: the app's name, led by the unread total when there is any ("(3) Famichat"). */
export function unreadTitle(appName: string, total: number): string {
  return total > 0 ? `(${total > 999 ? '999+' : total}) ${appName}` : appName;
}

/** The calendar day (local time) of an ISO time, as YYYY-MM-DD. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** "Today", "Yesterday", or a date. */
export function dayLabel(iso: string, now = new Date()): string {
  const key = dayKey(iso);
  if (key === dayKey(now.toISOString())) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === dayKey(yesterday.toISOString())) return 'Yesterday';
  return new Date(iso).toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

/** Short time for lists: the time today, else the date. */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (dayKey(iso) === dayKey(now.toISOString())) return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** A piece of message text: plain, or a link. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;

/** Splits text into plain parts and http(s) links (trailing punctuation stays text). */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0];
    const trailing = /[.,;:!?)\]}'"]+$/.exec(url);
    if (trailing) {
      // Keep a closing parenthesis that belongs to the URL, e.g. Wikipedia links.
      let cut = trailing[0];
      if (cut.startsWith(')') && url.includes('(')) cut = cut.slice(1);
      url = url.slice(0, url.length - cut.length);
    }
    const start = match.index;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: url, href: url.toLowerCase().startsWith('www.') ? `https://${url}` : url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** A message for people from an API error (the code decides; the server's message is the fallback). */
export function errorMessage(error: unknown, context: 'login' | 'register' | 'setup' | 'reset' | 'general' = 'general'): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : 'Something went wrong.';
  const reason = typeof error.details?.reason === 'string' ? error.details.reason : undefined;
  switch (error.code) {
    case 'network':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'unauthorized':
      return context === 'login' ? 'Wrong username or password.' : 'Your session has ended. Please log in again.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'no_shared_family':
      return 'You can only message people who share a family with you.';
    case 'not_found':
      return 'That no longer exists, or you do not have access to it.';
    case 'conflict':
      if (reason === 'last_admin') return 'A family needs at least one admin. Make someone else an admin first.';
      if (reason === 'already_setup') return 'This server is already set up. Log in instead.';
      if (reason === 'username_taken' || context === 'register' || context === 'setup') return 'That username is taken. Choose another one.';
      return error.message;
    case 'gone':
      if (context === 'reset') return 'This password reset link has expired or was already used. Ask a family admin for a new one.';
      return 'This invite link has expired or was already used. Ask for a new one.';
    case 'payload_too_large':
      return 'That message is too long (at most 8192 bytes).';
    case 'validation_failed': {
      const fields = Object.entries(error.fields);
      if (fields.length === 0) return error.message;
      return fields.map(([field, why]) => `${FIELD_NAMES[field] ?? field}: ${why}`).join('. ');
    }
    case 'rate_limited': {
      const ms = Number(error.details?.retry_in_ms ?? 0);
      return ms > 0 ? `Too many attempts. Try again in ${Math.ceil(ms / 1000)} s.` : 'Too many attempts. Try again shortly.';
    }
    case 'unavailable':
      return 'The server is temporarily unavailable. Try again in a moment.';
    default:
      return 'Something went wrong on the server. Try again.';
  }
}

/** Why a send failed, for people, from the API error code the outbox kept. */
export function failedReason(code: string | undefined): string {
  switch (code) {
    case 'payload_too_large':
      return 'too long';
    case 'validation_failed':
      return 'not a valid message';
    case 'no_shared_family':
      return 'you no longer share a family';
    case 'not_found':
    case 'forbidden':
      return 'no access to this conversation';
    default:
      return 'not sent';
  }
}

const FIELD_NAMES: Record<string, string> = {
  username: 'Username',
  password: 'Password',
  display_name: 'Your name',
  family_name: 'Family name',
  title: 'Title',
  body: 'Message',
  participant_ids: 'Members',
};

// Pure text logic of the chat screen (unit-tested): message times, emoji-only bodies, @mentions, and the
// options button's accessible name, and what a message with only attachments reads as.
import type { Message } from '@famichat/client';
import type { Attachment } from './media/format';

/** A message's time in the viewer's locale without a leading zero: "9:05 AM" (or "09:05" where the locale says so). */
export function messageTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** The full date and time of a message, for its title and accessible label: "Tuesday, December 1, 2026 at 9:05 AM". */
export function fullTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

// One emoji: a keycap, a flag, or a pictograph with its variation selector, skin tone, tags and ZWJ sequence.
const EMOJI = String.raw`(?:[#*0-9]\uFE0F?\u20E3|\p{Regional_Indicator}{2}|\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}\u{E0020}-\u{E007F}]*(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)*)`;
const EMOJI_ONLY = new RegExp(`^\\s*(?:${EMOJI}\\s*){1,3}$`, 'u');

/** The body is one to three emoji and nothing else (spaces aside), so it is shown enlarged without a bubble. */
export function isEmojiOnly(body: string): boolean {
  return EMOJI_ONLY.test(body);
}

/** A piece of plain message text: as written, or an @mention of a participant (`me`: of the viewer). */
export type MentionPart = { kind: 'text'; text: string } | { kind: 'mention'; text: string; me: boolean };

// "@" not preceded by a word character or "@" (so e-mail addresses are not mentions), then a username.
const MENTION_RE = /(?<![\w@])@([a-z0-9_.-]{3,32})/gi;

/** Splits `text` at the @usernames of `usernames` (lower case); a trailing "." or "-" of a sentence is not part of the name. */
export function splitMentions(text: string, usernames: ReadonlySet<string>, viewerUsername: string): MentionPart[] {
  const parts: MentionPart[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION_RE)) {
    const name = (match[1] ?? '').toLowerCase().replace(/[.-]+$/, '');
    if (!usernames.has(name)) continue;
    const start = match.index;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'mention', text: text.slice(start, start + 1 + name.length), me: name === viewerUsername });
    last = start + 1 + name.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

const QUOTED_LENGTH = 40;

/** The name of a message's options button, unique per message: "Options for your message “Dinner at 7?” at 9:05 AM". */
export function optionsLabel(body: string, time: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  const quoted = chars.length > QUOTED_LENGTH ? `${chars.slice(0, QUOTED_LENGTH - 1).join('').trimEnd()}…` : flat;
  return `Options for your message “${quoted}” at ${time}`;
}

/** What a list preview says for a message without text: "Photo", "2 photos", "Video", "Voice message", "File: a.pdf". */
export function attachmentSummary(attachments: readonly Pick<Attachment, 'kind' | 'filename'>[]): string {
  const count = attachments.length;
  if (count === 0) return '';
  const kinds = new Set(attachments.map((a) => a.kind));
  if (kinds.size > 1) return kinds.has('file') || kinds.has('audio') ? `${count} attachments` : `${count} photos and videos`;
  const kind = attachments[0]?.kind;
  if (kind === 'image') return count === 1 ? 'Photo' : `${count} photos`;
  if (kind === 'video') return count === 1 ? 'Video' : `${count} videos`;
  if (kind === 'audio') return count === 1 ? 'Voice message' : `${count} voice messages`;
  return count === 1 ? `File: ${attachments[0]?.filename ?? ''}` : `${count} files`;
}

/** What a message reads as in a preview or a label: its text, else a summary of its attachments. */
export function messageSummary(message: Pick<Message, 'body' | 'attachments'>): string {
  return message.body.trim() ? message.body : attachmentSummary(message.attachments ?? []);
}

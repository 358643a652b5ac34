import { describe, expect, it } from 'vitest';
import { fullTime, isEmojiOnly, messageTime, optionsLabel, splitMentions } from '../src/chat/text';

describe('message times', () => {
  it('has no leading zero on the hour, and the full date for the title', () => {
    const morning = new Date(2026, 11, 1, 9, 5).toISOString();
    expect(messageTime(morning)).toBe(new Date(morning).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }));
    // Node's default locale (en-US here): no "09:05".
    expect(messageTime(morning)).toMatch(/^9:05/);
    expect(fullTime(morning)).toMatch(/2026/);
    expect(fullTime(morning)).toMatch(/9:05/);
  });
});

describe('emoji-only messages', () => {
  it('are one to three emoji, spaces aside, with skin tones, flags, keycaps and ZWJ sequences', () => {
    for (const body of ['👍', '😂😂😂', ' ❤️ ', '👍🏽', '🇫🇷', '👨‍👩‍👧', '1️⃣', '🎉 🎂']) expect(isEmojiOnly(body), body).toBe(true);
  });

  it('are not text, digits, four emoji or empty', () => {
    for (const body of ['', '  ', 'ok 👍', '👍!', '1', '😂😂😂😂', 'a', ':)']) expect(isEmojiOnly(body), body).toBe(false);
  });
});

describe('mentions', () => {
  const people = new Set(['kid', 'mum', 'grand.pa']);

  it('marks the @usernames of participants, the viewer’s own apart', () => {
    expect(splitMentions('@kid dinner! Ask @mum.', people, 'mum')).toEqual([
      { kind: 'mention', text: '@kid', me: false },
      { kind: 'text', text: ' dinner! Ask ' },
      { kind: 'mention', text: '@mum', me: true },
      { kind: 'text', text: '.' },
    ]);
    expect(splitMentions('Hi @Grand.Pa', people, 'kid')).toEqual([{ kind: 'text', text: 'Hi ' }, { kind: 'mention', text: '@Grand.Pa', me: false }]);
  });

  it('leaves strangers, e-mail addresses and plain text alone', () => {
    expect(splitMentions('@bob and mum@example.org', people, 'mum')).toEqual([{ kind: 'text', text: '@bob and mum@example.org' }]);
    expect(splitMentions('', people, 'mum')).toEqual([]);
  });
});

describe('options button names', () => {
  it('quote the message (shortened) and its time, so each one differs', () => {
    expect(optionsLabel('Dinner at 7?', '9:05 AM')).toBe('Options for your message “Dinner at 7?” at 9:05 AM');
    const long = optionsLabel(`${'word '.repeat(20)}\nend`, '9:06 AM');
    expect(long).toMatch(/^Options for your message “word word .*…” at 9:06 AM$/);
    expect(long.length).toBeLessThan(80);
  });
});

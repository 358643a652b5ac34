import type { Message } from '@famichat/client';
import { describe, expect, it } from 'vitest';
import type { Attachment } from '../src/chat/media/format';
import { clockTime, collectMedia, fileIcon, gridLayout, humanSize, isVisual, nameParts, tileRatio, typeLabel } from '../src/chat/media/format';
import { attachmentSummary, messageSummary } from '../src/chat/text';
import { claimPlayback } from '../src/chat/media/playback';
import { avatarColour, initialsOf } from '../src/components/Avatar';

const attachment = (kind: Attachment['kind'], extra: Partial<Attachment> = {}): Attachment => ({
  id: `${kind}-${Math.random()}`, kind, mime_type: 'application/octet-stream', filename: `${kind}.bin`, size_bytes: 1,
  width: null, height: null, duration_ms: null, url: '/api/v1/media/x/original', thumbnail_url: null, ...extra,
});
const message = (seq: number, attachments: Attachment[], extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`, conversation_id: 'c', seq, sender_id: 'mum', body: '', client_id: null,
  inserted_at: '2026-11-25T06:00:00.000Z', edited_at: null, deleted_at: null, attachments, ...extra,
});

describe('media times and sizes', () => {
  it('shows durations as m:ss, from an hour as h:mm:ss, unknown as 0:00', () => {
    expect(clockTime(2000)).toBe('0:02');
    expect(clockTime(1499)).toBe('0:01');
    expect(clockTime(65_000)).toBe('1:05');
    expect(clockTime(3_725_000)).toBe('1:02:05');
    expect([clockTime(null), clockTime(undefined), clockTime(-5), clockTime(Number.NaN), clockTime(Infinity)]).toEqual(['0:00', '0:00', '0:00', '0:00', '0:00']);
  });

  it('shows sizes in decimal units with one decimal below 10', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(999)).toBe('999 B');
    expect(humanSize(2400)).toBe('2.4 KB');
    expect(humanSize(2_400_000)).toBe('2.4 MB');
    expect(humanSize(52_400_000)).toBe('52 MB');
    expect(humanSize(999_999)).toBe('1.0 MB');
    expect(humanSize(1_100_000_000)).toBe('1.1 GB');
  });
});

describe('file chips', () => {
  it('labels well-known types, else the extension, else "File"', () => {
    expect(typeLabel('application/pdf', 'x')).toBe('PDF');
    expect(typeLabel('application/zip', 'photos.zip')).toBe('ZIP');
    expect(typeLabel('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'a.docx')).toBe('DOCX');
    expect(typeLabel('text/plain; charset=utf-8', 'notes')).toBe('TXT');
    expect(typeLabel('application/octet-stream', 'backup.tar')).toBe('TAR');
    expect(typeLabel('application/octet-stream', 'README')).toBe('File');
  });

  it('picks an icon by type', () => {
    expect(fileIcon('application/pdf', 'a.pdf')).toBe('document');
    expect(fileIcon('application/zip', 'a.zip')).toBe('archive');
    expect(fileIcon('text/csv', 'a.csv')).toBe('sheet');
    expect(fileIcon('image/svg+xml', 'a.svg')).toBe('image');
    expect(fileIcon('audio/flac', 'a.flac')).toBe('audio');
    expect(fileIcon('video/x-matroska', 'a.mkv')).toBe('video');
    expect(fileIcon('application/octet-stream', 'a.bin')).toBe('file');
  });

  it('cut long names in two, keeping the end with the extension whole for an ellipsis in the middle', () => {
    expect(nameParts('family-holiday-photos-final.pdf')).toEqual(['family-holiday-photos', '-final.pdf']);
    expect(nameParts('a.pdf')).toEqual(['', 'a.pdf']);
    expect(nameParts('scan-of-the-letter.jpeg')).toEqual(['scan-of-the-l', 'etter.jpeg']);
  });
});

describe('the photo grid', () => {
  it('is 1 alone, 2 side by side, 3–4 a 2×2, more a 3-column grid of 6 with +N', () => {
    expect(gridLayout(1)).toEqual({ columns: 1, shown: 1, more: 0 });
    expect(gridLayout(2)).toEqual({ columns: 2, shown: 2, more: 0 });
    expect(gridLayout(4)).toEqual({ columns: 2, shown: 4, more: 0 });
    expect(gridLayout(5)).toEqual({ columns: 3, shown: 5, more: 0 });
    expect(gridLayout(10)).toEqual({ columns: 3, shown: 6, more: 4 });
  });

  it('reserves a lone photo its own shape, between 3:4 and 2:1', () => {
    expect(tileRatio(1200, 800)).toBe(1.5);
    expect(tileRatio(600, 900)).toBe(0.75);
    expect(tileRatio(4000, 1000)).toBe(2);
    expect(tileRatio(null, 800)).toBeCloseTo(4 / 3);
  });

  it('takes photos and videos, not voice messages or files', () => {
    expect(['image', 'video', 'audio', 'file'].map((kind) => isVisual({ kind: kind as Attachment['kind'] }))).toEqual([true, true, false, false]);
  });
});

describe('previews of messages without text', () => {
  it('say what was sent', () => {
    expect(attachmentSummary([attachment('image')])).toBe('Photo');
    expect(attachmentSummary([attachment('image'), attachment('image')])).toBe('2 photos');
    expect(attachmentSummary([attachment('video')])).toBe('Video');
    expect(attachmentSummary([attachment('audio')])).toBe('Voice message');
    expect(attachmentSummary([attachment('file', { filename: 'name.pdf' })])).toBe('File: name.pdf');
    expect(attachmentSummary([attachment('file'), attachment('file')])).toBe('2 files');
    expect(attachmentSummary([attachment('image'), attachment('video')])).toBe('2 photos and videos');
    expect(attachmentSummary([attachment('image'), attachment('file')])).toBe('2 attachments');
    expect(attachmentSummary([])).toBe('');
  });

  it('keep the text when there is some', () => {
    expect(messageSummary(message(1, [attachment('image')], { body: 'At the beach' }))).toBe('At the beach');
    expect(messageSummary(message(1, [attachment('image')]))).toBe('Photo');
    expect(messageSummary({ body: 'hi' } as Message)).toBe('hi');
  });
});

describe('Photos & files', () => {
  it('lists attachments newest first, photos and videos apart from the rest, without deleted messages', () => {
    const a = attachment('image');
    const b = attachment('video');
    const c = attachment('file');
    const d = attachment('audio');
    const gone = attachment('image');
    const { visual, other } = collectMedia([message(1, [a, c]), message(3, [b, d]), message(2, [gone], { deleted_at: '2026-11-25T07:00:00.000Z' })]);
    expect(visual.map((f) => f.attachment)).toEqual([b, a]);
    expect(other.map((f) => f.attachment)).toEqual([d, c]);
    expect(visual[0]?.message.seq).toBe(3);
  });
});

describe('avatars', () => {
  it('have up to two initials and a colour that stays the same for one id', () => {
    expect(initialsOf('Grand Pa Joe')).toBe('GP');
    expect(initialsOf('mum')).toBe('M');
    expect(initialsOf('  ')).toBe('?');
    expect(avatarColour('0b6f…')).toBe(avatarColour('0b6f…'));
    expect(avatarColour('a')).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe('playback', () => {
  it('pauses the voice message or video that was playing when another starts', () => {
    const player = () => {
      const element = { paused: true, pause: () => (element.paused = true), play: () => (element.paused = false) };
      return element;
    };
    const first = player();
    const second = player();
    first.play();
    claimPlayback(first as unknown as HTMLMediaElement);
    second.play();
    claimPlayback(second as unknown as HTMLMediaElement);
    expect([first.paused, second.paused]).toEqual([true, false]);
    // The same one again (a resume) pauses nothing.
    claimPlayback(second as unknown as HTMLMediaElement);
    expect(second.paused).toBe(false);
  });
});

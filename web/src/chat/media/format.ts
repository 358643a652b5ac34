// Pure helpers of the media parts (unit-tested): times, sizes, type labels, long names, and how a message's
// photos and videos are laid out as a grid, and what a conversation's "Photos & files" lists.
import type { Attachment, Message } from '@famichat/client';

/** A photo, video, voice message or file of a message, as the API sends it to this viewer. */
export type { Attachment };

/** A duration in ms as "m:ss" ("0:02", "12:05"), or "h:mm:ss" from an hour; unknown or negative is "0:00". */
export function clockTime(ms: number | null | undefined): string {
  const total = ms && Number.isFinite(ms) && ms > 0 ? Math.round(ms / 1000) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A size in bytes for people: "512 B", "2.4 KB", "2.4 MB", "1.1 GB" (decimal units, one decimal below 10). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

// Well-known types whose extension alone would read badly ("DOCX" is fine, "application/msword" is not).
const MIME_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/zip': 'ZIP',
  'application/x-zip-compressed': 'ZIP',
  'application/gzip': 'GZIP',
  'application/x-7z-compressed': '7Z',
  'application/vnd.rar': 'RAR',
  'application/x-rar-compressed': 'RAR',
  'application/msword': 'DOC',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'application/vnd.ms-excel': 'XLS',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'application/vnd.ms-powerpoint': 'PPT',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PPTX',
  'text/plain': 'TXT',
  'text/csv': 'CSV',
  'application/json': 'JSON',
  'image/svg+xml': 'SVG',
  'image/heic': 'HEIC',
  'image/heif': 'HEIF',
};

/** The file's extension in capitals ("PDF"), or "" when it has none worth showing. */
function extensionOf(filename: string): string {
  const match = /\.([a-z0-9]{1,5})$/i.exec(filename);
  return match?.[1]?.toUpperCase() ?? '';
}

/** A short type label for a file: "PDF", "ZIP", "DOCX", else its extension, else "File". */
export function typeLabel(mimeType: string, filename: string): string {
  return MIME_LABELS[mimeType.toLowerCase().split(';')[0]?.trim() ?? ''] ?? (extensionOf(filename) || 'File');
}

/** The family of icon a file chip shows. */
export type FileIconKind = 'document' | 'archive' | 'sheet' | 'image' | 'audio' | 'video' | 'file';

/** Which icon a file gets, from its type and name. */
export function fileIcon(mimeType: string, filename: string): FileIconKind {
  const label = typeLabel(mimeType, filename);
  if (['ZIP', 'GZIP', '7Z', 'RAR', 'TAR', 'GZ'].includes(label)) return 'archive';
  if (['XLS', 'XLSX', 'CSV', 'ODS'].includes(label)) return 'sheet';
  if (['PDF', 'DOC', 'DOCX', 'TXT', 'ODT', 'RTF', 'MD', 'PPT', 'PPTX'].includes(label)) return 'document';
  if (mimeType.startsWith('image/') || ['SVG', 'HEIC', 'HEIF'].includes(label)) return 'image';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType.startsWith('video/')) return 'video';
  return 'file';
}

/**
 * A name cut in two for an ellipsis in the middle: the start (which CSS shortens with "…" when space runs out)
 * and the end, kept whole so the extension shows: "holiday-photos-2026.pdf" → ["holiday-photo", "s-2026.pdf"].
 */
export function nameParts(name: string, keep = 10): [string, string] {
  const chars = [...name];
  const tail = Math.min(chars.length, Math.max(keep, extensionOf(name).length + 5));
  return [chars.slice(0, chars.length - tail).join(''), chars.slice(chars.length - tail).join('')];
}

/** Photos and videos go in the grid; voice messages and other files below it. */
export function isVisual(attachment: Pick<Attachment, 'kind'>): boolean {
  return attachment.kind === 'image' || attachment.kind === 'video';
}

/** How a bubble lays out its photos and videos: `columns`, the tiles shown, and "+N" for those left out. */
export interface GridLayout {
  /** 1 (one tile, its own shape), 2 (side by side or a 2×2) or 3 (a 3-column grid). */
  columns: 1 | 2 | 3;
  /** How many tiles are shown (the first ones). */
  shown: number;
  /** How many more there are than tiles: shown as "+N" on the last tile (0: none). */
  more: number;
}

/** The grid for `count` photos and videos: 1 alone, 2 side by side, 3–4 a 2×2, more a 3-column grid of up to 6. */
export function gridLayout(count: number): GridLayout {
  if (count <= 1) return { columns: 1, shown: count, more: 0 };
  if (count <= 4) return { columns: 2, shown: count, more: 0 };
  const shown = Math.min(count, 6);
  return { columns: 3, shown, more: count - shown };
}

/** The box a lone photo or video reserves before it loads: its own aspect ratio, kept between 3:4 (tall) and 2:1 (wide). */
export function tileRatio(width: number | null, height: number | null): number {
  if (!width || !height) return 4 / 3;
  return Math.min(2, Math.max(3 / 4, width / height));
}

/** An attachment with the message it came in (who sent it, when). */
export interface FoundAttachment {
  attachment: Attachment;
  message: Message;
}

/** The conversation's attachments, newest first: photos and videos, and the rest. */
export function collectMedia(messages: readonly Message[]): { visual: FoundAttachment[]; other: FoundAttachment[] } {
  const visual: FoundAttachment[] = [];
  const other: FoundAttachment[] = [];
  for (const message of [...messages].sort((a, b) => b.seq - a.seq)) {
    if (message.deleted_at) continue;
    for (const attachment of message.attachments ?? []) (isVisual(attachment) ? visual : other).push({ attachment, message });
  }
  return { visual, other };
}

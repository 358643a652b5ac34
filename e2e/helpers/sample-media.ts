// Media for the browser tests, made in the test: photos of known sizes (sharp), an animated GIF, a short video
// and a voice message (ffmpeg's test sources), a PDF; and uploads plus sends through the API, as another
// family member's app would do them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { FamilyFixture } from './family.js';

/** A file to upload: its bytes, type and name. */
export interface SampleFile {
  bytes: Buffer;
  type: string;
  filename: string;
  /** For a voice message: the length the recorder measured. */
  durationMs?: number;
}

/** A JPEG photo `width`×`height` of a colour gradient (so it is not one flat colour). */
export async function photo(width: number, height: number, filename: string): Promise<SampleFile> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#2b68d9"/><stop offset="1" stop-color="#f5b642"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#ffffff" fill-opacity="0.6"/></svg>`;
  return { bytes: await sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer(), type: 'image/jpeg', filename };
}

/** A PNG `size`×`size` of one colour with a lighter disc (a profile picture). */
export async function picture(size: number, colour: string, filename: string): Promise<SampleFile> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${colour}"/><circle cx="${size / 2}" cy="${size * 0.4}" r="${size / 5}" fill="#ffffff"/></svg>`;
  return { bytes: await sharp(Buffer.from(svg)).png().toBuffer(), type: 'image/png', filename };
}

const work = () => mkdtempSync(join(tmpdir(), 'famichat-media-'));

/** Runs ffmpeg quietly and returns the file it wrote. */
function ffmpeg(args: string[], file: string): Buffer {
  execFileSync('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
  return readFileSync(file);
}

/** An animated GIF, 320×240, of ffmpeg's test pattern (1 s at 5 frames a second). */
export function animatedGif(filename = 'dancing.gif'): SampleFile {
  const file = join(work(), filename);
  return { bytes: ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=320x240:rate=5'], file), type: 'image/gif', filename };
}

/** A 2 s WebM video (VP8), 320×240 at 15 frames a second. */
export function video(filename = 'garden.webm'): SampleFile {
  const file = join(work(), filename);
  return { bytes: ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=15', '-c:v', 'libvpx', '-b:v', '300k'], file), type: 'video/webm', filename };
}

/** A 2 s voice message: a 440 Hz tone in Opus/WebM, as a browser's recorder makes one. */
export function voice(filename = 'voice-message.webm'): SampleFile {
  const file = join(work(), filename);
  return { bytes: ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libopus', '-vn'], file), type: 'audio/webm', filename, durationMs: 2000 };
}

/** A small PDF (a valid header, one empty page) of about `kilobytes` KB. */
export function pdf(filename: string, kilobytes = 24): SampleFile {
  const head = '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n';
  const padding = `%${'x'.repeat(Math.max(0, kilobytes * 1000 - head.length - 30))}\n`;
  return { bytes: Buffer.from(`${head}${padding}trailer << /Root 1 0 R >>\n%%EOF\n`), type: 'application/pdf', filename };
}

/** Uploads `file` as the holder of `token`; returns the Attachment the server answered. */
export async function upload(family: FamilyFixture, token: string, file: SampleFile): Promise<any> {
  const query = new URLSearchParams({ filename: file.filename, ...(file.durationMs === undefined ? {} : { duration_ms: String(file.durationMs) }) });
  const res = await fetch(`${family.server.url}/api/v1/uploads?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': file.type },
    body: new Uint8Array(file.bytes),
  });
  const text = await res.text();
  expect(res.status, `upload ${file.filename}: ${text}`).toBe(201);
  return (JSON.parse(text) as { data: unknown }).data;
}

/** Uploads `files` and sends them in one message to `conversationId` (with `body` as its caption); returns the message. */
export async function sendMedia(family: FamilyFixture, token: string, conversationId: string, files: SampleFile[], body = ''): Promise<any> {
  const ids: string[] = [];
  for (const file of files) ids.push((await upload(family, token, file)).id);
  return family.api('POST', `/conversations/${conversationId}/messages`, { body, attachment_ids: ids }, token);
}

// Media for tests: uploads through the real route, images made with sharp (with EXIF orientation and GPS
// when asked), a decompression-bomb PNG, and a media directory of the test file's own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import type { TestApp } from './app.js';

/** How {@link uploadFile} sends a file. */
export interface UploadOptions {
  /** The declared Content-Type (omitted when undefined). */
  type?: string;
  filename?: string;
  duration_ms?: number | string;
}

/**
 * POSTs `bytes` to `/api/v1/uploads` as `token` (none: anonymous); returns the inject response
 * (`res.statusCode`, `res.json()`, `res.headers`).
 */
export function uploadFile(app: TestApp | FastifyInstance, token: string | undefined, bytes: Buffer, options: UploadOptions = {}): Promise<LightMyRequestResponse> {
  const fastify = 'inject' in app ? app : app.app;
  const query = new URLSearchParams();
  if (options.filename !== undefined) query.set('filename', options.filename);
  if (options.duration_ms !== undefined) query.set('duration_ms', String(options.duration_ms));
  const qs = query.toString();
  return fastify.inject({
    method: 'POST',
    url: `/api/v1/uploads${qs ? `?${qs}` : ''}`,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.type !== undefined ? { 'content-type': options.type } : {}),
    },
    payload: bytes,
  });
}

/** GETs a (signed, relative) media URL without any Authorization header. */
export function fetchMedia(app: TestApp | FastifyInstance, url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> {
  const fastify = 'inject' in app ? app : app.app;
  return fastify.inject({ method, url, headers });
}

/** A picture of `width` × `height`: left half red, right half blue (so a rotation is visible in the pixels). */
function picture(width: number, height: number) {
  const half = Math.max(1, Math.floor(width / 2));
  return sharp({ create: { width, height, channels: 3, background: 'blue' } }).composite([
    { input: { create: { width: half, height, channels: 3, background: 'red' } }, left: 0, top: 0 },
  ]);
}

/**
 * A JPEG of `width` × `height` pixels as stored by a camera: with EXIF `orientation` (the pixels are then
 * shown turned) and a GPS position and camera make when `gps`.
 */
export async function jpeg(options: { width: number; height: number; orientation?: number; gps?: boolean }): Promise<Buffer> {
  let image = sharp(await picture(options.width, options.height).png().toBuffer()).jpeg({ quality: 90 });
  if (options.orientation !== undefined) image = image.withMetadata({ orientation: options.orientation });
  if (options.gps) {
    image = image.withExif({
      IFD0: { Make: 'TestPhone', Model: 'Secret Model' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    });
  }
  return image.toBuffer();
}

/** A PNG of `width` × `height` pixels. */
export async function png(options: { width: number; height: number }): Promise<Buffer> {
  return picture(options.width, options.height).png().toBuffer();
}

/** A GIF of `width` × `height` pixels with `frames` frames (animated when more than one). */
export async function gif(options: { width: number; height: number; frames?: number }): Promise<Buffer> {
  const colours = ['red', 'green', 'blue', 'yellow'];
  const frames = await Promise.all(
    Array.from({ length: options.frames ?? 1 }, (_, i) =>
      sharp({ create: { width: options.width, height: options.height, channels: 4, background: colours[i % colours.length]! } }).png().toBuffer(),
    ),
  );
  if (frames.length === 1) return sharp(frames[0]).gif().toBuffer();
  return sharp(frames, { join: { animated: true } }).gif({ delay: 100, loop: 0 }).toBuffer();
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG whose header claims `width` × `height` (a decompression bomb: a few hundred bytes on the wire). */
export function bombPng(width = 30_000, height = 30_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A media directory for this test file (removed after it): `FAMICHAT_MEDIA_DIR` for the app's env. */
export function mediaDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'famichat-media-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (relative paths), e.g. to check that nothing was left behind. */
export function filesUnder(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, prefix));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, path)).isDirectory() ? filesUnder(dir, path) : [path];
  });
}

/** Runs ffmpeg to make a small file `out.<ext>` from `args` (inputs and codecs); returns its bytes. */
function ffmpegMake(args: string[], ext: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'famichat-ffmpeg-'));
  try {
    const out = join(dir, `out.${ext}`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, out], { stdio: 'pipe' });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A test-pattern video of `seconds` (MP4/H.264 or WebM/VP8), `width` × `height`, with a sine tone; `rotate`
 * (MP4) records a display rotation, as phones do for portrait videos.
 */
export function video(options: { seconds: number; width: number; height: number; format: 'mp4' | 'webm'; rotate?: number }): Buffer {
  const codecs = options.format === 'mp4' ? ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] : ['-c:v', 'libvpx', '-c:a', 'libopus'];
  const made = ffmpegMake(
    ['-f', 'lavfi', '-i', `testsrc=size=${options.width}x${options.height}:rate=10`, '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(options.seconds), ...codecs],
    options.format,
  );
  if (options.rotate === undefined) return made;
  // The rotation is written only when remuxing (an encode applies it to the pixels instead).
  const dir = mkdtempSync(join(tmpdir(), 'famichat-ffmpeg-'));
  try {
    const input = join(dir, `in.${options.format}`);
    writeFileSync(input, made);
    return ffmpegMake(['-i', input, '-c', 'copy', '-metadata:s:v:0', `rotate=${options.rotate}`], options.format);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A voice-message-like recording of `seconds`: Opus in WebM or Ogg (what browsers record), AAC in MP4 (Safari), or PCM WAV. */
export function audio(options: { seconds: number; format: 'webm' | 'ogg' | 'm4a' | 'wav' }): Buffer {
  const codec = { m4a: ['-c:a', 'aac'], wav: ['-c:a', 'pcm_s16le'], webm: ['-c:a', 'libopus'], ogg: ['-c:a', 'libopus'] }[options.format];
  return ffmpegMake(['-f', 'lavfi', '-i', `sine=frequency=440:duration=${options.seconds}`, ...codec], options.format);
}

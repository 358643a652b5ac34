/**
 * Video and audio facts from `ffprobe`, and a video's poster frame from `ffmpeg`, when they are on PATH
 * (checked once per PATH). `FAMICHAT_FFMPEG=off` in the environment turns them off: videos then have no
 * poster and durations come from the client. Every child process runs under a timeout.
 * @module
 */
import { execFile } from 'node:child_process';

/** How long ffprobe or ffmpeg may run on one upload. */
export const FFMPEG_TIMEOUT_MS = 20_000;

/** What ffprobe tells about a media file. */
export interface MediaProbe {
  hasVideo: boolean;
  hasAudio: boolean;
  width: number | null;
  height: number | null;
  durationMs: number | null;
}

const available = new Map<string, Promise<boolean>>();

function run(command: string, args: string[], encoding: 'utf8' | 'buffer'): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: FFMPEG_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024, encoding, killSignal: 'SIGKILL' }, (error, stdout) => {
      if (error) reject(new Error(`${command} failed`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** Whether ffprobe and ffmpeg can be run (cached per PATH; false when `FAMICHAT_FFMPEG=off`). */
export function ffmpegAvailable(): Promise<boolean> {
  if (process.env.FAMICHAT_FFMPEG === 'off') return Promise.resolve(false);
  const key = process.env.PATH ?? '';
  let found = available.get(key);
  if (!found) {
    found = Promise.all([run('ffprobe', ['-version'], 'utf8'), run('ffmpeg', ['-version'], 'utf8')]).then(
      () => true,
      () => false,
    );
    available.set(key, found);
  }
  return found;
}

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

const positive = (n: number | undefined) => (typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null);

/** The streams, dimensions and duration of the media file at `path`, or null when ffprobe cannot read it. */
export async function probe(path: string): Promise<MediaProbe | null> {
  let output: string;
  try {
    output = (await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], 'utf8')) as string;
  } catch {
    return null;
  }
  const parsed = JSON.parse(output) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const seconds = Number(parsed.format?.duration ?? video?.duration ?? streams[0]?.duration);
  // A phone's portrait video is stored landscape with a rotation: report what a player shows.
  const rotation = Math.abs(Number(video?.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video?.tags?.rotate ?? 0));
  const turned = rotation === 90 || rotation === 270;
  const width = positive(video?.width);
  const height = positive(video?.height);
  return {
    hasVideo: video !== undefined,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    width: turned ? height : width,
    height: turned ? width : height,
    durationMs: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null,
  };
}

/** The first frame of the video at `path` as PNG bytes, or null when ffmpeg cannot produce one. */
export async function posterFrame(path: string): Promise<Buffer | null> {
  try {
    const frame = (await run('ffmpeg', ['-v', 'error', '-ss', '0', '-i', path, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'png', 'pipe:1'], 'buffer')) as Buffer;
    return frame.length > 0 ? frame : null;
  } catch {
    return null;
  }
}

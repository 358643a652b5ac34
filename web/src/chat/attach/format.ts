// Pure helpers of the attach controls: sizes and lengths as people read them, how many messages a pick becomes,
// the voice recording's type and file name, and why the microphone could not start.

/** Files one message can carry (the API's limit). */
export const MAX_FILES_PER_MESSAGE = 10;

/** A size as people read it: "820 bytes", "14 KB", "3.4 MB", "1.2 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`;
}

/** A length as a timer shows it: m:ss ("0:07", "12:30"). */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The messages a pick of files goes out as: at most {@link MAX_FILES_PER_MESSAGE} each, in order. */
export function batches<T>(files: readonly T[], size = MAX_FILES_PER_MESSAGE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < files.length; i += size) out.push(files.slice(i, i + size));
  return out;
}

/** Whether a type is an image the browser can show as a thumbnail. */
export function isPreviewable(type: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(type);
}

/** The recording type to ask MediaRecorder for: Opus in WebM where supported, else AAC in MP4 (Safari), else the browser's own. */
export function recordingType(isTypeSupported: (type: string) => boolean): string | undefined {
  return ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4'].find((type) => isTypeSupported(type));
}

/** A voice message's file name from when it was recorded and its type: "Voice message 2026-12-01 14-05.webm". */
export function voiceFilename(at: Date, type: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const ext = type.includes('mp4') || type.includes('aac') ? 'm4a' : type.includes('ogg') ? 'ogg' : 'webm';
  return `Voice message ${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}-${pad(at.getMinutes())}.${ext}`;
}

/** Why recording could not start, from getUserMedia's error name, as the composer says it. */
export function microphoneError(name: string | undefined): string {
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return "Famichat may not use your microphone. Allow it in your browser's site settings, then try again.";
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one and try again.';
    case 'NotReadableError':
      return 'The microphone is busy in another app. Close it there and try again.';
    case 'Unsupported':
      return 'This browser cannot record voice messages.';
    default:
      return 'The microphone could not be started. Try again.';
  }
}

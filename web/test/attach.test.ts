// The attach controls' pure helpers: sizes and lengths as people read them, how a pick of files splits into
// messages of at most 10, the recording type and the voice message's file name, the microphone's error messages.
import { describe, expect, it } from 'vitest';
import { MAX_FILES_PER_MESSAGE, batches, formatBytes, formatDuration, isPreviewable, microphoneError, recordingType, voiceFilename } from '../src/chat/attach/format';

describe('attach helpers', () => {
  it('formats sizes in bytes, KB, MB and GB', () => {
    expect([1, 820, 14_200, 3_400_000, 20_000_000, 1_234_000_000].map(formatBytes)).toEqual(['1 byte', '820 bytes', '14 KB', '3.4 MB', '20 MB', '1.2 GB']);
  });

  it('formats a recording as m:ss', () => {
    expect([0, 999, 7_400, 65_000, 750_000, -5].map(formatDuration)).toEqual(['0:00', '0:00', '0:07', '1:05', '12:30', '0:00']);
  });

  it('splits more than 10 files into several messages, in order', () => {
    const files = Array.from({ length: 23 }, (_, i) => i);
    expect(MAX_FILES_PER_MESSAGE).toBe(10);
    expect(batches(files).map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches(files).flat()).toEqual(files);
    expect(batches([])).toEqual([]);
  });

  it('previews only images a browser draws', () => {
    expect(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'image/heic', 'video/mp4', ''].map(isPreviewable)).toEqual([true, true, true, true, false, false, false, false]);
  });

  it('records Opus in WebM where supported, else AAC in MP4 (Safari), else what the browser has', () => {
    expect(recordingType(() => true)).toBe('audio/webm;codecs=opus');
    expect(recordingType((t) => t === 'audio/mp4')).toBe('audio/mp4');
    expect(recordingType(() => false)).toBeUndefined();
  });

  it("names a voice message by when it was recorded, with its type's extension", () => {
    const at = new Date(2026, 11, 1, 14, 5, 33);
    expect(voiceFilename(at, 'audio/webm;codecs=opus')).toBe('Voice message 2026-12-01 14-05.webm');
    expect(voiceFilename(at, 'audio/mp4')).toBe('Voice message 2026-12-01 14-05.m4a');
    expect(voiceFilename(at, 'audio/ogg;codecs=opus')).toBe('Voice message 2026-12-01 14-05.ogg');
  });

  it('says why the microphone could not start', () => {
    expect(microphoneError('NotAllowedError')).toMatch(/may not use your microphone/);
    expect(microphoneError('NotFoundError')).toBe('No microphone was found. Connect one and try again.');
    expect(microphoneError('NotReadableError')).toMatch(/busy/);
    expect(microphoneError('Unsupported')).toBe('This browser cannot record voice messages.');
    expect(microphoneError(undefined)).toBe('The microphone could not be started. Try again.');
  });
});

/**
 * What an upload is, from its first bytes (magic numbers, via `file-type`), never from its name or declared
 * type: an image the server can process, a video, an audio recording, or any other file.
 * @module
 */
import { fileTypeFromBuffer } from 'file-type';

/** The kinds of attachment. */
export type AttachmentKind = 'image' | 'video' | 'audio' | 'file';

/** How many leading bytes the detection reads (what file-type reads from a stream). */
export const SNIFF_BYTES = 4100;

/** An upload's kind and media type as detected from its content. */
export interface DetectedType {
  kind: AttachmentKind;
  /** The media type it is stored and served with. */
  mime: string;
  /** The usual file-name extension, without the dot (for a default file name), when known. */
  ext: string | null;
  /**
   * For a container that holds video or sound alone (WebM, MP4, Ogg, ...), its video and audio media types:
   * `kind` is a guess from the declared type until ffprobe says whether it has a video stream.
   */
  container: { video: string; audio: string } | null;
}

/** Images the image library reads and browsers show (HEIC is not among them: this libvips cannot read it). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

/** Containers that carry audio alone as often as video, and the audio media type of each. */
const AUDIO_OF_CONTAINER: Record<string, string> = {
  'video/webm': 'audio/webm',
  'video/mp4': 'audio/mp4',
  'video/quicktime': 'audio/mp4',
  'video/x-m4v': 'audio/mp4',
  'video/ogg': 'audio/ogg',
  'video/matroska': 'audio/x-matroska',
  'video/3gpp': 'audio/3gpp',
  'video/3gpp2': 'audio/3gpp2',
};

/** Non-standard names file-type reports, as browsers know them. */
const CANONICAL: Record<string, string> = {
  'audio/x-m4a': 'audio/mp4',
  'audio/ogg; codecs=opus': 'audio/ogg',
};

/**
 * The kind and media type of content starting with `head`. A container that may be audio alone is
 * `audio` when the declared type says so (ffprobe, when present, decides later).
 */
export async function detectType(head: Uint8Array, declaredType: string | undefined): Promise<DetectedType> {
  const found = head.length > 0 ? await fileTypeFromBuffer(head) : undefined;
  if (!found) return { kind: 'file', mime: 'application/octet-stream', ext: null, container: null };
  const mime = CANONICAL[found.mime] ?? found.mime;
  if (IMAGE_TYPES.has(mime)) return { kind: 'image', mime, ext: found.ext, container: null };
  const audioMime = AUDIO_OF_CONTAINER[mime];
  if (audioMime !== undefined) {
    const container = { video: mime, audio: audioMime };
    return /^audio\//i.test(declaredType ?? '')
      ? { kind: 'audio', mime: audioMime, ext: found.ext, container }
      : { kind: 'video', mime, ext: found.ext, container };
  }
  if (mime.startsWith('video/')) return { kind: 'video', mime, ext: found.ext, container: null };
  if (mime.startsWith('audio/')) return { kind: 'audio', mime, ext: found.ext, container: null };
  return { kind: 'file', mime, ext: found.ext, container: null };
}

/** An ambiguous container's type once it is known whether it has a video stream (other types unchanged). */
export function withVideoStream(type: DetectedType, hasVideo: boolean): DetectedType {
  if (!type.container) return type;
  return hasVideo ? { ...type, kind: 'video', mime: type.container.video } : { ...type, kind: 'audio', mime: type.container.audio };
}

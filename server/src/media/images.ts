/**
 * Image processing with sharp (libvips): the stored copy has its orientation applied and its metadata (EXIF,
 * GPS, XMP) removed, in the upload's own format; the thumbnail is a WebP at most 640 px on its longer side.
 * Decompression bombs are refused from the header (`limitInputPixels`), before any pixel is decoded.
 * @module
 */
import type { Sharp, SharpOptions } from 'sharp';
import sharp from 'sharp';
import { validationFailed } from '../errors.js';

// Every upload is a new image: libvips's operation cache would only hold memory (sharp caches 50 MB by default).
sharp.cache(false);

/** The longer side of a thumbnail, at most. */
export const THUMBNAIL_MAX_PX = 640;

/** The media type of every thumbnail. */
export const THUMBNAIL_MIME = 'image/webp';

/** A processed image: the bytes to store, their dimensions, and the thumbnail. */
export interface ProcessedImage {
  data: Buffer;
  width: number;
  height: number;
  thumbnail: Buffer;
}

/** Thrown when the bytes carry an image's magic number but the image library cannot decode them. */
export class UndecodableImage extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The image cannot be decoded.', options);
    this.name = 'UndecodableImage';
  }
}

/** Formats that may hold several frames (kept animated). */
const ANIMATED = new Set(['image/gif', 'image/webp']);

/** Encodes `image` in the format of `mime` (the upload's own). */
function encode(image: Sharp, mime: string): Sharp {
  switch (mime) {
    case 'image/png':
      return image.png();
    case 'image/webp':
      return image.webp({ quality: 85 });
    case 'image/gif':
      return image.gif();
    case 'image/avif':
      return image.avif({ quality: 60, effort: 2 });
    default:
      return image.jpeg({ quality: 85 });
  }
}

/** Thumbnail of a video poster or any image file: at most {@link THUMBNAIL_MAX_PX} on its longer side, WebP. */
export function thumbnailOf(input: string | Buffer, maxPixels: number): Promise<Buffer> {
  return sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
    .rotate()
    .resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
}

/**
 * Processes the image file at `path` (of media type `mime`).
 * @throws {AppError} `validation_failed` for an image larger than `maxPixels` (width × height).
 * @throws {UndecodableImage} when the bytes do not decode as an image.
 */
export async function processImage(path: string, mime: string, maxPixels: number): Promise<ProcessedImage> {
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'error' };
  try {
    const animated = ANIMATED.has(mime) && ((await sharp(path, options).metadata()).pages ?? 1) > 1;
    // Orientation is applied to still images; an animation's frames have no EXIF orientation to apply.
    const base = animated ? sharp(path, { ...options, animated: true }) : sharp(path, options).rotate();
    const [stored, thumbnail] = await Promise.all([
      encode(base.keepIccProfile(), mime).toBuffer({ resolveWithObject: true }),
      thumbnailOf(path, maxPixels),
    ]);
    const height = animated ? (stored.info.pageHeight ?? stored.info.height) : stored.info.height;
    return { data: stored.data, width: stored.info.width, height, thumbnail };
  } catch (error) {
    if (error instanceof Error && /exceeds pixel limit/i.test(error.message)) {
      throw validationFailed(
        { body: `is an image larger than ${maxPixels} pixels` },
        `The image is too large to process (at most ${maxPixels} pixels, width × height).`,
      );
    }
    throw new UndecodableImage({ cause: error });
  }
}

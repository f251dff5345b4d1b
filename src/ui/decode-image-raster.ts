import type { LoadedImage } from '../state/result-slice';
import { declaredSize, diagnose, HEAD_BYTES, MAX_FILE_BYTES, sniffFormat } from './image-format';

/** Pictures above this many pixels are scaled down before anything else touches them. */
export const MAX_PIXELS = 50_000_000;

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

/** The first and last bytes of a file, which tell empty, too large, undecodable and truncated files apart. */
export async function fileEnds(blob: Blob): Promise<{ head: Uint8Array; tail: Uint8Array }> {
  if (blob.size > MAX_FILE_BYTES) return { head: new Uint8Array(), tail: new Uint8Array() };
  const [head, tail] = await Promise.all([blob.slice(0, HEAD_BYTES).arrayBuffer(), blob.slice(Math.max(0, blob.size - 64)).arrayBuffer()]);
  return { head: new Uint8Array(head), tail: new Uint8Array(tail) };
}

/** What the user sees while a picture decodes, e.g. `decoding "photo.jpg" (6000×4000)…`. */
export function decodingStatus(name: string, size: number, head: Uint8Array): string {
  const dims = declaredSize(head);
  if (dims !== null && dims[0] > 0 && dims[1] > 0) return `decoding "${name}" (${dims[0]}×${dims[1]})…`;
  return `decoding "${name}" (${size < 2 ** 20 ? `${Math.ceil(size / 1024)} KB` : `${(size / 2 ** 20).toFixed(1)} MB`})…`;
}

/**
 * Decodes a raster picture (PNG, JPEG, GIF, WebP, BMP, AVIF, ICO) with createImageBitmap and an
 * OffscreenCanvas, both of which a Worker has: EXIF orientation applied by the browser, scaled to
 * at most 50 MP, returned as RGBA pixels. Every failure is an ImageDecodeError that names the file.
 */
export async function decodeRaster(blob: Blob, name: string, onStatus: (status: string) => void): Promise<LoadedImage> {
  const { head, tail } = await fileEnds(blob);
  const problem = diagnose(name, blob.size, head, tail);
  if (problem !== null) throw new ImageDecodeError(problem);
  const format = sniffFormat(head);
  onStatus(decodingStatus(name, blob.size, head));
  const couldNot = (error: unknown) => new ImageDecodeError(`"${name}" is a ${format} file the browser could not decode (${error instanceof Error ? error.message : String(error)}); it may be damaged`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    throw couldNot(error);
  }
  const { width, height } = bitmap;
  const target = fitPixelBudget(width, height, MAX_PIXELS);
  try {
    if (target[0] !== width) {
      bitmap.close();
      onStatus(`scaling "${name}" down from ${width}×${height} to ${target[0]}×${target[1]}…`);
      bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', resizeWidth: target[0], resizeHeight: target[1], resizeQuality: 'high' });
    }
    const pixels = bitmapPixels(bitmap);
    return { name, pixels, ...(target[0] !== width ? { downscaledFrom: [width, height] as const } : {}) };
  } catch (error) {
    throw error instanceof ImageDecodeError ? error : couldNot(error);
  } finally {
    bitmap.close();
  }
}

/** The largest size with the same aspect ratio and at most `budget` pixels (the size itself if it fits). */
export function fitPixelBudget(width: number, height: number, budget: number): [number, number] {
  if (width * height <= budget) return [width, height];
  const scale = Math.sqrt(budget / (width * height));
  const tall = Math.max(1, Math.floor(height * scale));
  // A side clamped to one pixel must not push the other over the budget (either way round).
  const w = Math.max(1, Math.min(Math.floor(width * scale), Math.floor(budget / tall)));
  return [w, Math.max(1, Math.min(tall, Math.floor(budget / w)))];
}

/** RGBA pixels of a bitmap (drawn on an OffscreenCanvas, available in the page and in Workers). */
export function bitmapPixels(bitmap: ImageBitmap): LoadedImage['pixels'] {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { width: bitmap.width, height: bitmap.height, channels: 4, data };
}

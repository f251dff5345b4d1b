import type { LoadedImage } from '../state/result-slice';
import { diagnose, MAX_FILE_BYTES, sniffFormat } from './image-format';

/** Pictures above this many pixels are scaled down before anything else touches them. */
export const MAX_PIXELS = 50_000_000;

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

/**
 * Decodes a picture in the page (never uploaded): EXIF orientation applied by
 * the browser, scaled to at most 50 MP, returned as RGBA pixels.
 */
export async function decodeImage(blob: Blob, name: string): Promise<LoadedImage> {
  // The first and last bytes tell empty, too large, undecodable and truncated files apart.
  const head = blob.size > MAX_FILE_BYTES ? new Uint8Array() : new Uint8Array(await blob.slice(0, 512).arrayBuffer());
  const tail = blob.size > MAX_FILE_BYTES ? new Uint8Array() : new Uint8Array(await blob.slice(Math.max(0, blob.size - 64)).arrayBuffer());
  const problem = diagnose(name, blob.size, head, tail);
  if (problem !== null) throw new ImageDecodeError(problem);
  let bitmap: ImageBitmap;
  try {
    bitmap = sniffFormat(head) === 'SVG' ? await rasteriseSvg(blob, name) : await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`"${name}" is a ${sniffFormat(head)} file the browser could not decode (${error instanceof Error ? error.message : String(error)}); it may be damaged`);
  }
  const { width, height } = bitmap;
  const target = fitPixelBudget(width, height, MAX_PIXELS);
  if (target[0] !== width) {
    bitmap.close();
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', resizeWidth: target[0], resizeHeight: target[1], resizeQuality: 'high' });
  }
  const pixels = bitmapPixels(bitmap);
  bitmap.close();
  return { name, pixels, ...(target[0] !== width ? { downscaledFrom: [width, height] as const } : {}) };
}

/** Side of an SVG drawing that states no size of its own. */
const SVG_DEFAULT_SIDE = 1024;

/**
 * Rasterises an SVG drawing at its own size (or 1024 px when it has none) through
 * an <img>, which renders it without running its scripts.
 */
async function rasteriseSvg(blob: Blob, name: string): Promise<ImageBitmap> {
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    try {
      await img.decode();
    } catch {
      throw new ImageDecodeError(`"${name}" is an SVG drawing the browser could not render (is it well-formed XML?)`);
    }
    const width = img.naturalWidth || SVG_DEFAULT_SIDE;
    const height = img.naturalHeight || Math.round((SVG_DEFAULT_SIDE * (img.naturalHeight || 3)) / (img.naturalWidth || 4));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(img, 0, 0, width, height);
    return canvas.transferToImageBitmap();
  } finally {
    URL.revokeObjectURL(url);
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

/** A frame of a playing video (the webcam still). */
export function videoFrame(video: HTMLVideoElement, name: string): LoadedImage {
  if (video.videoWidth === 0) throw new ImageDecodeError('the camera has not delivered a frame yet; try again');
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
  ctx.drawImage(video, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { name, pixels: { width: canvas.width, height: canvas.height, channels: 4, data } };
}

function bitmapPixels(bitmap: ImageBitmap): LoadedImage['pixels'] {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  return { width: bitmap.width, height: bitmap.height, channels: 4, data };
}

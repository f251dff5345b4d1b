import type { LoadedImage } from '../state/result-slice';

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
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    throw new ImageDecodeError(`"${name}" could not be read as an image (${error instanceof Error ? error.message : String(error)}); try a PNG, JPEG or WebP file`);
  }
  const { width, height } = bitmap;
  const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (width * height)));
  if (scale < 1) {
    bitmap.close();
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', resizeWidth: Math.floor(width * scale), resizeHeight: Math.floor(height * scale), resizeQuality: 'high' });
  }
  const pixels = bitmapPixels(bitmap);
  bitmap.close();
  return { name, pixels, ...(scale < 1 ? { downscaledFrom: [width, height] as const } : {}) };
}

/** A frame of a playing video (the webcam still). */
export function videoFrame(video: HTMLVideoElement, name: string): LoadedImage {
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

import { PNG } from 'pngjs';
import { encodePng as encodePixels } from '../src/viz/png';
import jpeg from 'jpeg-js';
import exifr from 'exifr';
import type { RgbImage } from '../src/segmenter/types';

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

/** Decoded images above this many pixels are refused before any work is done. */
export const MAX_PIXELS = 100_000_000;

/**
 * Decodes PNG or JPEG bytes to RGB, honouring the EXIF orientation as
 * detectron2's `read_image` does (spec 2.1 step 1).
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<RgbImage> {
  if (bytes.byteLength === 0) throw new ImageDecodeError(`${name} is empty (0 bytes)`);
  if (isPng(bytes)) return decodePng(bytes, name);
  if (isJpeg(bytes)) return applyOrientation(decodeJpeg(bytes, name), await readOrientation(bytes));
  throw new ImageDecodeError(`${name} is not a PNG or JPEG image (unrecognised header)`);
}

function isPng(b: Uint8Array): boolean {
  return b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(`${name} is a broken PNG: ${(e as Error).message}`);
  }
  checkSize(png.width, png.height, name);
  return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  try {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048, maxResolutionInMP: MAX_PIXELS / 1e6 });
    checkSize(img.width, img.height, name);
    return { width: img.width, height: img.height, channels: 4, data: img.data };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(`${name} is a broken JPEG: ${(e as Error).message}`);
  }
}

function checkSize(width: number, height: number, name: string): void {
  if (width <= 0 || height <= 0) throw new ImageDecodeError(`${name} has no pixels (${width}x${height})`);
  if (width * height > MAX_PIXELS) {
    throw new ImageDecodeError(`${name} is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} MP); the limit is ${MAX_PIXELS / 1e6} MP`);
  }
}

async function readOrientation(bytes: Uint8Array): Promise<number> {
  try {
    return (await exifr.orientation(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) ?? 1;
  } catch {
    return 1;
  }
}

/** EXIF orientations 2-8: mirror and/or rotate so the image stands as photographed. */
export function applyOrientation(image: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, channels: c, data } = image;
  const transposed = orientation >= 5;
  const outW = transposed ? h : w;
  const outH = transposed ? w : h;
  const out = new Uint8Array(outW * outH * c);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const [sx, sy] = sourcePixel(orientation, x, y, w, h);
      const src = (sy * w + sx) * c;
      const dst = (y * outW + x) * c;
      for (let k = 0; k < c; k++) out[dst + k] = data[src + k];
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

function sourcePixel(o: number, x: number, y: number, w: number, h: number): [number, number] {
  switch (o) {
    case 2: return [w - 1 - x, y];
    case 3: return [w - 1 - x, h - 1 - y];
    case 4: return [x, h - 1 - y];
    case 5: return [y, x];
    case 6: return [y, h - 1 - x];
    case 7: return [w - 1 - y, h - 1 - x];
    default: return [w - 1 - y, x];
  }
}

/** RGB or RGBA pixels -> PNG bytes (the encoder the app's exports use). */
export function encodePng(image: RgbImage): Uint8Array {
  return encodePixels(image.width, image.height, image.data, image.channels);
}

import { PNG } from 'pngjs';
import { encodePng as encodePixels } from '../src/viz/png';
import jpeg from 'jpeg-js';
import exifr from 'exifr';
import type { RgbImage } from '../src/segmenter/types';
import { declaredSize } from '../src/ui/image-format';

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

/** Deflate's largest expansion (a run of one byte): compressed data can never justify more. */
const DEFLATE_MAX_RATIO = 1032;
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Checks IHDR's size against the pixel limit and against the compressed data present,
 * before the decoder (and zlib, natively) allocates for the declared size.
 */
function checkPngHeader(bytes: Uint8Array, name: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isChunk = (p: number, type: string) => p + 8 <= bytes.byteLength && String.fromCharCode(...bytes.subarray(p + 4, p + 8)) === type;
  if (!isChunk(8, 'IHDR') || bytes.byteLength < 33) throw new ImageDecodeError(`${name} is a broken PNG: it does not start with an image header (IHDR)`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  checkSize(width, height, name);
  const bitsPerPixel = (PNG_CHANNELS[bytes[25]] ?? 1) * bytes[24];
  const rawBytes = height * (1 + Math.ceil((width * bitsPerPixel) / 8));
  let compressed = 0;
  for (let p = 8; p + 12 <= bytes.byteLength; p += 12 + view.getUint32(p)) {
    if (isChunk(p, 'IDAT')) compressed += view.getUint32(p);
  }
  if (rawBytes > DEFLATE_MAX_RATIO * compressed + 1024) {
    throw new ImageDecodeError(
      `${name} is a broken PNG: its header declares ${width}x${height} pixels, but it holds only ${compressed} bytes of image data (truncated or damaged)`,
    );
  }
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  checkPngHeader(bytes, name);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(`${name} is a broken PNG: ${libraryReason(e)}`);
  }
  checkSize(png.width, png.height, name);
  return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/**
 * A Huffman-coded JPEG spends at least one bit on each 8x8 block's DC coefficient of its
 * full-resolution component (DC values are never run-length coded), so it holds at most
 * 512 pixels per byte. jpeg-js allocates the declared frame before reading the scans: a few
 * bytes declaring a large frame would cost seconds and hundreds of MB.
 */
const JPEG_MAX_PIXELS_PER_BYTE = 512;

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  const declared = declaredSize(bytes);
  if (declared !== null && declared[0] * declared[1] > JPEG_MAX_PIXELS_PER_BYTE * bytes.byteLength) {
    throw new ImageDecodeError(`${name} is a broken JPEG: its header declares ${declared[0]}x${declared[1]} pixels, more than its ${bytes.byteLength} bytes can hold (truncated or damaged?)`);
  }
  try {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048, maxResolutionInMP: MAX_PIXELS / 1e6 });
    checkSize(img.width, img.height, name);
    return { width: img.width, height: img.height, channels: 4, data: img.data };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(`${name} is a broken JPEG: ${libraryReason(e)}`);
  }
}

/**
 * The decoder's own complaint ("invalid signature", "marker was not found"); a
 * TypeError or RangeError from inside the decoder only says the data is damaged.
 */
function libraryReason(error: unknown): string {
  if (error instanceof TypeError || error instanceof RangeError || !(error instanceof Error)) {
    return 'its data is damaged or truncated';
  }
  return error.message;
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

import { encode } from 'fast-png';

/**
 * Encodes 8-bit RGB or RGBA pixels as a PNG with fast-png, which runs the same in the
 * browser and in Node, so exports and the CLI share it; the canvas's own encoder is
 * not used because exports must be bit-exact.
 */
export function encodePng(width: number, height: number, data: Uint8Array | Uint8ClampedArray, channels: 3 | 4): Uint8Array {
  if (data.length !== width * height * channels) throw new RangeError(`expected ${width * height * channels} bytes, got ${data.length}`);
  return encode({ width, height, data, channels, depth: 8 });
}

/** An RGBA image with the same fields as the DOM's ImageData, so that Node code can make one. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decoded pixels, RGB or RGBA, row-major. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

export type Rgb = readonly [number, number, number];

/** Colours indexed by id: entry i is bytes 3i..3i+2. */
export type ColourTable = Uint8Array;

export function rgbaImage(width: number, height: number): RgbaImage {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

/** Source coordinate sampled by each of `n` output pixels along a side of `size` (nearest neighbour, pixel centres). */
export function nearestSampling(n: number, size: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => Math.min(size - 1, Math.floor(((i + 0.5) * size) / n)));
}

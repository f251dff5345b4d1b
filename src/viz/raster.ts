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

import type { ColourTable, Pixels, RgbaImage } from './raster';
import { rgbaImage } from './raster';
import { HIDDEN_REGION } from './segment-views';

export interface OverlayOptions {
  /** 0 shows the photo, 1 only the segment colours. */
  readonly opacity: number;
  /** Outline segment boundaries in white. */
  readonly contours: boolean;
}

/**
 * Blends segment colours over the photo: `round(photo·(1−a) + colour·a)` on
 * every pixel with a segment. Void (id 0, no segment) is marked, never shown as
 * the photo: `voidMark`; a hidden region (HIDDEN_REGION) shows the photo. Contour pixels (a 4-neighbour below or right in
 * another segment, either side) are white.
 */
export function panopticOverlay(photo: Pixels, ids: Int32Array, colours: ColourTable, options: OverlayOptions): RgbaImage {
  const { width, height } = photo;
  if (ids.length !== width * height) throw new RangeError(`panoptic map has ${ids.length} pixels, photo ${width}x${height}`);
  const out = rgbaImage(width, height);
  const a = Math.min(1, Math.max(0, options.opacity));
  const edge = options.contours ? boundaries(ids, width, height) : undefined;
  for (let p = 0; p < ids.length; p++) {
    const src = p * photo.channels;
    const dst = p * 4;
    const id = ids[p];
    if (edge?.[p] === 1) {
      out.data.fill(255, dst, dst + 4);
      continue;
    }
    if (id === HIDDEN_REGION) {
      for (let c = 0; c < 3; c++) out.data[dst + c] = photo.data[src + c];
      out.data[dst + 3] = 255;
      continue;
    }
    for (let c = 0; c < 3; c++) {
      const base = photo.data[src + c];
      out.data[dst + c] = Math.round(base * (1 - a) + colours[id * 3 + c] * a);
    }
    out.data[dst + 3] = 255;
    if (id === 0) voidMark(out.data, dst, photo.data, src, p % width, Math.floor(p / width));
  }
  return out;
}

/** Period, in pixels, of the diagonal hatching on void. */
const HATCH = 6;

/**
 * Void pixel (x, y): the photo pushed towards black if it is bright, towards
 * white if dark (so it always differs from the photo), more on every
 * `HATCH`-th diagonal, so that void reads as hatched in any view.
 */
export function voidMark(out: Uint8ClampedArray, dst: number, photo: ArrayLike<number>, src: number, x: number, y: number): void {
  const strength = (x + y) % HATCH < 2 ? 0.7 : 0.45;
  const bright = photo[src] * 0.299 + photo[src + 1] * 0.587 + photo[src + 2] * 0.114 > 127;
  for (let c = 0; c < 3; c++) {
    const base = photo[src + c];
    out[dst + c] = Math.round(bright ? base * (1 - strength) : base + (255 - base) * strength);
  }
}

/** 1 where a pixel and its right or lower neighbour belong to different segments (both marked). */
export function boundaries(ids: Int32Array, width: number, height: number): Uint8Array {
  const edge = new Uint8Array(ids.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width && ids[p] !== ids[p + 1]) edge[p] = edge[p + 1] = 1;
      if (y + 1 < height && ids[p] !== ids[p + width]) edge[p] = edge[p + width] = 1;
    }
  }
  return edge;
}

/**
 * A layer drawn over the overlay while one region is hovered: transparent on
 * the region, black at `dim` alpha (0..1) everywhere else, so the region stands out.
 */
export function highlightLayer(ids: Int32Array, width: number, height: number, id: number, dim: number): RgbaImage {
  if (ids.length !== width * height) throw new RangeError(`id map has ${ids.length} pixels, expected ${width}x${height}`);
  const out = rgbaImage(width, height);
  const alpha = Math.round(Math.min(1, Math.max(0, dim)) * 255);
  for (let p = 0; p < ids.length; p++) if (ids[p] !== id) out.data[p * 4 + 3] = alpha;
  return out;
}

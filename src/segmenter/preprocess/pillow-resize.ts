import type { RgbImage } from '../types';

/**
 * Pillow 9 `Image.resize(size, BILINEAR)` on an 8-bit RGB image, bit for bit: the
 * resampling PT's checkpoints were evaluated with (detectron2 `ResizeTransform`,
 * spec 2.1 step 2, T26). Written by hand because no library reproduces Pillow exactly:
 * Pillow widens the triangle filter by the scale when shrinking (anti-aliasing),
 * quantises the weights to fixed point and rounds each pass back to uint8, which
 * canvas, tfjs and sharp all do differently.
 */

/** Fixed-point fraction bits of Pillow's 8-bit resampler (32 - 8 - 2). */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_ABOVE = 256 << PRECISION_BITS;

/** Pillow's per-output-pixel filter taps along one axis. */
interface Taps {
  /** Taps per output pixel (some trailing ones are unused). */
  readonly size: number;
  /** First input index per output pixel. */
  readonly start: Int32Array;
  /** Used taps per output pixel. */
  readonly count: Int32Array;
  /** Fixed-point weights, `size` per output pixel. */
  readonly weights: Int32Array;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc`, in the same double arithmetic. */
function precomputeTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the bilinear filter's support is 1
  const size = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const k = new Float64Array(size);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C casts truncate toward zero.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let i = 0; i < n; i++) {
      k[i] = triangle((i + lo - center + 0.5) / filterScale);
      total += k[i];
    }
    for (let i = 0; i < n; i++) {
      const w = total !== 0 ? k[i] / total : k[i];
      weights[o * size + i] = Math.trunc(w < 0 ? w * (1 << PRECISION_BITS) - 0.5 : w * (1 << PRECISION_BITS) + 0.5);
    }
    start[o] = lo;
    count[o] = n;
  }
  return { size, start, count, weights };
}

function clip8(v: number): number {
  if (v >= CLIP_ABOVE) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** One separable pass: along each row (`horizontal`) or each column; writes packed RGB. */
function resamplePass(
  src: Uint8Array | Uint8ClampedArray,
  srcChannels: number,
  dst: Uint8Array,
  outer: number,
  outSize: number,
  taps: Taps,
  horizontal: boolean,
  srcRowBytes: number,
): void {
  const dstRowBytes = (horizontal ? outSize : outer) * 3;
  for (let a = 0; a < outer; a++) {
    for (let o = 0; o < outSize; o++) {
      const first = taps.start[o];
      const n = taps.count[o];
      const w0 = o * taps.size;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < n; i++) {
        const w = taps.weights[w0 + i];
        const p = horizontal ? a * srcRowBytes + (first + i) * srcChannels : (first + i) * srcRowBytes + a * srcChannels;
        r += src[p] * w;
        g += src[p + 1] * w;
        b += src[p + 2] * w;
      }
      const q = horizontal ? a * dstRowBytes + o * 3 : o * dstRowBytes + a * 3;
      dst[q] = clip8(r);
      dst[q + 1] = clip8(g);
      dst[q + 2] = clip8(b);
    }
  }
}

/**
 * Resize to `height` x `width`, returning packed RGB. An alpha channel is dropped
 * first, as detectron2's `read_image` (`convert("RGB")`) does. Pillow's order:
 * horizontal pass, then vertical, each skipped when that side keeps its size.
 */
export function pillowBilinearResize(image: RgbImage, height: number, width: number): Uint8Array {
  let data: Uint8Array | Uint8ClampedArray = image.data;
  let channels: number = image.channels;
  let rowBytes = image.width * channels;
  if (width !== image.width) {
    const out = new Uint8Array(image.height * width * 3);
    resamplePass(data, channels, out, image.height, width, precomputeTaps(image.width, width), true, rowBytes);
    [data, channels, rowBytes] = [out, 3, width * 3];
  }
  if (height !== image.height) {
    const out = new Uint8Array(height * width * 3);
    resamplePass(data, channels, out, width, height, precomputeTaps(image.height, height), false, rowBytes);
    data = out;
  }
  return data === image.data ? toRgb(image) : (data as Uint8Array);
}

/** The image's own pixels as packed RGB (a copy). */
function toRgb(image: RgbImage): Uint8Array {
  if (image.channels === 3) return Uint8Array.from(image.data);
  const pixels = image.width * image.height;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[p * 3] = image.data[p * 4];
    rgb[p * 3 + 1] = image.data[p * 4 + 1];
    rgb[p * 3 + 2] = image.data[p * 4 + 2];
  }
  return rgb;
}

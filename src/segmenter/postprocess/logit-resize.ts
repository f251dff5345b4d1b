import * as tf from '@tensorflow/tfjs-core';

/**
 * PT maps the stride-4 mask logits back in two bilinear steps (spec 2.1 step 5, T28):
 * upsample to the padded input size, crop `[:cropH, :cropW]`, resize the crop to the
 * original size, with align_corners = (padded width odd) for both (T21). Bilinear
 * resizes are separable and linear, so along the rows the two steps compose into one
 * map with at most 4 low-resolution taps per output row. A strip of output rows is
 * therefore a small band of low-resolution rows times a weight matrix, followed by the
 * two steps along the columns; no K x H x W tensor is ever held (T35).
 */

/** The composed map along one axis: output i = sum_t weight[t][i] * input[index[t][i]]. */
export interface AxisTaps {
  /** One index array per tap, each with one entry per output position. */
  readonly index: readonly Int32Array[];
  readonly weight: readonly Float32Array[];
}

/** One PyTorch bilinear step along an axis: two source indices and their weights. */
interface LinearStep {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

const f32 = Math.fround;

/**
 * PyTorch `upsample_bilinear2d` source indices and weights (CPU kernel, float32):
 * align_corners: `src = (in-1)/(out-1) * dst`; otherwise `src = in/out * (dst + 0.5) - 0.5`,
 * clamped at 0; the right neighbour is clamped to the last input.
 */
function bilinearStep(inSize: number, outSize: number, alignCorners: boolean): LinearStep {
  const scale = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : f32(inSize / outSize);
  const step = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    w0: new Float32Array(outSize),
    w1: new Float32Array(outSize),
  };
  for (let o = 0; o < outSize; o++) {
    const src = alignCorners ? f32(scale * o) : Math.max(f32(f32(scale * f32(o + 0.5)) - 0.5), 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const lambda = Math.min(Math.max(f32(src - i0), 0), 1);
    step.i0[o] = i0;
    step.i1[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    step.w1[o] = lambda;
    step.w0[o] = f32(1 - lambda);
  }
  return step;
}

function alignCorners(g: LogitGeometry): boolean {
  return g.paddedWidth % 2 === 1;
}

/** The composed row taps from the stride-4 rows to the output rows. */
export function logitRowTaps(lowHeight: number, g: LogitGeometry): AxisTaps {
  return composedTaps(lowHeight, g.paddedHeight, g.cropHeight, g.height, alignCorners(g));
}

/** The composed column taps from the stride-4 columns to the output columns. */
export function logitColumnTaps(lowWidth: number, g: LogitGeometry): AxisTaps {
  return composedTaps(lowWidth, g.paddedWidth, g.cropWidth, g.width, alignCorners(g));
}

/**
 * Taps from `lowSize` (stride-4 logits) to `outSize`, through an upsampling to
 * `paddedSize` of which the first `cropSize` positions are kept.
 */
export function composedTaps(
  lowSize: number,
  paddedSize: number,
  cropSize: number,
  outSize: number,
  alignCorners: boolean,
): AxisTaps {
  const up = bilinearStep(lowSize, paddedSize, alignCorners);
  const down = bilinearStep(cropSize, outSize, alignCorners);
  const perOutput: Map<number, number>[] = [];
  for (let o = 0; o < outSize; o++) {
    const taps = new Map<number, number>();
    for (const [c, wc] of [[down.i0[o], down.w0[o]], [down.i1[o], down.w1[o]]]) {
      for (const [s, ws] of [[up.i0[c], up.w0[c]], [up.i1[c], up.w1[c]]]) {
        taps.set(s, (taps.get(s) ?? 0) + wc * ws);
      }
    }
    perOutput.push(taps);
  }
  const count = Math.max(...perOutput.map((t) => t.size));
  const index = Array.from({ length: count }, () => new Int32Array(outSize));
  const weight = Array.from({ length: count }, () => new Float32Array(outSize));
  perOutput.forEach((taps, o) => {
    let t = 0;
    for (const [s, w] of taps) {
      index[t][o] = s;
      weight[t][o] = w;
      t++;
    }
    // Unused taps repeat the first index with weight 0.
    for (; t < count; t++) index[t][o] = index[0][o];
  });
  return { index, weight };
}

/**
 * Rows `[start, end)` of the composed row map as a dense band: `weights` [end-start, n]
 * applied to the n low-resolution rows from `first`.
 */
export function rowBand(taps: AxisTaps, start: number, end: number): { first: number; rows: number; weights: Float32Array } {
  let first = Infinity;
  let last = -Infinity;
  for (const index of taps.index) {
    for (let o = start; o < end; o++) {
      first = Math.min(first, index[o]);
      last = Math.max(last, index[o]);
    }
  }
  const rows = last - first + 1;
  const weights = new Float32Array((end - start) * rows);
  taps.index.forEach((index, t) => {
    for (let o = start; o < end; o++) weights[(o - start) * rows + index[o] - first] += taps.weight[t][o];
  });
  return { first, rows, weights };
}

/** Where the logits go: the padded size, the crop kept of it and the output size. */
export interface LogitGeometry {
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  readonly cropHeight: number;
  readonly cropWidth: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Output rows `[start, end)` of the two-step resize of `maskLogits` [h4, w4, K]:
 * [end-start, width, K]. Rows: the composed band (a slice and one matMul). Columns:
 * the two PT steps as tfjs bilinear resizes of the strip, far faster than gathers on
 * the CPU and WASM backends; tfjs places samples in float64 where PyTorch uses float32,
 * ~1e-4 pixel apart on a 2000-pixel axis.
 */
export function resizeStrip(
  maskLogits: tf.Tensor3D,
  rowTaps: AxisTaps,
  g: LogitGeometry,
  start: number,
  end: number,
): tf.Tensor3D {
  const [, lowWidth, numClusters] = maskLogits.shape;
  const align = alignCorners(g);
  const band = rowBand(rowTaps, start, end);
  const rows = end - start;
  return tf.tidy(() => {
    const low = tf.reshape(tf.slice(maskLogits, [band.first, 0, 0], [band.rows, -1, -1]), [band.rows, -1]);
    const strip = tf.reshape(tf.matMul(tf.tensor2d(band.weights, [rows, band.rows]), low), [rows, lowWidth, numClusters]);
    const up = tf.image.resizeBilinear(strip as tf.Tensor3D, [rows, g.paddedWidth], align, !align);
    const cropped = tf.slice(up, [0, 0, 0], [rows, g.cropWidth, numClusters]);
    return tf.image.resizeBilinear(cropped, [rows, g.width], align, !align);
  });
}

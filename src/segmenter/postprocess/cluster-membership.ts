import type * as tf from '@tensorflow/tfjs-core';
import { logitColumnTaps, logitRowTaps, type AxisTaps, type LogitGeometry } from './logit-resize';

/**
 * The binary masks `B_k = softmax_K(Lm)_k > tau_pixel` of spec 5.1 step 3, at the
 * original resolution, stored compactly: probabilities over K sum to 1, so a pixel
 * can exceed tau in only a few clusters (2 for tau = 0.4). Everything post-processing
 * needs from the K x H x W probabilities is kept here.
 */
export interface ClusterMembership {
  readonly height: number;
  readonly width: number;
  readonly numClusters: number;
  /** Entries per pixel in `clusters`. */
  readonly slots: number;
  /** Per pixel (row-major), the clusters above the threshold, most probable first, then -1. */
  readonly clusters: Int16Array;
  /** |B_k| per cluster. */
  readonly pixelCounts: Int32Array;
  /** Sum of P_k over B_k per cluster (spec 5.1 step 4 numerator). */
  readonly probSums: Float64Array;
}

/** The final stride-4 mask logits, read back once: [height, width, numClusters] row-major. */
export interface LowLogits {
  readonly height: number;
  readonly width: number;
  readonly numClusters: number;
  readonly values: Float32Array;
}

/**
 * Downloads the stride-4 mask logits. They are small (h/4 x w/4 x K), and one read
 * replaces the many small dispatches and reads a GPU pass over the output would take.
 */
export async function readLowLogits(maskLogits: tf.Tensor3D): Promise<LowLogits> {
  const [height, width, numClusters] = maskLogits.shape;
  return { height, width, numClusters, values: (await maskLogits.data()) as Float32Array };
}

/**
 * How many clusters can exceed `threshold` at one pixel: n * tau < 1 (+ float32 slack
 * in the softmax sum).
 */
export function slotsFor(threshold: number, numClusters: number): number {
  return threshold > 0 ? Math.min(numClusters, Math.ceil((1 + 1e-6) / threshold) - 1) : numClusters;
}

export interface MembershipOptions {
  /** Pixel threshold tau_pixel (strict >). */
  readonly threshold: number;
  /** Also return the most probable cluster per pixel, whatever its probability (spec 5.5). */
  readonly mostProbable?: boolean;
}

export interface MembershipResult {
  readonly membership: ClusterMembership;
  /** argmax_k P_k per pixel (first on ties), with `mostProbable`. */
  readonly mostProbable?: Int16Array;
}

/**
 * Walks the output row by row on the CPU: the two-step logit resize as composed taps
 * (logit-resize.ts; rows, then columns), softmax over K, then the few clusters above
 * the threshold per pixel. Only one resized row of K-channel data exists at a time
 * (T35). Plain loops beat tensor ops here on every backend measured
 * (postprocess.bench.ts): on WebGPU (SwiftShader) tf.softmax and tf.max over K took
 * seconds each for a 320x240 map, and WASM spends as much CPU time with more waiting.
 */
export function clusterMembership(low: LowLogits, geometry: LogitGeometry, options: MembershipOptions): MembershipResult {
  const { height, width } = geometry;
  const { numClusters } = low;
  const slots = slotsFor(options.threshold, numClusters);
  const membership: ClusterMembership = {
    height,
    width,
    numClusters,
    slots,
    clusters: new Int16Array(height * width * slots).fill(-1),
    pixelCounts: new Int32Array(numClusters),
    probSums: new Float64Array(numClusters),
  };
  const mostProbable = options.mostProbable ? new Int16Array(height * width) : undefined;
  const rowTaps = denseTaps(logitRowTaps(low.height, geometry));
  const columnTaps = denseTaps(logitColumnTaps(low.width, geometry));
  const row = new Float64Array(low.width * numClusters);
  const pixel = new PixelSoftmax(numClusters, slots);
  for (let y = 0; y < height; y++) {
    resampleRow(low, rowTaps, y, row);
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const best = pixel.load(row, columnTaps, x, options.threshold);
      if (mostProbable !== undefined) mostProbable[p] = best;
      pixel.record(options.threshold, membership, p);
    }
  }
  return { membership, ...(mostProbable !== undefined && { mostProbable }) };
}

/** Composed taps as flat arrays of `count` taps per output position; zero weights are skipped. */
interface DenseTaps {
  readonly count: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

function denseTaps(taps: AxisTaps): DenseTaps {
  const count = taps.index.length;
  const size = taps.index[0].length;
  const index = new Int32Array(size * count);
  const weight = new Float32Array(size * count);
  for (let o = 0; o < size; o++) {
    for (let t = 0; t < count; t++) {
      index[o * count + t] = taps.index[t][o];
      weight[o * count + t] = taps.weight[t][o];
    }
  }
  return { count, index, weight };
}

/** Output row `y` of the row resize: [low.width, K], summed over the row taps. */
function resampleRow(low: LowLogits, taps: DenseTaps, y: number, row: Float64Array): void {
  const span = row.length;
  row.fill(0);
  for (let t = y * taps.count; t < (y + 1) * taps.count; t++) {
    const w = taps.weight[t];
    if (w === 0) continue;
    const from = taps.index[t] * span;
    for (let i = 0; i < span; i++) row[i] += w * low.values[from + i];
  }
}

/** One output pixel's resized logits and softmax over K, in scratch arrays reused for every pixel. */
class PixelSoftmax {
  /** Logits, then exp(logit - max). */
  private readonly values: Float64Array;
  private sum = 0;
  /** Clusters whose exp(logit - max) exceeds the threshold: P_k <= that, so only they can. */
  private readonly candidates: Int32Array;
  private numCandidates = 0;
  /** The clusters above the threshold, most probable first (first on ties). */
  private readonly chosen: Int32Array;
  private readonly chosenProbs: Float64Array;

  constructor(
    private readonly numClusters: number,
    slots: number,
  ) {
    this.values = new Float64Array(numClusters);
    this.candidates = new Int32Array(numClusters);
    this.chosen = new Int32Array(slots);
    this.chosenProbs = new Float64Array(slots);
  }

  /**
   * Resizes column `x` of the row and takes the softmax (T34: max subtracted), noting
   * the clusters that may exceed `threshold`; returns the argmax (first on ties).
   */
  load(row: Float64Array, taps: DenseTaps, x: number, threshold: number): number {
    const k = this.numClusters;
    const v = this.values;
    const first = x * taps.count;
    let last = first + taps.count - 1;
    while (last > first && taps.weight[last] === 0) last--;
    // The first tap assigns (a zero weight gives zeros), the last one also finds the max.
    for (let t = first; t < last; t++) {
      const w = taps.weight[t];
      const from = taps.index[t] * k;
      if (t === first) for (let c = 0; c < k; c++) v[c] = w * row[from + c];
      else for (let c = 0; c < k; c++) v[c] += w * row[from + c];
    }
    if (last === first) v.fill(0);
    const w = taps.weight[last];
    const from = taps.index[last] * k;
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const value = v[c] + w * row[from + c];
      v[c] = value;
      if (value > max) {
        max = value;
        best = c;
      }
    }
    // exp(-40) * K is far below a double's rounding of the sum (>= 1) and below any
    // threshold but a tiny one: skipping those exps changes nothing, and confident
    // models put most clusters there.
    const cutoff = threshold > 1e-16 ? -40 : -Infinity;
    let sum = 0;
    let n = 0;
    for (let c = 0; c < k; c++) {
      const d = v[c] - max;
      const e = d > cutoff ? Math.exp(d) : 0;
      v[c] = e;
      sum += e;
      if (e > threshold) this.candidates[n++] = c;
    }
    this.sum = sum;
    this.numCandidates = n;
    return best;
  }

  /** Adds the loaded pixel's clusters with P_k > threshold to the membership. */
  record(threshold: number, m: ClusterMembership, p: number): void {
    const { chosen, chosenProbs, values, sum } = this;
    const slots = chosen.length;
    let n = 0;
    for (let j = 0; j < this.numCandidates; j++) {
      const c = this.candidates[j];
      const prob = values[c] / sum;
      if (!(prob > threshold)) continue;
      // Insertion by descending probability; an equal one stays behind (first on ties).
      let i = Math.min(n, slots - 1);
      if (n === slots && !(prob > chosenProbs[i])) continue;
      while (i > 0 && prob > chosenProbs[i - 1]) {
        chosen[i] = chosen[i - 1];
        chosenProbs[i] = chosenProbs[i - 1];
        i--;
      }
      chosen[i] = c;
      chosenProbs[i] = prob;
      n = Math.min(n + 1, slots);
    }
    for (let s = 0; s < n; s++) {
      m.clusters[p * slots + s] = chosen[s];
      m.pixelCounts[chosen[s]]++;
      m.probSums[chosen[s]] += chosenProbs[s];
    }
  }
}

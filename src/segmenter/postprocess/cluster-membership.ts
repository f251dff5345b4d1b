import * as tf from '@tensorflow/tfjs-core';
import { logitRowTaps, resizeStrip, type AxisTaps, type LogitGeometry } from './logit-resize';
import { semanticLabels } from './semantic';

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

/**
 * How many clusters can exceed `threshold` at one pixel: n * tau < 1 (+ float32 slack
 * in the softmax sum).
 */
export function slotsFor(threshold: number, numClusters: number): number {
  return threshold > 0 ? Math.min(numClusters, Math.ceil((1 + 1e-6) / threshold) - 1) : numClusters;
}

/** Default size of one strip tensor [rows, W, K], in elements (8 MB of float32). */
export const STRIP_ELEMENTS = 1 << 21;

export interface MembershipOptions {
  /** Pixel threshold tau_pixel (strict >). */
  readonly threshold: number;
  /** [K, C] non-void class probabilities: also return the semantic argmax (spec 5.2). */
  readonly semanticClassProbs?: tf.Tensor2D;
  /** Also return the most probable cluster per pixel, whatever its probability (spec 5.5). */
  readonly mostProbable?: boolean;
  readonly stripElements?: number;
}

export interface MembershipResult {
  readonly membership: ClusterMembership;
  /** argmax_c sum_k Pc[k, c] Pm[k, p] per pixel, with `semanticClassProbs`. */
  readonly semantic?: Int32Array;
  /** argmax_k P_k per pixel (first on ties), with `mostProbable`. */
  readonly mostProbable?: Int16Array;
}

/**
 * Walks the output in strips of rows: two-step logit resize (logit-resize.ts), softmax
 * over K, then the few clusters above the threshold per pixel. Only one strip of
 * K-channel data exists at a time (T35).
 */
export async function clusterMembership(
  maskLogits: tf.Tensor3D,
  geometry: LogitGeometry,
  options: MembershipOptions,
): Promise<MembershipResult> {
  const [lowHeight, , numClusters] = maskLogits.shape;
  const { height, width } = geometry;
  const rowTaps = logitRowTaps(lowHeight, geometry);
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
  const semantic = options.semanticClassProbs !== undefined ? new Int32Array(height * width) : undefined;
  const mostProbable = options.mostProbable ? new Int16Array(height * width) : undefined;
  // The padded-width intermediate of the column resize is the largest strip tensor.
  const widest = Math.max(width, geometry.paddedWidth);
  const stripRows = Math.max(1, Math.floor((options.stripElements ?? STRIP_ELEMENTS) / (widest * numClusters)));
  for (let y0 = 0; y0 < height; y0 += stripRows) {
    const y1 = Math.min(height, y0 + stripRows);
    const strip = stripSelection(maskLogits, rowTaps, geometry, y0, y1, slots, options.semanticClassProbs);
    try {
      const [values, indices] = await Promise.all([strip.values.data(), strip.indices.data()]);
      record(membership, y0 * width, values as Float32Array, indices as Int32Array, options.threshold);
      if (semantic !== undefined && strip.semantic !== undefined) semantic.set(await strip.semantic.data(), y0 * width);
      // The selection is sorted, so its first slot is the argmax.
      if (mostProbable !== undefined) {
        for (let p = 0; p < indices.length / slots; p++) mostProbable[y0 * width + p] = indices[p * slots];
      }
    } finally {
      tf.dispose([strip.values, strip.indices, strip.semantic ?? []]);
    }
  }
  return { membership, ...(semantic !== undefined && { semantic }), ...(mostProbable !== undefined && { mostProbable }) };
}

interface StripSelection {
  /** [rows, W, slots] probabilities, descending. */
  readonly values: tf.Tensor;
  /** [rows, W, slots] their clusters. */
  readonly indices: tf.Tensor;
  readonly semantic?: tf.Tensor;
}

function stripSelection(
  maskLogits: tf.Tensor3D,
  rowTaps: AxisTaps,
  geometry: LogitGeometry,
  y0: number,
  y1: number,
  slots: number,
  classProbs: tf.Tensor2D | undefined,
): StripSelection {
  const logits = resizeStrip(maskLogits, rowTaps, geometry, y0, y1);
  // Logits are resized, then softmaxed over K (T28); tf.softmax subtracts the max (T34).
  const probs = tf.softmax(logits);
  logits.dispose();
  const semantic =
    classProbs === undefined
      ? undefined
      : tf.tidy(() => semanticLabels(tf.reshape(probs, [-1, probs.shape[2] as number]), classProbs));
  const { values, indices } = largest(probs, slots);
  return semantic === undefined ? { values, indices } : { values, indices, semantic };
}

/**
 * The `slots` largest probabilities per pixel and their clusters, by repeated argmax
 * (tfjs-cpu's topk allocates an object per element; argmax is cheap everywhere).
 * Takes ownership of `probs`.
 */
function largest(probs: tf.Tensor, slots: number): { values: tf.Tensor; indices: tf.Tensor } {
  const depth = probs.shape[probs.rank - 1] as number;
  const values: tf.Tensor[] = [];
  const indices: tf.Tensor[] = [];
  let remaining = probs;
  for (let s = 0; s < slots; s++) {
    values.push(tf.max(remaining, -1));
    indices.push(tf.argMax(remaining, -1));
    if (s + 1 < slots) {
      const chosen = indices[s];
      const next = tf.tidy(() => tf.mul(remaining, tf.oneHot(chosen, depth, 0, 1, 'float32')));
      remaining.dispose();
      remaining = next;
    }
  }
  remaining.dispose();
  const result = tf.tidy(() => ({ values: tf.stack(values, -1), indices: tf.stack(indices, -1) }));
  tf.dispose([...values, ...indices]);
  return result;
}

/** Adds one strip's above-threshold clusters to the membership. */
function record(m: ClusterMembership, firstPixel: number, values: Float32Array, indices: Int32Array, threshold: number): void {
  const pixels = values.length / m.slots;
  for (let p = 0; p < pixels; p++) {
    const base = p * m.slots;
    for (let s = 0; s < m.slots; s++) {
      const v = values[base + s];
      if (!(v > threshold)) break;
      const k = indices[base + s];
      m.clusters[(firstPixel + p) * m.slots + s] = k;
      m.pixelCounts[k]++;
      m.probSums[k] += v;
    }
  }
}

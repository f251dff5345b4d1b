import * as tf from '@tensorflow/tfjs-core';
import { MASKED_FOREGROUND, type AttentionMode } from './attention-mode';

/**
 * The cross-attention of a kMaX layer (spec 3.5 steps 5-6, spec 6). Every mode
 * reads the same affinity logits, this layer's post-BN mask logits `[H*W, K]`,
 * and the same single-head pixel values `V [H*W, C]`; only the normalisation of
 * the cluster-to-pixel weights differs. The update is always `U = A^T V`, a
 * weighted sum over pixels.
 */

/**
 * k-means (as trained): each pixel goes wholly to its highest-scoring cluster,
 * argmax over K (lowest index on ties, like TF's argmax; spec T2). `U[k]` is the
 * sum, not the mean, of its pixels' values (T3). Returns `A^T [K, H*W]`.
 */
export function kmeansAssignment(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const k = logits.shape[1];
    // int32 one-hot, then cast: the wasm backend (tfjs 4.22) fills a float32
    // oneHot with int32 bit patterns.
    return tf.transpose(tf.cast(tf.oneHot(tf.argMax(logits, 1), k), 'float32')) as tf.Tensor2D;
  });
}

/**
 * Standard cross-attention: each cluster spreads a softmax over ALL pixels
 * (spec 6); tf.softmax subtracts the row max first (T34). Returns `A^T [K, H*W]`.
 */
export function spatialSoftmaxAssignment(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.transpose(logits)) as tf.Tensor2D);
}

/**
 * Mask2Former's masked attention on kMaX's mask logits: cluster k's foreground
 * is the pixels whose softmax over clusters gives k at least 0.5 (the same
 * max-subtracted softmax as the reference's); its row of A is the spatial
 * softmax of its logits over that foreground only, 0 elsewhere. A cluster with an
 * empty foreground attends to every pixel. Returns `A^T [K, H*W]`.
 */
export function maskedSoftmaxAssignment(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const perCluster = tf.transpose(logits) as tf.Tensor2D;
    const inMask = tf.transpose(tf.greaterEqual(tf.softmax(logits), MASKED_FOREGROUND));
    const foreground = tf.logicalOr(inMask, tf.logicalNot(tf.any(inMask, 1, true)));
    // The row max over the foreground only, then exp of at most 0; the background is
    // zeroed by a select after exp, never by -inf (inf - inf would be NaN) or by
    // trusting exp of a huge negative (WGSL bounds exp's error by |x|).
    const masked = tf.where(foreground, perCluster, -1e30);
    const e = tf.where(foreground, tf.exp(tf.sub(masked, tf.max(masked, 1, true))), 0);
    return tf.div(e, tf.sum(e, 1, true)) as tf.Tensor2D;
  });
}

/** Soft k-means: each pixel spreads a softmax over the K clusters. Returns `A^T [K, H*W]`. */
export function clusterSoftmaxAssignment(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.softmax(logits)) as tf.Tensor2D);
}

const ASSIGNMENTS: Record<AttentionMode, (logits: tf.Tensor2D) => tf.Tensor2D> = {
  kmeans: kmeansAssignment,
  softmax: spatialSoftmaxAssignment,
  masked: maskedSoftmaxAssignment,
  'cluster-softmax': clusterSoftmaxAssignment,
};

/** Cluster update `U = A^T V`: logits `[H*W, K]`, values `[H*W, C]` -> `[K, C]`. */
export function clusterUpdate(mode: AttentionMode, logits: tf.Tensor2D, values: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(ASSIGNMENTS[mode](logits), values));
}

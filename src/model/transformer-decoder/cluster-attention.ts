import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMode } from '../../segmenter/types';

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

/** Soft k-means: each pixel spreads a softmax over the K clusters. Returns `A^T [K, H*W]`. */
export function clusterSoftmaxAssignment(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.softmax(logits)) as tf.Tensor2D);
}

const ASSIGNMENTS: Record<AttentionMode, (logits: tf.Tensor2D) => tf.Tensor2D> = {
  kmeans: kmeansAssignment,
  softmax: spatialSoftmaxAssignment,
  'cluster-softmax': clusterSoftmaxAssignment,
};

/** Cluster update `U = A^T V`: logits `[H*W, K]`, values `[H*W, C]` -> `[K, C]`. */
export function clusterUpdate(mode: AttentionMode, logits: tf.Tensor2D, values: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(ASSIGNMENTS[mode](logits), values));
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * PT `semantic_inference` (spec 5.2): `S[c, p] = sum_k Pc[k, c] Pm[k, p]` with void
 * dropped from Pc and Pm the softmax over K; the label is argmax_c S (first on ties).
 * `maskProbs` [pixels, K], `classProbs` [K, C] -> [pixels] class ids.
 */
export function semanticLabels(maskProbs: tf.Tensor2D, classProbs: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(tf.matMul(maskProbs, classProbs), 1));
}

import * as tf from '@tensorflow/tfjs-core';
import { logitRowTaps, resizeStrip, type LogitGeometry } from './logit-resize';

/** Default size of one strip tensor [rows, W, K], in elements (8 MB of float32). */
export const STRIP_ELEMENTS = 1 << 21;

/**
 * PT `semantic_inference` (spec 5.2): `S[c, p] = sum_k Pc[k, c] Pm[k, p]` with void
 * dropped from Pc and Pm the softmax over K of the resized logits; the label is
 * argmax_c S (first on ties). A K x C product per pixel is matMul work, so this runs on
 * tensors, in strips of output rows: only one strip of K-channel data exists at a time
 * (T35). `classProbs` [K, C] -> class id per pixel at the output size.
 */
export async function semanticLabels(
  maskLogits: tf.Tensor3D,
  geometry: LogitGeometry,
  classProbs: tf.Tensor2D,
  stripElements = STRIP_ELEMENTS,
): Promise<Int32Array> {
  const { height, width } = geometry;
  const [lowHeight, , numClusters] = maskLogits.shape;
  const rowTaps = logitRowTaps(lowHeight, geometry);
  const labels = new Int32Array(height * width);
  // The padded-width intermediate of the column resize is the largest strip tensor.
  const stripRows = Math.max(1, Math.floor(stripElements / (Math.max(width, geometry.paddedWidth) * numClusters)));
  for (let y0 = 0; y0 < height; y0 += stripRows) {
    const y1 = Math.min(height, y0 + stripRows);
    const strip = tf.tidy(() => {
      // Logits are resized, then softmaxed over K (T28); tf.softmax subtracts the max (T34).
      const probs = tf.softmax(resizeStrip(maskLogits, rowTaps, geometry, y0, y1));
      return tf.argMax(tf.matMul(tf.reshape(probs, [-1, numClusters]), classProbs), 1);
    });
    try {
      labels.set(await strip.data(), y0 * width);
    } finally {
      strip.dispose();
    }
  }
  return labels;
}

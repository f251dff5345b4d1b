import * as tf from '@tensorflow/tfjs-core';

/**
 * A matrix product batched over the minor axis of `a`:
 * `out[m, n, p] = sum_k a[m, k, n] b[k, n, p]`, `[M, K, N] x [K, N, P] -> [M, N, P]`.
 *
 * That is a depthwise conv's own layout (rows m, kernel window k, channel n,
 * channel multiplier p), which tfjs-wasm runs in XNNPACK. Its batched (or
 * transposed) matMul is a scalar triple loop, ~10x slower, so wasm takes the
 * conv and needs no transposes; other backends transpose to a batched matMul.
 */
export function minorBatchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [m, k, n] = a.shape;
  const p = b.shape[2];
  return tf.tidy(() => {
    if (tf.getBackend() === 'wasm') {
      const out = tf.depthwiseConv2d(tf.reshape(a, [1, m, k, n]) as tf.Tensor4D, tf.reshape(b, [1, k, n, p]) as tf.Tensor4D, 1, 'valid');
      return tf.reshape(out, [m, n, p]) as tf.Tensor3D;
    }
    const product = tf.matMul(tf.transpose(a, [2, 0, 1]), tf.transpose(b, [1, 0, 2])); // [N, M, P]
    return tf.transpose(product, [1, 0, 2]) as tf.Tensor3D;
  });
}

/** Batched `[N, M, K] x [N, K, P] -> [N, M, P]` (b read as `[N, P, K]` when `transposeB`), fast on wasm too. */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeB = false): tf.Tensor3D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, false, transposeB);
  return tf.tidy(() => {
    const product = minorBatchMatMul(tf.transpose(a, [1, 2, 0]), tf.transpose(b, transposeB ? [2, 0, 1] : [1, 0, 2])); // [M, N, P]
    return tf.transpose(product, [1, 0, 2]);
  });
}

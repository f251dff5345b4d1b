import * as tf from '@tensorflow/tfjs-core';
import { runOwnRowKernel } from './own-kernel';

/** PT `F.normalize`: divide by max(||x||, 1e-12) (spec 3.1). */
const L2_FLOOR = 1e-12;

/**
 * A backend may register this kernel: input `x` [rows, C], attribute `floor`; out [rows, C],
 * each row divided by max(its L2 norm, floor) in one pass where the ops below take five
 * (a square, a reduction, sqrt, max, divide). src/backend/webgpu-l2-normalize.ts does for WebGPU.
 */
export const L2_NORMALIZE_KERNEL = 'KmaxL2Normalize';

/** `x` divided by the L2 norm of its last axis, floored at `L2_FLOOR`. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const fused = runOwnRowKernel(L2_NORMALIZE_KERNEL, x, {}, { floor: L2_FLOOR });
    if (fused !== undefined) return fused;
    // sqrt(sum x^2) rather than tf.norm, whose |x|^2 is a slow Pow on wasm.
    return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), -1, true)), L2_FLOOR));
  });
}

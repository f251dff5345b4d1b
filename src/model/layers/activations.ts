import * as tf from '@tensorflow/tfjs-core';
import { runOwnKernel } from './own-kernel';

const INV_SQRT2 = Math.SQRT1_2;

/**
 * A backend may register this kernel (one input `x`, same shape out): GELU in one pass
 * where the composite below takes five (three multiplies, erf, add), GELU being the
 * commonest elementwise chain of the kMaX layers. src/backend/webgpu-gelu.ts and wasm-gelu.ts do
 * for WebGPU and wasm.
 */
export const GELU_KERNEL = 'KmaxGelu';

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)); never the tanh form (spec 3.1, T17). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return runOwnKernel(GELU_KERNEL, { x }) ?? tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, INV_SQRT2)), 1)));
}

export type Activation = 'gelu' | 'relu' | 'none';

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'gelu':
      return gelu(x);
    case 'relu':
      return tf.relu(x);
    case 'none':
      return x;
  }
}

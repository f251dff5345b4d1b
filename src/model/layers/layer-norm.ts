import * as tf from '@tensorflow/tfjs-core';
import type { WeightReader } from '../weights';
import { runOwnRowKernel } from './own-kernel';

/** LayerNorm over the channel (last) axis, biased variance, eps 1e-6 (spec 3.1). */
export const LN_EPSILON = 1e-6;

/**
 * A backend may register this kernel: inputs `x` [rows, C], `gamma`, `beta` [C], attribute
 * `epsilon`; out [rows, C], each row normalised as below in one pass where tf.moments and
 * the affine map take nine. src/backend/webgpu-layer-norm.ts does for WebGPU.
 */
export const LAYER_NORM_KERNEL = 'KmaxLayerNorm';

export class LayerNorm {
  private readonly weight: tf.Tensor1D;
  private readonly bias: tf.Tensor1D;

  constructor(weights: WeightReader, prefix: string, channels: number) {
    this.weight = weights.take(`${prefix}.weight`, [channels]) as tf.Tensor1D;
    this.bias = weights.take(`${prefix}.bias`, [channels]) as tf.Tensor1D;
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const fused = runOwnRowKernel(LAYER_NORM_KERNEL, x, { gamma: this.weight, beta: this.bias }, { epsilon: LN_EPSILON });
      if (fused !== undefined) return fused;
      const axis = x.rank - 1;
      const { mean, variance } = tf.moments(x, axis, true);
      const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPSILON)));
      return tf.add(tf.mul(normalised, this.weight), this.bias);
    });
  }
}

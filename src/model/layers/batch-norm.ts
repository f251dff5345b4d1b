import * as tf from '@tensorflow/tfjs-core';
import type { WeightReader } from '../weights';
import { isCalibrating } from './calibration';

/** Every BatchNorm in kMaX-DeepLab, the ResNet included, uses eps 1e-3 (spec 3.1, T18). */
export const BN_EPSILON = 1e-3;

/**
 * Inference BatchNorm over the last axis, as a per-channel affine map
 * `x * scale + shift`. Keys: `{prefix}.{weight,bias,running_mean,running_var}`.
 */
export class BatchNorm {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
  private mean: tf.Tensor1D;
  private variance: tf.Tensor1D;
  private folded: { scale: tf.Tensor1D; shift: tf.Tensor1D } | null = null;

  constructor(private readonly weights: WeightReader, readonly prefix: string, readonly channels: number) {
    this.gamma = weights.take(`${prefix}.weight`, [channels]) as tf.Tensor1D;
    this.beta = weights.take(`${prefix}.bias`, [channels]) as tf.Tensor1D;
    this.mean = weights.take(`${prefix}.running_mean`, [channels]) as tf.Tensor1D;
    this.variance = weights.take(`${prefix}.running_var`, [channels]) as tf.Tensor1D;
  }

  /** scale = gamma / sqrt(var + eps), shift = beta - mean * scale. */
  affine(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    if (this.folded === null) {
      this.folded = tf.tidy(() => {
        const scale = tf.div(this.gamma, tf.sqrt(tf.add(this.variance, BN_EPSILON))) as tf.Tensor1D;
        const shift = tf.sub(this.beta, tf.mul(this.mean, scale)) as tf.Tensor1D;
        return { scale: this.weights.track(tf.keep(scale)), shift: this.weights.track(tf.keep(shift)) };
      });
    }
    return this.folded;
  }

  apply(x: tf.Tensor): tf.Tensor {
    if (isCalibrating()) this.calibrate(x);
    const { scale, shift } = this.affine();
    return tf.tidy(() => tf.add(tf.mul(x, scale), shift));
  }

  /** Running statistics := moments of `x` over every axis but the last. */
  calibrate(x: tf.Tensor): void {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.tidy(() => {
      const m = tf.moments(x, axes);
      return { mean: tf.keep(m.mean as tf.Tensor1D), variance: tf.keep(m.variance as tf.Tensor1D) };
    });
    this.replaceStatistics(mean, variance);
  }

  /**
   * Variable-backed statistics (a model being initialised) are assigned in place so
   * the owner of the variables sees the calibrated values; others are replaced.
   */
  private replaceStatistics(mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    if (this.mean instanceof tf.Variable && this.variance instanceof tf.Variable) {
      this.mean.assign(mean);
      this.variance.assign(variance);
      mean.dispose();
      variance.dispose();
    } else {
      this.mean.dispose();
      this.variance.dispose();
      this.mean = mean;
      this.variance = variance;
    }
    this.disposeFolded();
  }

  private disposeFolded(): void {
    if (this.folded !== null) {
      this.folded.scale.dispose();
      this.folded.shift.dispose();
      this.folded = null;
    }
  }
}

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
  private beta: tf.Tensor1D;
  private mean: tf.Tensor1D;
  private variance: tf.Tensor1D;
  private folded: { scale: tf.Tensor1D; shift: tf.Tensor1D } | null = null;

  constructor(private readonly weights: WeightReader, readonly prefix: string, readonly channels: number) {
    this.gamma = weights.take(`${prefix}.weight`, [channels]) as tf.Tensor1D;
    this.beta = weights.take(`${prefix}.bias`, [channels]) as tf.Tensor1D;
    this.mean = weights.take(`${prefix}.running_mean`, [channels]) as tf.Tensor1D;
    this.variance = weights.take(`${prefix}.running_var`, [channels]) as tf.Tensor1D;
    weights.derive(() => this.affine());
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

  /**
   * Calibration as the reference's (training/kmax_ref/random_weights.py): the running mean
   * becomes each channel's mean of `x`, the running variance one value shared by all
   * channels, mean(x^2) over channels and positions, and beta absorbs gamma * mean / sd, so
   * the output is gamma * x / rms(x) + beta. Each channel's own variance would divide
   * near-constant channels by their tiny spread and amplify float32 rounding at every such
   * BatchNorm: a random R50 then differed from itself in float64 by 0.37 at the stride-16
   * decoder output (training/fixtures/README.md). One value per channel keeps mean 0, var 1.
   */
  calibrate(x: tf.Tensor): void {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const perChannel = x.size / this.channels;
    const { mean, variance, beta } = tf.tidy(() => {
      if (perChannel <= 1) return { mean: tf.keep(tf.zeros([this.channels]) as tf.Tensor1D), variance: tf.keep(tf.ones([this.channels]) as tf.Tensor1D), beta: tf.keep(tf.clone(this.beta)) };
      const channelMean = tf.mean(x, axes) as tf.Tensor1D;
      const shared = tf.mul(tf.onesLike(channelMean), tf.mean(tf.square(x))) as tf.Tensor1D;
      const absorbed = tf.add(this.beta, tf.div(tf.mul(this.gamma, channelMean), tf.sqrt(tf.add(shared, BN_EPSILON))));
      return { mean: tf.keep(channelMean), variance: tf.keep(shared), beta: tf.keep(absorbed as tf.Tensor1D) };
    });
    this.replaceStatistics(mean, variance, beta);
  }

  /**
   * Variable-backed weights (a model being initialised) are assigned in place so the
   * owner of the variables sees the calibrated values; others are replaced.
   */
  private replaceStatistics(mean: tf.Tensor1D, variance: tf.Tensor1D, beta: tf.Tensor1D): void {
    const replaced: [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] = [mean, variance, beta];
    if (this.mean instanceof tf.Variable && this.variance instanceof tf.Variable && this.beta instanceof tf.Variable) {
      this.mean.assign(mean);
      this.variance.assign(variance);
      this.beta.assign(beta);
      tf.dispose(replaced);
    } else {
      tf.dispose([this.mean, this.variance, this.beta]);
      [this.mean, this.variance, this.beta] = replaced;
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

import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../layers/activations';
import { Conv2dBN, kmaxConvBN } from '../layers/conv';
import type { WeightReader } from '../weights';

/**
 * Merges a decoder stage's output (low resolution) into the next, finer backbone
 * feature (spec 3.4 "ResizedFuse"): each branch is GELU -> 1x1 conv -> BN unless it
 * already has the output width, in which case it passes through untouched (T10);
 * the low branch is bilinearly resized to the high branch's size; the two are summed.
 * Keys `{prefix}._conv_bn_low`, `{prefix}._conv_bn_high`.
 */
export class ResizedFuse {
  private readonly low: Conv2dBN | null;
  private readonly high: Conv2dBN | null;

  constructor(weights: WeightReader, prefix: string, lowChannels: number, highChannels: number, outChannels: number) {
    const branch = (name: string, inChannels: number) =>
      inChannels === outChannels
        ? null
        : new Conv2dBN(weights, kmaxConvBN(`${prefix}._conv_bn_${name}`), inChannels, outChannels, { kernel: 1 });
    this.low = branch('low', lowChannels);
    this.high = branch('high', highChannels);
  }

  apply(low: tf.Tensor4D, high: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const lowOut = this.low === null ? low : this.low.apply(gelu(low) as tf.Tensor4D);
      const highOut = this.high === null ? high : this.high.apply(gelu(high) as tf.Tensor4D);
      // PT: align_corners iff the low-resolution WIDTH is odd (spec 1.3, T21); otherwise
      // half-pixel centres. tfjs's default (false, false) matches neither.
      const alignCorners = low.shape[2] % 2 === 1;
      const resized = tf.image.resizeBilinear(lowOut, [high.shape[1], high.shape[2]], alignCorners, !alignCorners);
      return tf.add(resized, highOut) as tf.Tensor4D;
    });
  }
}

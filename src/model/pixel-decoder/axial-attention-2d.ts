import * as tf from '@tensorflow/tfjs-core';
import type { WeightReader } from '../weights';
import { AxialAttention } from './axial-attention';

/**
 * 2-D attention factorised into two 1-D passes (spec 3.4 "Axial2D", T9): first
 * along the height (every column is a sequence), then along the width (every
 * row) on the height pass's output. Key depth `base`, value depth `2 * base`.
 * `[N, H, W, inChannels] -> [N, H, W, 2 * base]`. With a stride (the Axial-ResNet
 * backbone), deeplab2 keeps every stride-th row after the height pass and every
 * stride-th column after the width pass: `[N, ceil(H/s), ceil(W/s), 2 * base]`.
 */
export class AxialAttention2D {
  private readonly heightAxis: AxialAttention;
  private readonly widthAxis: AxialAttention;
  readonly outChannels: number;

  constructor(
    weights: WeightReader,
    prefix: string,
    inChannels: number,
    base: number,
    heads: number,
    private readonly stride = 1,
  ) {
    this.outChannels = 2 * base;
    const shape = { keyChannels: base, valueChannels: this.outChannels, heads };
    this.heightAxis = new AxialAttention(weights, `${prefix}._height_axis`, { ...shape, inChannels });
    // The width pass reads the height pass's values, not the block's conv1 output.
    this.widthAxis = new AxialAttention(weights, `${prefix}._width_axis`, { ...shape, inChannels: this.outChannels });
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [n, height, width, channels] = x.shape;
    const c = this.outChannels;
    return tf.tidy(() => {
      const columns = tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [n * width, height, channels]) as tf.Tensor3D;
      const afterHeight = this.subsample(tf.reshape(this.heightAxis.apply(columns), [n, width, height, c]), 2);
      const rowsKept = afterHeight.shape[2];
      const rows = tf.reshape(tf.transpose(afterHeight, [0, 2, 1, 3]), [n * rowsKept, width, c]) as tf.Tensor3D;
      return this.subsample(tf.reshape(this.widthAxis.apply(rows), [n, rowsKept, width, c]), 2);
    });
  }

  /** Every stride-th entry of `axis`, from the first. */
  private subsample(x: tf.Tensor4D, axis: number): tf.Tensor4D {
    if (this.stride === 1) return x;
    const end = [...x.shape];
    const strides = [1, 1, 1, 1];
    strides[axis] = this.stride;
    return tf.stridedSlice(x, [0, 0, 0, 0], end, strides) as tf.Tensor4D;
  }
}

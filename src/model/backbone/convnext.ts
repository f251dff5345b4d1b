import * as tf from '@tensorflow/tfjs-core';
import type { BackboneFeature, ConvNeXtConfig } from '../config';
import { Conv1dBN, Conv2dBN } from '../layers/conv';
import { LayerNorm } from '../layers/layer-norm';
import type { WeightReader } from '../weights';
import type { Backbone } from './backbone';
import { runStages, STAGE_FEATURES, type BackboneFeatures, type Step } from './features';

/**
 * ConvNeXt (spec 3.3). Endpoints res2..res5 are the raw stage outputs (no norm, no
 * activation); `stem` is the output of downsample layer 0, at stride 4. Every
 * stride-s output has ceil(n/s) rows thanks to the explicit bottom/right padding.
 */
export class ConvNeXt implements Backbone {
  private readonly downsamples: Step[];
  private readonly stages: ConvNeXtBlock[][];
  private readonly wanted: ReadonlySet<BackboneFeature>;

  constructor(weights: WeightReader, private readonly config: ConvNeXtConfig, wanted: readonly BackboneFeature[]) {
    const { dims, depths } = config;
    this.wanted = new Set(wanted);
    this.downsamples = dims.map((dim, i) =>
      i === 0 ? patchifyStem(weights, dim) : downsample(weights, i, dims[i - 1], dim),
    );
    this.stages = dims.map((dim, s) =>
      Array.from({ length: depths[s] }, (_, b) => new ConvNeXtBlock(weights, `backbone.stages.${s}.${b}`, dim)),
    );
  }

  channels(feature: BackboneFeature): number {
    return this.config.dims[feature === 'stem' ? 0 : STAGE_FEATURES.indexOf(feature)];
  }

  apply(x: tf.Tensor4D): BackboneFeatures {
    return runStages(
      x,
      {
        stem: this.downsamples[0],
        stages: this.stages.map((blocks, s) => [
          ...(s === 0 ? [] : [this.downsamples[s]]),
          ...blocks.map((block) => (t: tf.Tensor4D) => block.apply(t)),
        ]),
      },
      this.wanted,
    );
  }
}

type Padding = Array<[number, number]>;
/** [before, after] per NHWC axis: 1 top/left, 2 bottom/right. */
const STEM_PADDING: Padding = [[0, 0], [1, 2], [1, 2], [0, 0]];
/** 0 top/left, 1 bottom/right. */
const DOWNSAMPLE_PADDING: Padding = [[0, 0], [0, 1], [0, 1], [0, 0]];

/** Downsample layer 0: zero-pad 1 top/left and 2 bottom/right, conv 4x4/4 (bias), LN. */
function patchifyStem(weights: WeightReader, dim: number): Step {
  const conv = new Conv2dBN(weights, { conv: 'backbone.downsample_layers.0.0' }, 3, dim, { kernel: 4, stride: 4, bias: true });
  const norm = new LayerNorm(weights, 'backbone.downsample_layers.0.1', dim);
  return (x) => tf.tidy(() => norm.apply(conv.apply(tf.pad(x, STEM_PADDING))) as tf.Tensor4D);
}

/**
 * Downsample layers 1-3: zero-pad 1 bottom/right, LN, conv 2x2/2 (bias). The padding
 * comes BEFORE the LN (spec T14), so padded cells enter the conv as the LN bias.
 */
function downsample(weights: WeightReader, i: number, inDim: number, outDim: number): Step {
  const norm = new LayerNorm(weights, `backbone.downsample_layers.${i}.0`, inDim);
  const conv = new Conv2dBN(weights, { conv: `backbone.downsample_layers.${i}.1` }, inDim, outDim, {
    kernel: 2,
    stride: 2,
    bias: true,
  });
  return (x) => tf.tidy(() => conv.apply(norm.apply(tf.pad(x, DOWNSAMPLE_PADDING)) as tf.Tensor4D));
}

/** dwconv 7x7 -> LN -> Linear 4C -> GELU -> Linear C -> layer scale -> + input. */
class ConvNeXtBlock {
  private readonly dwconv: Conv2dBN;
  private readonly norm: LayerNorm;
  private readonly pwconv1: Conv1dBN;
  private readonly pwconv2: Conv1dBN;
  private readonly gamma: tf.Tensor1D;

  constructor(weights: WeightReader, prefix: string, private readonly dim: number) {
    this.dwconv = new Conv2dBN(weights, { conv: `${prefix}.dwconv` }, dim, dim, {
      kernel: 7,
      pad: 3,
      depthwise: true,
      bias: true,
    });
    this.norm = new LayerNorm(weights, `${prefix}.norm`, dim);
    this.pwconv1 = new Conv1dBN(weights, { conv: `${prefix}.pwconv1` }, dim, 4 * dim, { bias: true, act: 'gelu' });
    this.pwconv2 = new Conv1dBN(weights, { conv: `${prefix}.pwconv2` }, 4 * dim, dim, { bias: true });
    this.gamma = weights.take(`${prefix}.gamma`, [dim]) as tf.Tensor1D;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // The Linear layers act per pixel: flatten to [H*W, C] for a plain matrix product.
      const tokens = tf.reshape(this.norm.apply(this.dwconv.apply(x)), [-1, this.dim]) as tf.Tensor2D;
      const mixed = tf.mul(this.pwconv2.apply(this.pwconv1.apply(tokens)), this.gamma);
      return tf.add(x, tf.reshape(mixed, x.shape)) as tf.Tensor4D;
    });
  }
}

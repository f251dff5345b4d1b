import * as tf from '@tensorflow/tfjs-core';
import type { BackboneFeature, ResNetConfig } from '../config';
import { Conv2dBN, detectronConvBN } from '../layers/conv';
import type { WeightReader } from '../weights';
import type { Backbone } from './backbone';
import { runStages, STAGE_FEATURES, type BackboneFeatures, type StagedNetwork } from './features';

type Variant = ResNetConfig['variant'];

/**
 * ResNet-50 family (spec 3.2). Both variants share keys and widths; they differ in
 * where the downsampling and the ReLUs sit (spec T23):
 * - `pytorch` (detectron2): stem conv+BN+ReLU, max-pool 3x3/2, stride 1 in res2,
 *   each block ends with ReLU(main + shortcut), endpoints post-ReLU; `stem` = after the pool.
 * - `tf` (deeplab2): stem conv+BN only, no pool, stride 2 in res2, each block applies
 *   ReLU to its input and returns main + shortcut, endpoints pre-activation; `stem` = stride 2.
 */
export class ResNet implements Backbone {
  private readonly stemConv: Conv2dBN;
  private readonly stages: Bottleneck[][];
  private readonly wanted: ReadonlySet<BackboneFeature>;

  constructor(weights: WeightReader, private readonly config: ResNetConfig, wanted: readonly BackboneFeature[]) {
    const variant = config.variant;
    this.wanted = new Set(wanted);
    this.stemConv = new Conv2dBN(weights, detectronConvBN('backbone.stem.conv1'), 3, config.stemChannels, {
      kernel: 7,
      stride: 2,
      pad: 3,
      act: variant === 'pytorch' ? 'relu' : 'none',
    });
    const firstStride = variant === 'pytorch' ? 1 : 2;
    let inChannels = config.stemChannels;
    this.stages = STAGE_FEATURES.map((name, s) =>
      Array.from({ length: config.depths[s] }, (_, b) => {
        const block = new Bottleneck(weights, `backbone.${name}.${b}`, variant, {
          inChannels,
          bottleneckChannels: config.bottleneckChannels[s],
          outChannels: config.outChannels[s],
          stride: b === 0 ? (s === 0 ? firstStride : 2) : 1,
        });
        inChannels = config.outChannels[s];
        return block;
      }),
    );
  }

  channels(feature: BackboneFeature): number {
    return feature === 'stem' ? this.config.stemChannels : this.config.outChannels[STAGE_FEATURES.indexOf(feature)];
  }

  apply(x: tf.Tensor4D): BackboneFeatures {
    const net: StagedNetwork = {
      stem: (t) => this.stem(t),
      stages: this.stages.map((blocks) => blocks.map((block) => (t: tf.Tensor4D) => block.apply(t))),
    };
    return runStages(x, net, this.wanted);
  }

  private stem(x: tf.Tensor4D): tf.Tensor4D {
    if (this.config.variant === 'tf') return this.stemConv.apply(x);
    // Explicit symmetric padding 1: ceil(n/2) rows, and padded cells never win the max.
    return tf.tidy(() => tf.maxPool(this.stemConv.apply(x), 3, 2, 1));
  }
}

interface BottleneckShape {
  readonly inChannels: number;
  readonly bottleneckChannels: number;
  readonly outChannels: number;
  readonly stride: number;
}

/** 1x1 -> 3x3 (carrying the stride, STRIDE_IN_1X1 = False) -> 1x1, plus shortcut. */
class Bottleneck {
  private readonly conv1: Conv2dBN;
  private readonly conv2: Conv2dBN;
  private readonly conv3: Conv2dBN;
  /** 1x1 conv + BN where the channels change; identity otherwise. */
  private readonly shortcut: Conv2dBN | null;

  constructor(weights: WeightReader, prefix: string, private readonly variant: Variant, shape: BottleneckShape) {
    const { inChannels, bottleneckChannels: mid, outChannels: out, stride } = shape;
    const keys = (name: string) => detectronConvBN(`${prefix}.${name}`);
    if (inChannels === out && stride !== 1) {
      throw new Error(`${prefix}: a strided block needs a shortcut conv, but its input already has ${out} channels`);
    }
    this.shortcut = inChannels !== out ? new Conv2dBN(weights, keys('shortcut'), inChannels, out, { kernel: 1, stride }) : null;
    this.conv1 = new Conv2dBN(weights, keys('conv1'), inChannels, mid, { kernel: 1, act: 'relu' });
    this.conv2 = new Conv2dBN(weights, keys('conv2'), mid, mid, { kernel: 3, stride, pad: 1, act: 'relu' });
    this.conv3 = new Conv2dBN(weights, keys('conv3'), mid, out, { kernel: 1 });
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // deeplab2 activates the block input; detectron2's input is already post-ReLU.
      const a = this.variant === 'tf' ? tf.relu(x) : x;
      const shortcut = this.shortcut?.apply(a) ?? a;
      const sum = tf.add(this.conv3.apply(this.conv2.apply(this.conv1.apply(a))), shortcut) as tf.Tensor4D;
      return this.variant === 'pytorch' ? tf.relu(sum) : sum;
    });
  }
}

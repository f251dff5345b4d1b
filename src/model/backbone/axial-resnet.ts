import * as tf from '@tensorflow/tfjs-core';
import type { AxialResNetConfig, BackboneFeature } from '../config';
import { Conv2dBN, kmaxConvBN } from '../layers/conv';
import { createAxialBlock } from '../pixel-decoder/axial-block';
import { createBottleneckBlock } from '../pixel-decoder/bottleneck-block';
import type { DecoderBlock } from '../pixel-decoder/decoder-block';
import type { WeightReader } from '../weights';
import type { Backbone } from './backbone';
import { runStages, STAGE_FEATURES, type BackboneFeatures } from './features';

/**
 * deeplab2's Axial-ResNet, `kmax_axial_resnet50` = MaX-S with GeLU (spec T23: TF only).
 * Inception stem: 3x3/2 + BN + GeLU, 3x3 + BN + GeLU, 3x3 + BN; its output, not
 * activated, is the stride-2 `stem` endpoint. Then four stages of deeplab2's AxialBlock,
 * the pixel decoder's block (GeLU on the input, conv1, spatial layer, conv3, + shortcut,
 * not activated), each stage's first block strided; a block whose input stride reaches
 * `axialFromStride` uses axial attention, the others a 3x3 conv. Endpoints res2..res5
 * are pre-activation, like deeplab2's ResNet. Keys `backbone.stem._conv{1,2}_bn_act`,
 * `._conv3_bn`, `backbone.res{s}.{b}.<decoder block keys>`.
 */
export class AxialResNet implements Backbone {
  private readonly stem: Conv2dBN[];
  private readonly stages: DecoderBlock[][];
  private readonly wanted: ReadonlySet<BackboneFeature>;

  constructor(weights: WeightReader, private readonly config: AxialResNetConfig, wanted: readonly BackboneFeature[]) {
    this.wanted = new Set(wanted);
    const [narrow, wide] = config.stemChannels;
    const stemConv = (name: string, inChannels: number, outChannels: number, stride: number, act: 'gelu' | 'none') =>
      new Conv2dBN(weights, kmaxConvBN(`backbone.stem.${name}`), inChannels, outChannels, { kernel: 3, stride, pad: 1, act });
    this.stem = [
      stemConv('_conv1_bn_act', 3, narrow, 2, 'gelu'),
      stemConv('_conv2_bn_act', narrow, narrow, 1, 'gelu'),
      stemConv('_conv3_bn', narrow, wide, 1, 'none'),
    ];
    let inChannels = wide;
    this.stages = STAGE_FEATURES.map((name, s) =>
      Array.from({ length: config.depths[s] }, (_, b) => {
        const prefix = `backbone.${name}.${b}`;
        const base = config.bases[s];
        const stride = b === 0 ? 2 : 1;
        const block = isAxialBlock(config, s, b)
          ? createAxialBlock(weights, prefix, inChannels, base, config.axialHeads, stride)
          : createBottleneckBlock(weights, prefix, inChannels, base, stride);
        inChannels = 4 * base;
        return block;
      }),
    );
  }

  channels(feature: BackboneFeature): number {
    return feature === 'stem' ? this.config.stemChannels[1] : 4 * this.config.bases[STAGE_FEATURES.indexOf(feature)];
  }

  apply(x: tf.Tensor4D): BackboneFeatures {
    return runStages(
      x,
      {
        stem: (t) => tf.tidy(() => this.stem.reduce((y, conv) => conv.apply(y), t)),
        stages: this.stages.map((blocks) => blocks.map((block) => (t: tf.Tensor4D) => block.apply(t))),
      },
      this.wanted,
    );
  }
}

/**
 * Stage s (0..3 = res2..res5) takes input at stride 2^(s+1), its later blocks at twice
 * that; deeplab2 makes a block axial from `axialFromStride` on (use_axial_beyond_stride).
 */
export function isAxialBlock(config: AxialResNetConfig, stage: number, block: number): boolean {
  const inputStride = 2 ** (stage + (block === 0 ? 1 : 2));
  return inputStride >= config.axialFromStride;
}

import * as tf from '@tensorflow/tfjs-core';
import type { BackboneFeatures } from '../backbone/backbone';
import type { BackboneFeature, KMaXConfig, PixelDecoderStageConfig } from '../config';
import { LayerNorm } from '../layers/layer-norm';
import type { WeightReader } from '../weights';
import { createAxialBlock } from './axial-block';
import { createBottleneckBlock } from './bottleneck-block';
import type { DecoderBlock } from './decoder-block';
import { ResizedFuse } from './resized-fuse';

const PREFIX = 'sem_seg_head.pixel_decoder';

/**
 * kMaX pixel decoder (spec 3.4): every backbone feature is LayerNorm'ed (T12); stage 0
 * runs on the coarsest, and each later stage on the ResizedFuse of the previous stage's
 * output with the next finer feature. Stage i outputs 4 * base_i channels.
 */
export class KMaXPixelDecoder {
  private readonly inputs: readonly BackboneFeature[];
  private readonly inNorms: LayerNorm[];
  private readonly stages: DecoderBlock[][];
  private readonly fuses: ResizedFuse[];

  constructor(weights: WeightReader, config: KMaXConfig, backboneChannels: (feature: BackboneFeature) => number) {
    const { inputs, stages, axialHeads } = config.pixelDecoder;
    if (inputs.length !== stages.length) {
      throw new Error(`The pixel decoder has ${stages.length} stages but ${inputs.length} backbone inputs; they must match`);
    }
    this.inputs = inputs;
    this.inNorms = inputs.map((f, i) => new LayerNorm(weights, `${PREFIX}._in_norms.${i}`, backboneChannels(f)));
    this.stages = stages.map((stage, i) => {
      const stageInput = i === 0 ? backboneChannels(inputs[0]) : stage.base;
      return Array.from({ length: stage.blocks }, (_, b) =>
        createBlock(weights, `${PREFIX}._stages.${i}._blocks.${b}`, stage, b === 0 ? stageInput : 4 * stage.base, axialHeads),
      );
    });
    this.fuses = stages
      .slice(1)
      .map(
        (next, i) =>
          new ResizedFuse(weights, `${PREFIX}._resized_fuses.${i}`, 4 * stages[i].base, backboneChannels(inputs[i + 1]), next.base),
      );
  }

  /**
   * The un-activated stage outputs, coarse to fine (D32, D16, D8, D4 [, 5th]): the
   * first three feed the kMaX layers, the last the final predictor. Caller disposes them.
   */
  apply(features: BackboneFeatures): tf.Tensor4D[] {
    const normalised = (i: number) => this.inNorms[i].apply(this.feature(features, i)) as tf.Tensor4D;
    const outputs: tf.Tensor4D[] = [];
    let x = tf.tidy(() => normalised(0));
    this.stages.forEach((blocks, i) => {
      const input = x;
      const out = tf.tidy(() => blocks.reduce((t, block) => block.apply(t), input));
      input.dispose();
      outputs.push(out);
      if (i < this.fuses.length) x = tf.tidy(() => this.fuses[i].apply(out, normalised(i + 1)));
    });
    return outputs;
  }

  private feature(features: BackboneFeatures, i: number): tf.Tensor4D {
    const name = this.inputs[i];
    const t = features[name];
    if (t === undefined) throw new Error(`The pixel decoder needs backbone feature "${name}", which was not computed`);
    return t;
  }
}

function createBlock(
  weights: WeightReader,
  prefix: string,
  stage: PixelDecoderStageConfig,
  inChannels: number,
  heads: number,
): DecoderBlock {
  switch (stage.type) {
    case 'axial':
      return createAxialBlock(weights, prefix, inChannels, stage.base, heads);
    case 'bottleneck':
      return createBottleneckBlock(weights, prefix, inChannels, stage.base);
  }
}
